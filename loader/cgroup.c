// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cgroup.h"

/* Where cgroup v2 is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid setups. */
int cgroup2_mount(char *dir, size_t size)
{
	FILE *mounts = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	int ret = -ENOENT;

	while (mounts && ret && (m = getmntent(mounts))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(dir, size, "%s", m->mnt_dir);
			ret = 0;
		}
	}
	if (mounts)
		endmntent(mounts);
	return ret;
}

int cgroup_id(const char *path, uint64_t *id)
{
	char root[PATH_MAX], full[2 * PATH_MAX];
	struct stat st;

	if (path[0] != '/' || stat(path, &st) || !S_ISDIR(st.st_mode)) {
		if (cgroup2_mount(root, sizeof(root)))
			return -ENOENT;
		snprintf(full, sizeof(full), "%s/%s", root, path);
		if (stat(full, &st) || !S_ISDIR(st.st_mode))
			return -ENOENT;
	}
	*id = st.st_ino;
	return 0;
}

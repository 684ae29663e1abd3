// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "proc_parse.h"

static int find_cgroup2(const char *mounts_file, const char *prefix, char *dir, size_t size)
{
	FILE *mounts = fopen(mounts_file, "re");
	struct proc_mount m;
	char *line = NULL;
	size_t len = 0;
	int ret = -ENOENT;

	if (!mounts)
		return ret;
	while (ret && getline(&line, &len, mounts) > 0) {
		if (!proc_parse_mount(line, &m) && !strcmp(m.type, "cgroup2")) {
			snprintf(dir, size, "%s%s", prefix, m.dir);
			ret = 0;
		}
	}
	free(line);
	fclose(mounts);
	return ret;
}

/*
 * Where no cgroup2 is mounted (inside `ip netns exec`, /sys is a fresh sysfs),
 * mount one for a moment and keep only an open descriptor of its root: the
 * hierarchy is the system's, and nothing stays mounted. The descriptor lives
 * as long as the process.
 */
static int private_cgroup2(char *dir, size_t size)
{
	char tmp[] = "/tmp/ecap-cgroup2.XXXXXX";
	int fd = -1;

	if (!mkdtemp(tmp))
		return -errno;
	if (!mount("none", tmp, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		umount2(tmp, MNT_DETACH);
	}
	rmdir(tmp);
	if (fd < 0)
		return -ENOENT;
	snprintf(dir, size, "/proc/self/fd/%d", fd);
	return 0;
}

/* Where cgroup v2 is: /sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid setups. */
int cgroup2_mount(char *dir, size_t size)
{
	static char found[64 + PATH_MAX];

	if (!found[0] && find_cgroup2("/proc/self/mounts", "", found, sizeof(found)) &&
	    private_cgroup2(found, sizeof(found)))
		return -ENOENT;
	snprintf(dir, size, "%s", found);
	return 0;
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

const char *cgroup_container_id(const char *path, char id[CGROUP_CONTAINER_ID_SIZE])
{
	for (const char *p = path; p && *p; p++) {
		size_t n = strspn(p, "0123456789abcdef");

		/* Not part of a longer run: an upper-case digit on either side counts. */
		if (n == 64 && (p == path || !isxdigit((unsigned char)p[-1])) &&
		    !isxdigit((unsigned char)p[64])) {
			memcpy(id, p, 64);
			id[64] = 0;
			return id;
		}
		if (n)
			p += n - 1;
	}
	return NULL;
}

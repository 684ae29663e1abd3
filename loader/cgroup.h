/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2: where it is mounted, a cgroup's id (its directory's inode), and
 * the container a cgroup's path names.
 */
#ifndef ECAP_CGROUP_H
#define ECAP_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Writes the cgroup2 mount point into @dir. Returns 0 or -ENOENT. */
int cgroup2_mount(char *dir, size_t size);

/*
 * The id of the cgroup at @path, absolute or as /proc/PID/cgroup shows it
 * (under the cgroup2 mount). Returns 0 or -ENOENT.
 */
int cgroup_id(const char *path, uint64_t *id);

#define CGROUP_CONTAINER_ID_SIZE 65

/*
 * The container id in a cgroup @path, into @id: the first 64 lower-case hex
 * digits in a row that are not part of a longer run of hex digits, as
 * Docker, containerd, CRI-O and Podman name a container's cgroup
 * ("/system.slice/docker-<id>.scope", "/docker/<id>").
 * Returns @id, or NULL where @path (NULL allowed) names none.
 */
const char *cgroup_container_id(const char *path, char id[CGROUP_CONTAINER_ID_SIZE]);

#endif

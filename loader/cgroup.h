/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cgroup v2: where it is mounted, and a cgroup's id (its directory's inode). */
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

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ECAP_WRITE_ALL_H
#define ECAP_WRITE_ALL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes all of @len bytes, resuming after short writes and signals: at
 * @off with pwrite(2), or where the file offset is with write(2) when @off
 * is negative (pipes and terminals have no offset). 0 or -errno.
 */
int write_all_at(int fd, const void *data, size_t len, int64_t off);

#endif

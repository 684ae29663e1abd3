// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include "write_behind.h"

void write_behind_init(struct write_behind *wb, int fd)
{
	struct stat st;

	*wb = (struct write_behind){ .fd = fd };
	wb->on = !fstat(fd, &st) && S_ISREG(st.st_mode);
}

void write_behind_wrote(struct write_behind *wb, size_t len)
{
	wb->written += len;
	if (!wb->on || wb->written - wb->sent < WRITE_BEHIND_CHUNK)
		return;
	/* Starts the writeback; the flags ask for no wait on what is under way. */
	sync_file_range(wb->fd, (off_t)wb->sent, (off_t)(wb->written - wb->sent),
			SYNC_FILE_RANGE_WRITE);
	/* What was sent a chunk ago; pages still dirty or being written are skipped. */
	if (wb->sent > wb->dropped) {
		posix_fadvise(wb->fd, (off_t)wb->dropped, (off_t)(wb->sent - wb->dropped),
			      POSIX_FADV_DONTNEED);
		wb->dropped = wb->sent;
	}
	wb->sent = wb->written;
}

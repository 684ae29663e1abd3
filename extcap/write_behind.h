/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Streaming a capture file to disk without filling the page cache with it.
 * Every WRITE_BEHIND_CHUNK bytes, the chunk just written is sent to disk and
 * the pages of the one before it, on disk by then, are dropped from memory.
 * A long capture then neither pushes other files out of the page cache nor
 * leaves gigabytes dirty for the kernel to write at once, and its writes
 * reuse the pages just freed: on a VM, where the host backs a guest page
 * only when it is first touched, writes into fresh pages cost ten times as
 * much CPU. Nothing waits for the disk: pages not yet written stay cached.
 */
#ifndef ECAP_WRITE_BEHIND_H
#define ECAP_WRITE_BEHIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WRITE_BEHIND_CHUNK (8u << 20)

struct write_behind {
	int fd;
	bool on;	  /* a regular file: pipes and terminals have no pages to drop */
	uint64_t written; /* bytes written so far */
	uint64_t sent;	  /* sent to disk up to here */
	uint64_t dropped; /* dropped from the page cache up to here */
};

void write_behind_init(struct write_behind *wb, int fd);

/* After @len more bytes went to the file. */
void write_behind_wrote(struct write_behind *wb, size_t len);

#endif

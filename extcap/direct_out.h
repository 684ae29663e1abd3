/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A capture file written around the page cache, by a thread of its own.
 *
 * Through the page cache, every byte of a capture is copied once more and
 * every page allocated, written back and dropped again. O_DIRECT writes go
 * from our buffers to the disk; a thread waits on them, so that the capture
 * loop does not (done in the loop, they lost packets while it waited), and
 * when the thread falls behind, the loop takes more buffers. On the 2-CPU VM
 * of the benchmarks, keep-alive HTTPS under capture went from 0.921-0.928 of
 * no capture to 0.940-0.948, ahead in 23 of 30 rounds, and the file now
 * costs what /dev/null does (bench/where-the-time-goes.md, sessions 30-31).
 *
 * The writer fills a buffer and submits it; the thread writes it at its place
 * in the file. O_DIRECT writes whole 4 KiB blocks only, so a buffer's last,
 * partial block (its tail) goes out through the page cache, and the next
 * buffer starts with a copy of that tail, to write the block whole once it
 * is. The file thus ends with the last byte submitted, a whole pcapng block
 * when the writer submits whole blocks.
 *
 * Only for a regular file this process opened (no O_APPEND, at offset 0):
 * where the file system refuses O_DIRECT, direct_out_open() says so and the
 * caller writes as before; where it refuses a write, the thread writes
 * through the page cache from then on. The blocks that went through the page
 * cache leave it behind the writer (write_behind.h).
 */
#ifndef ECAP_DIRECT_OUT_H
#define ECAP_DIRECT_OUT_H

#include <stddef.h>
#include <stdint.h>

#define DIRECT_OUT_ALIGN 4096
/* Buffers mapped once the thread is idle: it writes one while the loop fills the other. */
#define DIRECT_OUT_IDLE_BUFS 2

struct direct_out;

/*
 * Starts the thread for @fd, an empty regular file opened for writing, with
 * buffers of @buf_size bytes (a multiple of DIRECT_OUT_ALIGN); hands out the
 * first, empty buffer in *@buf. Returns 0 or a negative errno.
 */
int direct_out_open(struct direct_out **dp, int fd, size_t buf_size, uint8_t **buf);

/*
 * Hands the first @*used bytes of *@buf (the buffer last handed out) to the
 * thread, and hands out the next buffer, which starts with the tail: @*used
 * is its length. When no buffer is free it maps another, and waits only when
 * 8 of them are still being written.
 * Returns 0, or the first write error of the thread (the data is lost then).
 */
int direct_out_submit(struct direct_out *d, uint8_t **buf, size_t *used);

/* How many buffers are mapped: the idle few, more while the thread is behind or was lately. */
size_t direct_out_buffers(struct direct_out *d);

/* Waits until the thread has written all submitted; returns its first error. */
int direct_out_wait(struct direct_out *d);

/* Waits for the thread to have written everything, and ends it; returns its first error. */
int direct_out_close(struct direct_out *d);

#endif

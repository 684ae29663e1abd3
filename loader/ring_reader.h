/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A reader of one BPF ring buffer (the socket events, the TLS secrets, the
 * packet rings' wake-up calls) that gives the space back once per drain.
 * libbpf's reader (1.1) publishes its position after every record, and the
 * producers read that cache line for every reservation: it went from CPU to
 * CPU with every event.
 */
#ifndef ECAP_RING_READER_H
#define ECAP_RING_READER_H

#include <stddef.h>
#include <stdint.h>

struct ring_reader {
	unsigned long *consumer_pos;	   /* shared with the kernel, ours to write */
	const unsigned long *producer_pos; /* the kernel's */
	const uint8_t *data;		   /* mapped once */
	size_t size;			   /* a power of two */
	uint8_t *bounce;		   /* @size bytes: a record that wraps, made whole */
};

/* Handles one record; a negative errno stops the drain. */
typedef int (*ring_record_fn)(void *ctx, const void *data, uint32_t size);

/* Maps ring buffer @map_fd of @size bytes. Returns 0 or a negative errno. */
int ring_reader_open(struct ring_reader *r, int map_fd, size_t size);

/*
 * Hands every committed record to @fn in order, then frees their space.
 * Returns how many were handed over, or @fn's error (the space of the
 * records before the failing one is freed).
 */
int ring_reader_drain(struct ring_reader *r, ring_record_fn fn, void *ctx);

/* Unmaps; a zeroed or closed reader is fine. */
void ring_reader_close(struct ring_reader *r);

#endif

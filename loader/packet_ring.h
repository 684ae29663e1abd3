/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User space's end of a packet ring, which packets.bpf.c writes: part of a
 * CPU's entry of the mmapable rings map (struct ring_head in packets.h).
 * Records are read where they lie and passed one by one, in order; their
 * space goes back to the kernel at a release, so the writer finds the
 * consumer's cache line where it left it between releases.
 */
#ifndef ECAP_PACKET_RING_H
#define ECAP_PACKET_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "packets.h"

struct packet_ring {
	struct ring_head *head; /* inside the mapped rings map */
	const uint8_t *data;	/* ring size bytes, then room for a record past them */
	uint64_t size;		/* a power of two */
	uint32_t snaplen;
	uint64_t next; /* the oldest record not passed yet */
	uint64_t end;  /* the kernel's position at the last refresh */
};

/* Bytes of a ring in its CPU's entry of the rings map: a whole number of @page. */
size_t packet_ring_entry_size(uint64_t ring_size, uint32_t snaplen, size_t page);

/* The ring at @entry, in a map entry, as packet_ring_entry_size() sized it. */
void packet_ring_init(struct packet_ring *r, void *entry, uint64_t ring_size, uint32_t snaplen);

/*
 * Takes in what the kernel has written since, and asks it for a wake-up once
 * it has written a quarter of the ring more, or 128 KiB if that is less.
 */
void packet_ring_refresh(struct packet_ring *r);

/*
 * Whether the kernel has written past the point where it wakes the reader.
 * It checks that point as it writes: a reader stopped between a refresh's
 * read of the position and its setting of the point (a virtual CPU can stop
 * for milliseconds anywhere) may set a point already passed, and then no
 * wake-up comes; sleeping anyway would last until the time-out, longer than
 * a busy ring lasts. Ask after the last refresh, just before sleeping; if
 * true, read again.
 */
bool packet_ring_due(const struct packet_ring *r);

/*
 * The oldest record taken in and not passed, or NULL. It stays where it is
 * until the release after it is passed. A record that can't be the TC
 * program's ends what was taken in.
 */
const struct pkt_event *packet_ring_peek(struct packet_ring *r);

/* Done with the record packet_ring_peek() returned. */
void packet_ring_pass(struct packet_ring *r);

/* Gives the kernel the space of the records passed. */
void packet_ring_release(struct packet_ring *r);

/* Bytes taken in and not passed yet. */
static inline uint64_t packet_ring_unpassed(const struct packet_ring *r)
{
	return r->end - r->next;
}

#endif

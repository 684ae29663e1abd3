/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User space's end of a CPU's packet ring, which packets.bpf.c writes: an
 * entry of the mmapable rings map (struct ring_head in packets.h). Read
 * records are given back once per drain, so the writer finds the consumer's
 * cache line where it left it between drains.
 */
#ifndef ECAP_PACKET_RING_H
#define ECAP_PACKET_RING_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "packets.h"

struct packet_ring {
	struct ring_head *head; /* inside the mapped rings map */
	const uint8_t *data;	/* ring size bytes, then room for a record past them */
	uint64_t size;		/* a power of two */
	uint32_t snaplen;
};

/* Bytes of one CPU's entry in the rings map: a whole number of @page. */
size_t packet_ring_entry_size(uint64_t ring_size, uint32_t snaplen, size_t page);

/* The ring in the map entry at @entry, as packet_ring_entry_size() sized it. */
void packet_ring_init(struct packet_ring *r, void *entry, uint64_t ring_size, uint32_t snaplen);

/* Handles one record; a negative errno stops the drain. */
typedef int (*packet_record_fn)(void *ctx, const struct pkt_event *ev);

/*
 * Hands every published record to @fn in order, then gives their space back.
 * Returns 0, @fn's error (the records before the failing one are given back),
 * or -EBADMSG for a record that can't be the TC program's.
 */
int packet_ring_drain(struct packet_ring *r, packet_record_fn fn, void *ctx);

#endif

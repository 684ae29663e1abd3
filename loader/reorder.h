/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Puts events from all CPUs back into timestamp order: a min-heap keyed by
 * (timestamp, arrival), so equal timestamps keep their arrival order.
 */
#ifndef ECAP_REORDER_H
#define ECAP_REORDER_H

#include <stddef.h>
#include <stdint.h>

struct reorder_item {
	uint64_t ts;
	uint64_t seq; /* set by reorder_push() */
};

struct reorder {
	void *heap; /* struct reorder_slot, private to reorder.c */
	size_t len;
	size_t cap;
	uint64_t next_seq;
};

/* Adds @item, which stays owned by the caller until popped. Returns 0 or -ENOMEM. */
int reorder_push(struct reorder *r, struct reorder_item *item);

/* The earliest item, or NULL when empty. */
struct reorder_item *reorder_peek(const struct reorder *r);

/* Removes and returns the earliest item, or NULL when empty. */
struct reorder_item *reorder_pop(struct reorder *r);

/* Frees the heap itself; the items must have been popped. */
void reorder_release(struct reorder *r);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Puts events from all CPUs back into timestamp order, equal timestamps in
 * arrival order. They arrive nearly sorted (the ring buffer's order, with
 * CPUs racing by microseconds), so a sorted ring with insertion from the back
 * costs a comparison or two per event, and taking the earliest costs nothing.
 */
#ifndef ECAP_REORDER_H
#define ECAP_REORDER_H

#include <stddef.h>
#include <stdint.h>

struct reorder_item {
	uint64_t ts;
};

struct reorder {
	void *ring; /* struct reorder_slot, private to reorder.c */
	size_t head;
	size_t len;
	size_t cap; /* a power of two */
};

/* Adds @item, which stays owned by the caller until popped. Returns 0 or -ENOMEM. */
int reorder_push(struct reorder *r, struct reorder_item *item);

/* The earliest item, or NULL when empty. */
struct reorder_item *reorder_peek(const struct reorder *r);

/* Removes and returns the earliest item, or NULL when empty. */
struct reorder_item *reorder_pop(struct reorder *r);

/* Frees the ring itself; the items must have been popped. */
void reorder_release(struct reorder *r);

#endif

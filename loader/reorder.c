// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "reorder.h"

/* Keys live in the ring itself: comparing them touches no item. */
struct reorder_slot {
	uint64_t ts;
	struct reorder_item *item;
};

static struct reorder_slot *slot(const struct reorder *r, size_t k)
{
	return (struct reorder_slot *)r->ring + ((r->head + k) & (r->cap - 1));
}

/* Twice the room, the ring unrolled from its head. */
static int grow(struct reorder *r)
{
	size_t cap = r->cap ? 2 * r->cap : 1024;
	struct reorder_slot *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t k = 0; k < r->len; k++)
		ring[k] = *slot(r, k);
	free(r->ring);
	r->ring = ring;
	r->cap = cap;
	r->head = 0;
	return 0;
}

int reorder_push(struct reorder *r, struct reorder_item *item)
{
	size_t k;

	if (r->len == r->cap && grow(r))
		return -ENOMEM;
	/* Later than everything held, as nearly always: it goes at the end. */
	for (k = r->len; k > 0 && item->ts < slot(r, k - 1)->ts; k--)
		*slot(r, k) = *slot(r, k - 1);
	*slot(r, k) = (struct reorder_slot){ item->ts, item };
	r->len++;
	return 0;
}

struct reorder_item *reorder_peek(const struct reorder *r)
{
	return r->len ? slot(r, 0)->item : NULL;
}

struct reorder_item *reorder_pop(struct reorder *r)
{
	struct reorder_item *item = reorder_peek(r);

	if (!item)
		return NULL;
	r->head = (r->head + 1) & (r->cap - 1);
	r->len--;
	return item;
}

void reorder_release(struct reorder *r)
{
	free(r->ring);
	memset(r, 0, sizeof(*r));
}

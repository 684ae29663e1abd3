// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include "reorder.h"

/* Keys live in the heap array itself: comparing them touches no item, so no cache miss. */
struct reorder_slot {
	uint64_t ts;
	uint64_t seq;
	struct reorder_item *item;
};

static bool before(const struct reorder_slot *a, const struct reorder_slot *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void swap(struct reorder_slot *heap, size_t i, size_t j)
{
	struct reorder_slot t = heap[i];

	heap[i] = heap[j];
	heap[j] = t;
}

static void sift_up(struct reorder_slot *heap, size_t i)
{
	while (i > 0 && before(&heap[i], &heap[(i - 1) / 2])) {
		swap(heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct reorder_slot *heap, size_t len)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < len && before(&heap[l], &heap[min]))
			min = l;
		if (r < len && before(&heap[r], &heap[min]))
			min = r;
		if (min == i)
			return;
		swap(heap, i, min);
		i = min;
	}
}

int reorder_push(struct reorder *r, struct reorder_item *item)
{
	struct reorder_slot *heap = r->heap;

	if (r->len == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;

		heap = realloc(r->heap, cap * sizeof(*heap));
		if (!heap)
			return -ENOMEM;
		r->heap = heap;
		r->cap = cap;
	}
	item->seq = r->next_seq++;
	heap[r->len] = (struct reorder_slot){ item->ts, item->seq, item };
	sift_up(heap, r->len++);
	return 0;
}

struct reorder_item *reorder_peek(const struct reorder *r)
{
	const struct reorder_slot *heap = r->heap;

	return r->len ? heap[0].item : NULL;
}

struct reorder_item *reorder_pop(struct reorder *r)
{
	struct reorder_slot *heap = r->heap;
	struct reorder_item *top;

	if (!r->len)
		return NULL;
	top = heap[0].item;
	heap[0] = heap[--r->len];
	sift_down(heap, r->len);
	return top;
}

void reorder_release(struct reorder *r)
{
	free(r->heap);
	r->heap = NULL;
	r->len = r->cap = 0;
}

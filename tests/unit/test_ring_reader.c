// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader/ring_reader.c over a ring laid out as the kernel's BPF ring buffer
 * lays it out, in plain memory: records in order, each whole to its handler
 * even where it runs past the ring's end (the data is mapped once), busy ones
 * ending the drain, discarded ones skipped, and space given back up to the
 * record a handler refused.
 */
#include <errno.h>
#include <linux/bpf.h>

#include "check.h"
#include "ring_reader.h"

#define RING_SIZE 4096

static uint8_t data[RING_SIZE] __attribute__((aligned(8)));
static uint8_t bounce[RING_SIZE];
static unsigned long consumer, producer;

static struct ring_reader ring_at(unsigned long pos)
{
	consumer = producer = pos;
	memset(data, 0, sizeof(data));
	return (struct ring_reader){ .consumer_pos = &consumer, .producer_pos = &producer,
				     .data = data, .size = RING_SIZE, .bounce = bounce };
}

/* What bpf_ringbuf_submit() leaves: a header with @flags, @len bytes of @fill. */
static void produce(uint32_t len, uint8_t fill, uint32_t flags)
{
	size_t off = producer & (RING_SIZE - 1);

	*(uint32_t *)(data + off) = len | flags;
	for (uint32_t i = 0; i < len; i++)
		data[(off + BPF_RINGBUF_HDR_SZ + i) & (RING_SIZE - 1)] = fill;
	producer += (BPF_RINGBUF_HDR_SZ + len + 7) & ~7UL;
}

struct seen {
	int n;
	uint32_t len[8];
	uint8_t fill[8];
	bool intact[8];
	int refuse; /* the handler's error for the record of this number, from 1 */
};

static int handle(void *ctx, const void *rec, uint32_t len)
{
	struct seen *s = ctx;
	const uint8_t *b = rec;

	if (++s->n == s->refuse)
		return -ENOSPC;
	s->len[s->n - 1] = len;
	s->fill[s->n - 1] = b[0];
	s->intact[s->n - 1] = true;
	for (uint32_t i = 0; i < len; i++)
		s->intact[s->n - 1] &= b[i] == b[0];
	return 0;
}

static void test_in_order(void)
{
	struct ring_reader r = ring_at(0);
	struct seen s = { 0 };

	produce(5, 1, 0);
	produce(64, 2, 0);
	produce(100, 3, 0);
	CHECK_EQ(ring_reader_drain(&r, handle, &s), 3);
	CHECK(s.len[0] == 5 && s.len[1] == 64 && s.len[2] == 100, "lengths as produced");
	CHECK(s.fill[0] == 1 && s.fill[1] == 2 && s.fill[2] == 3, "records in order");
	CHECK_U64(consumer, producer);
	CHECK_EQ(ring_reader_drain(&r, handle, &s), 0);
}

static void test_past_the_end(void)
{
	struct ring_reader r = ring_at(RING_SIZE - 16);
	struct seen s = { 0 };

	produce(100, 7, 0); /* header before the end, payload across it */
	produce(RING_SIZE / 2, 8, 0);
	CHECK_EQ(ring_reader_drain(&r, handle, &s), 2);
	CHECK(s.len[0] == 100 && s.fill[0] == 7 && s.intact[0], "a record across the end, whole");
	CHECK(s.len[1] == RING_SIZE / 2 && s.fill[1] == 8 && s.intact[1], "the next one after it");

	r = ring_at(RING_SIZE - BPF_RINGBUF_HDR_SZ); /* header at the end, payload at the start */
	s = (struct seen){ 0 };
	produce(24, 9, 0);
	CHECK_EQ(ring_reader_drain(&r, handle, &s), 1);
	CHECK(s.len[0] == 24 && s.fill[0] == 9 && s.intact[0], "a payload that starts the ring");
	CHECK_U64(consumer, RING_SIZE + 24);
}

static void test_busy_and_discarded(void)
{
	struct ring_reader r = ring_at(0);
	struct seen s = { 0 };
	unsigned long busy;

	produce(16, 1, BPF_RINGBUF_DISCARD_BIT);
	produce(16, 2, 0);
	busy = producer;
	produce(16, 3, BPF_RINGBUF_BUSY_BIT);
	produce(16, 4, 0);
	CHECK_EQ(ring_reader_drain(&r, handle, &s), 1);
	CHECK_EQ(s.fill[0], 2);
	CHECK_U64(consumer, busy);

	*(uint32_t *)(data + busy) &= ~BPF_RINGBUF_BUSY_BIT; /* committed at last */
	CHECK_EQ(ring_reader_drain(&r, handle, &s), 2);
	CHECK(s.fill[1] == 3 && s.fill[2] == 4, "the rest once it is committed");
	CHECK_U64(consumer, producer);
}

static void test_refused(void)
{
	struct ring_reader r = ring_at(0);
	struct seen s = { .refuse = 2 };
	unsigned long second;

	produce(8, 1, 0);
	second = producer;
	produce(8, 2, 0);
	produce(8, 3, 0);
	CHECK_EQ(ring_reader_drain(&r, handle, &s), -ENOSPC);
	CHECK_U64(consumer, second);
}

int main(void)
{
	test_in_order();
	test_past_the_end();
	test_busy_and_discarded();
	test_refused();
	return check_summary("ring_reader");
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader/packet_ring.c, with records written the way packets.bpf.c writes
 * them: handed over in order, a record that runs past the ring's end read
 * whole from the room after it, the space given back once per drain, and a
 * record that can't be the TC program's stopping the drain.
 */
#include <errno.h>
#include "check.h"
#include "packet_ring.h"

#define RING_SIZE 4096
#define SNAPLEN	  1500

static uint8_t entry[8192] __attribute__((aligned(64)));

/* What output() in packets.bpf.c does, without the space check. */
static void produce(struct packet_ring *r, uint32_t cap_len, uint8_t fill)
{
	uint64_t pos = r->head->produced;
	struct pkt_event *ev = (struct pkt_event *)(r->data + (pos & (RING_SIZE - 1)));

	memset(ev, 0, sizeof(*ev));
	ev->cap_len = cap_len;
	ev->len = cap_len;
	memset(ev + 1, fill, cap_len);
	r->head->produced = pos + ring_record_size(cap_len);
}

struct seen {
	int n;
	uint32_t cap_len[16];
	bool intact[16];
};

static int record(void *ctx, const struct pkt_event *ev)
{
	struct seen *s = ctx;
	const uint8_t *data = (const uint8_t *)(ev + 1);
	bool intact = true;

	for (uint32_t i = 0; i < ev->cap_len; i++)
		intact &= data[i] == (uint8_t)(s->n + 1);
	s->cap_len[s->n] = ev->cap_len;
	s->intact[s->n++] = intact;
	return 0;
}

static void test_entry_size(void)
{
	/* Head, ring, one whole record of snaplen past it, rounded to pages. */
	CHECK_U64(packet_ring_entry_size(4096, 1500, 4096), 8192);
	CHECK_U64(packet_ring_entry_size(1 << 20, 262144, 4096), (1 << 20) + 262144 + 4096);
	CHECK(sizeof(struct ring_head) + RING_SIZE + ring_record_size(SNAPLEN) <= sizeof(entry),
	      "the test's entry holds a ring");
}

static void test_in_order_and_past_the_end(void)
{
	struct packet_ring r;
	struct seen s = { 0 };

	memset(entry, 0, sizeof(entry));
	packet_ring_init(&r, entry, RING_SIZE, SNAPLEN);
	/* Two records fill 3040 bytes; a third of 1100 runs 88 past 4096. */
	produce(&r, 1480, 1);
	produce(&r, 1480, 2);
	CHECK_EQ(packet_ring_drain(&r, record, &s), 0);
	CHECK_EQ(s.n, 2);
	CHECK_U64(r.head->consumed, r.head->produced);

	produce(&r, 1100, 3);
	produce(&r, 0, 4);
	produce(&r, 7, 5);
	CHECK_EQ(packet_ring_drain(&r, record, &s), 0);
	CHECK_EQ(s.n, 5);
	CHECK_EQ(s.cap_len[2], 1100);
	CHECK_U64(r.head->produced & (RING_SIZE - 1), 88 + 40 + 48);
	CHECK_EQ(s.cap_len[3], 0);
	CHECK_EQ(s.cap_len[4], 7);
	for (int i = 0; i < s.n; i++)
		CHECK(s.intact[i], "record %d read as written", i);
	CHECK_U64(r.head->consumed, r.head->produced);

	/* Nothing new: nothing handed over. */
	CHECK_EQ(packet_ring_drain(&r, record, &s), 0);
	CHECK_EQ(s.n, 5);
}

static int fail_second(void *ctx, const struct pkt_event *ev)
{
	return ++*(int *)ctx == 2 ? -ENOMEM : 0;
}

static void test_errors_keep_the_rest(void)
{
	struct packet_ring r;
	uint64_t first;
	int calls = 0;

	memset(entry, 0, sizeof(entry));
	packet_ring_init(&r, entry, RING_SIZE, SNAPLEN);
	produce(&r, 100, 1);
	first = r.head->produced;
	produce(&r, 100, 2);
	CHECK_EQ(packet_ring_drain(&r, fail_second, &calls), -ENOMEM);
	CHECK_U64(r.head->consumed, first);

	/* A length over the snapshot length: not ours, and not read past. */
	produce(&r, SNAPLEN + 8, 3);
	CHECK_EQ(packet_ring_drain(&r, record, &(struct seen){ 0 }), -EBADMSG);
	CHECK_U64(r.head->consumed, first + ring_record_size(100));
}

int main(void)
{
	test_entry_size();
	test_in_order_and_past_the_end();
	test_errors_keep_the_rest();
	return check_summary("packet_ring");
}

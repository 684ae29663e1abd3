// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader/packet_ring.c, with records written the way packets.bpf.c writes
 * them: read in order where they lie, a record that runs past the ring's end
 * read whole from the room after it, space given back only at a release and
 * only for records passed, the wake-up point a quarter ring (128 KiB at most)
 * after what was taken in, and a record that can't be the TC program's ending what is read.
 */
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

static bool intact(const struct pkt_event *ev, uint8_t fill)
{
	const uint8_t *data = (const uint8_t *)(ev + 1);

	for (uint32_t i = 0; i < ev->cap_len; i++) {
		if (data[i] != fill)
			return false;
	}
	return true;
}

static void init(struct packet_ring *r)
{
	memset(entry, 0, sizeof(entry));
	packet_ring_init(r, entry, RING_SIZE, SNAPLEN);
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
	const struct pkt_event *ev;
	struct packet_ring r;

	init(&r);
	CHECK_U64(r.head->wake_at, RING_SIZE / 4);
	/* Two records fill 3040 bytes; a third of 1100 runs 88 past 4096. */
	produce(&r, 1480, 1);
	produce(&r, 1480, 2);
	CHECK(!packet_ring_peek(&r), "nothing before a refresh");
	packet_ring_refresh(&r);
	CHECK_U64(r.head->wake_at, 3040 + RING_SIZE / 4);
	for (uint8_t n = 1; n <= 2; n++) {
		ev = packet_ring_peek(&r);
		CHECK(ev && ev->cap_len == 1480 && intact(ev, n), "record %u read as written", n);
		packet_ring_pass(&r);
	}
	CHECK(!packet_ring_peek(&r), "two records, no third");
	CHECK_U64(r.head->consumed, 0);
	packet_ring_release(&r);
	CHECK_U64(r.head->consumed, 3040);

	produce(&r, 1100, 3);
	produce(&r, 0, 4);
	produce(&r, 7, 5);
	packet_ring_refresh(&r);
	CHECK_U64(packet_ring_unpassed(&r), 1144 + 40 + 48);
	CHECK_U64(r.head->produced & (RING_SIZE - 1), 88 + 40 + 48);
	ev = packet_ring_peek(&r);
	CHECK(ev && ev->cap_len == 1100 && intact(ev, 3), "the record past the end, whole");
	packet_ring_pass(&r);
	ev = packet_ring_peek(&r);
	CHECK(ev && ev->cap_len == 0, "an empty record");
	packet_ring_pass(&r);
	/* A release gives back the two passed, not the third. */
	packet_ring_release(&r);
	CHECK_U64(r.head->consumed, 3040 + 1144 + 40);
	ev = packet_ring_peek(&r);
	CHECK(ev && ev->cap_len == 7 && intact(ev, 5), "the one after the wrap");
	packet_ring_pass(&r);
	packet_ring_pass(&r); /* past the end: nothing moves */
	packet_ring_release(&r);
	CHECK_U64(r.head->consumed, r.head->produced);
	CHECK_U64(packet_ring_unpassed(&r), 0);
}

static void test_not_ours(void)
{
	struct packet_ring r;

	init(&r);
	produce(&r, 100, 1);
	/* A length over the snapshot length: not read, nor anything after it. */
	produce(&r, SNAPLEN + 8, 2);
	produce(&r, 100, 3);
	packet_ring_refresh(&r);
	CHECK(packet_ring_peek(&r) != NULL, "the good record first");
	packet_ring_pass(&r);
	CHECK(!packet_ring_peek(&r), "the bad one is not handed out");
	CHECK_U64(packet_ring_unpassed(&r), 0);
	packet_ring_release(&r);
	CHECK_U64(r.head->consumed, r.head->produced);
}

/* A large ring wakes its reader every 128 KiB, not every quarter. */
static void test_wake_span(void)
{
	struct packet_ring r;

	memset(entry, 0, sizeof(entry));
	((struct ring_head *)entry)->consumed = 1000;
	packet_ring_init(&r, entry, 8 << 20, SNAPLEN); /* only the head is touched */
	CHECK_U64(r.head->wake_at, 1000 + (128 << 10));
	r.head->produced = 5000;
	packet_ring_refresh(&r);
	CHECK_U64(r.head->wake_at, 5000 + (128 << 10));
}

/* The kernel went past the wake-up point before the refresh set it: read again, don't sleep. */
static void test_due(void)
{
	struct packet_ring r;

	init(&r);
	CHECK(!packet_ring_due(&r), "an empty ring is not due");
	produce(&r, 100, 1);
	packet_ring_refresh(&r);
	CHECK(!packet_ring_due(&r), "due only past the wake-up point");
	r.head->produced = r.head->wake_at - 1;
	CHECK(!packet_ring_due(&r), "not due a byte before it");
	r.head->produced = r.head->wake_at;
	CHECK(packet_ring_due(&r), "due once the kernel reached it");
	packet_ring_refresh(&r);
	CHECK(!packet_ring_due(&r), "a refresh asks for the next one");
}

int main(void)
{
	test_entry_size();
	test_in_order_and_past_the_end();
	test_not_ours();
	test_wake_span();
	test_due();
	return check_summary("packet_ring");
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "packet_ring.h"

/*
 * How much the kernel writes before it wakes the reader: a quarter of the
 * ring, at most this. A reader woken every megabyte ran for a millisecond
 * at a time, on a core where the traffic's own processes were busy; while
 * one of them stood still, its peers ran out of work (keep-alive HTTPS on
 * two cores: machine idle time 20 -> 14 ticks of 800, requests/s +1.6%).
 */
#define WAKE_SPAN (128 << 10)

static uint64_t wake_span(uint64_t ring_size)
{
	return ring_size / 4 < WAKE_SPAN ? ring_size / 4 : WAKE_SPAN;
}

size_t packet_ring_entry_size(uint64_t ring_size, uint32_t snaplen, size_t page)
{
	size_t size = sizeof(struct ring_head) + ring_size + ring_record_size(snaplen);

	return (size + page - 1) / page * page;
}

void packet_ring_init(struct packet_ring *r, void *entry, uint64_t ring_size, uint32_t snaplen)
{
	r->head = entry;
	r->data = (const uint8_t *)(r->head + 1);
	r->size = ring_size;
	r->snaplen = snaplen;
	r->next = r->end = r->head->consumed;
	r->head->wake_at = r->end + wake_span(ring_size);
}

void packet_ring_refresh(struct packet_ring *r)
{
	r->end = __atomic_load_n(&r->head->produced, __ATOMIC_ACQUIRE);
	__atomic_store_n(&r->head->wake_at, r->end + wake_span(r->size), __ATOMIC_RELAXED);
}

bool packet_ring_due(const struct packet_ring *r)
{
	/* Our store of the wake-up point before our load of the kernel's position. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&r->head->produced, __ATOMIC_ACQUIRE) >= r->head->wake_at;
}

const struct pkt_event *packet_ring_peek(struct packet_ring *r)
{
	const struct pkt_event *ev;

	if (r->next >= r->end)
		return NULL;
	ev = (const void *)(r->data + (r->next & (r->size - 1)));
	if (ev->cap_len > r->snaplen || r->end - r->next < ring_record_size(ev->cap_len)) {
		r->next = r->end;
		return NULL;
	}
	return ev;
}

/*
 * Another CPU wrote the records ahead, and each first load of one waits for
 * its line to come over. Asked for a little ahead, the lines come while this
 * record is handled (keep-alive HTTPS: ~4% less of ecap-tls's CPU a packet,
 * less in 12 runs of 14; session 36). A prefetch past the mapping is
 * dropped, never a fault.
 */
#define PREFETCH_AHEAD 512
#define PREFETCH_SPAN 256

static void prefetch_ahead(const struct packet_ring *r)
{
	const uint8_t *ahead = r->data + ((r->next + PREFETCH_AHEAD) & (r->size - 1));

	for (unsigned int off = 0; off < PREFETCH_SPAN; off += 64)
		__builtin_prefetch(ahead + off);
}

void packet_ring_pass(struct packet_ring *r)
{
	const struct pkt_event *ev = packet_ring_peek(r);

	if (!ev)
		return;
	r->next += ring_record_size(ev->cap_len);
	prefetch_ahead(r);
}

void packet_ring_release(struct packet_ring *r)
{
	if (r->head->consumed != r->next)
		__atomic_store_n(&r->head->consumed, r->next, __ATOMIC_RELEASE);
}

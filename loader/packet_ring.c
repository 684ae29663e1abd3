// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include "packet_ring.h"

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
}

int packet_ring_drain(struct packet_ring *r, packet_record_fn fn, void *ctx)
{
	uint64_t pos = r->head->consumed;
	uint64_t end = __atomic_load_n(&r->head->produced, __ATOMIC_ACQUIRE);
	int err = 0;

	while (pos < end) {
		const struct pkt_event *ev = (const void *)(r->data + (pos & (r->size - 1)));

		if (ev->cap_len > r->snaplen || end - pos < ring_record_size(ev->cap_len)) {
			err = -EBADMSG;
			break;
		}
		err = fn(ctx, ev);
		if (err < 0)
			break;
		pos += ring_record_size(ev->cap_len);
	}
	__atomic_store_n(&r->head->consumed, pos, __ATOMIC_RELEASE);
	return err < 0 ? err : 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "ring_reader.h"

/*
 * The kernel's layout (kernel/bpf/ringbuf.c): a page with the consumer
 * position, a page with the producer position, then the data pages. Each
 * record starts with an 8-byte header (length with the busy and discard bits,
 * page offset) and is padded to 8, so a header never runs past the end.
 *
 * The kernel lets user space map the data pages twice in a row, so that no
 * record wraps, as libbpf does; but each mapping counts in the resident
 * memory that top shows: 2 MiB for the socket and TLS rings' 1 MiB each. We
 * map them once and copy the rare record that wraps.
 */
#define RECORD_ALIGN 8

int ring_reader_open(struct ring_reader *r, int map_fd, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *cons, *prod;

	*r = (struct ring_reader){ 0 };
	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	prod = mmap(NULL, page + size, PROT_READ, MAP_SHARED, map_fd, (off_t)page);
	if (prod == MAP_FAILED) {
		int err = -errno;

		munmap(cons, page);
		return err;
	}
	r->consumer_pos = cons;
	r->producer_pos = prod;
	r->data = (const uint8_t *)prod + page;
	r->size = size;
	/* Pages of its own: only those a wrapping record is copied into become resident. */
	r->bounce = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->bounce == MAP_FAILED) {
		int err = -errno;

		r->bounce = NULL;
		ring_reader_close(r);
		return err;
	}
	return 0;
}

/* Record @len bytes at ring offset @off, in one piece. */
static const void *record_at(const struct ring_reader *r, size_t off, uint32_t len)
{
	size_t first = r->size - off;

	if (len <= first)
		return r->data + off;
	memcpy(r->bounce, r->data + off, first);
	memcpy(r->bounce + first, r->data, len - first);
	return r->bounce;
}

int ring_reader_drain(struct ring_reader *r, ring_record_fn fn, void *ctx)
{
	unsigned long pos = *r->consumer_pos;
	unsigned long end = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	int n = 0, err = 0;

	while (pos < end) {
		size_t off = pos & (r->size - 1);
		const uint32_t *hdr = (const uint32_t *)(r->data + off);
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* reserved, not yet committed: the rest waits for it */
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			err = fn(ctx, record_at(r, (off + BPF_RINGBUF_HDR_SZ) & (r->size - 1), len),
				 len);
			if (err < 0)
				break;
			n++;
		}
		len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		pos += (len + BPF_RINGBUF_HDR_SZ + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1UL);
	}
	__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
	return err < 0 ? err : n;
}

void ring_reader_close(struct ring_reader *r)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (r->consumer_pos)
		munmap(r->consumer_pos, page);
	if (r->producer_pos)
		munmap((void *)r->producer_pos, page + r->size);
	if (r->bounce)
		munmap(r->bounce, r->size);
	*r = (struct ring_reader){ 0 };
}

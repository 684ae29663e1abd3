// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TC classifier that copies every packet of the interfaces it is attached to
 * into a ring buffer, after the capture filter (classic BPF, as compiled by
 * libpcap) has accepted it. It never changes the packet's fate.
 *
 * One ring per CPU: a shared ring's lock, taken for every packet by every
 * CPU, cost more than the copy. TC programs do not nest on a CPU, so each
 * ring holds its CPU's packets in time order and user space merges them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "packets.h"
#include "cbpf.bpf.h"
#include "packet_owner.bpf.h"
#define TC_ACT_UNSPEC (-1) /* continue with the next classifier or tcx program */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time settings, written by user space between open and load. */
const volatile __u32 snaplen = MAX_SNAPLEN;

/* The template: user space makes each CPU's ring, of the size -B asks for. */
struct cpu_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set to the number of CPUs by user space */
	__type(key, __u32);
	__array(values, struct cpu_ring);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_IFACES);
	__type(key, __u32); /* ifindex */
	__type(value, struct iface_cfg);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_IFACES);
	__type(key, __u32); /* iface_cfg.slot */
	__type(value, struct iface_stats);
} stats SEC(".maps");

/*
 * A packet too big for the reservation classes of output() is assembled here
 * before it goes into the ring: a reservation must have a constant size, and
 * a per-CPU map value can't hold a whole GSO packet. One entry per CPU; TC
 * hooks don't nest on a CPU.
 */
struct record {
	struct pkt_event ev;
	__u8 data[MAX_SNAPLEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of CPUs by user space */
	__type(key, __u32);
	__type(value, struct record);
} scratch SEC(".maps");

/*
 * Wakes the reader when the record of @size bytes (@reserved: already counted
 * in the ring's data) takes its ring past a quarter full; the others are
 * quiet. The reader gives the space back once it has read all it found, so
 * waking it for every record past the quarter raised an IRQ-work interrupt
 * per packet while it read. One CPU fills each ring, so each crossing is
 * seen; a reader already woken reads until the ring is empty.
 */
static __always_inline __u64 wake_at_quarter(void *ring, __u64 size, bool reserved)
{
	__u64 quarter = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / 4;
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	__u64 len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;

	if (!reserved)
		avail += len;
	return avail >= quarter && avail - len < quarter ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * A packet of up to @room bytes goes straight into a ring reservation of that
 * size: one copy. Reservations need a constant size, hence a few classes.
 */
static __always_inline int output_direct(void *ring, struct __sk_buff *skb,
					 const struct pkt_event *ev, __u64 cap, const __u32 room)
{
	__u8 *rec;

	barrier_var(cap);
	if (cap > room)
		return -1;
	rec = bpf_ringbuf_reserve(ring, sizeof(*ev) + room, 0);
	if (!rec)
		return -1;
	__builtin_memcpy(rec, ev, sizeof(*ev));
	if (cap && bpf_skb_load_bytes(skb, 0, rec + sizeof(*ev), cap)) {
		bpf_ringbuf_discard(rec, 0);
		return -1;
	}
	bpf_ringbuf_submit(rec, wake_at_quarter(ring, sizeof(*ev) + room, true));
	return 0;
}

/* Bigger ones (jumbo frames, GSO) are put together in the CPU's scratch record first. */
static __always_inline int output_scratch(void *ring, struct __sk_buff *skb,
					  const struct pkt_event *ev, __u64 cap)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct record *rec = bpf_map_lookup_elem(&scratch, &cpu);

	/* Bound the very register the helpers get: the verifier wants to see it. */
	barrier_var(cap);
	if (!rec || cap > MAX_SNAPLEN)
		return -1;
	rec->ev = *ev;
	if (cap && bpf_skb_load_bytes(skb, 0, rec->data, cap))
		return -1;
	return bpf_ringbuf_output(ring, rec, sizeof(rec->ev) + cap,
				  wake_at_quarter(ring, sizeof(rec->ev) + cap, false));
}

static __always_inline int output(void *ring, struct __sk_buff *skb, const struct pkt_event *ev,
				  __u64 cap)
{
	if (cap <= 128)
		return output_direct(ring, skb, ev, cap, 128);
	if (cap <= 256)
		return output_direct(ring, skb, ev, cap, 256);
	if (cap <= 512)
		return output_direct(ring, skb, ev, cap, 512);
	if (cap <= 1024)
		return output_direct(ring, skb, ev, cap, 1024);
	if (cap <= 1536)
		return output_direct(ring, skb, ev, cap, 1536);
	return output_scratch(ring, skb, ev, cap);
}

static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	__u32 ifindex = skb->ifindex, cpu = bpf_get_smp_processor_id();
	struct iface_stats *st;
	struct iface_cfg *cfg;
	struct pkt_event ev;
	void *ring;
	__u64 now = bpf_ktime_get_ns(), cap;

	cfg = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!cfg)
		return;
	st = bpf_map_lookup_elem(&stats, &cfg->slot);
	if (!st)
		return;
	st->seen++;

	if (owner_filter_set()) {
		struct sock_tuple tuple;
		struct sock_owner *owner = packet_owner(&tuple, skb, dir, cfg->raw);

		if (!owner || !owner_allowed(owner))
			return;
	}
	cap = run_filter(skb, cfg);
	if (!cap)
		return;
	st->accepted++;

	ring = bpf_map_lookup_elem(&events, &cpu);
	if (!ring)
		goto lost;
	if (cap > snaplen)
		cap = snaplen;
	if (cap > skb->len)
		cap = skb->len;

	__builtin_memset(&ev, 0, sizeof(ev));
	ev.ts_mono = now;
	ev.sock_cookie = dir == PKT_DIR_OUTBOUND ? bpf_get_socket_cookie(skb) : 0;
	ev.ifindex = ifindex;
	ev.len = skb->len;
	ev.cap_len = cap;
	ev.vlan_tci = skb->vlan_present ? skb->vlan_tci : 0;
	ev.vlan_proto = skb->vlan_present ? skb->vlan_proto : 0;
	ev.slot = cfg->slot;
	ev.dir = dir;
	if (output(ring, skb, &ev, cap))
		goto lost;
	return;
lost:
	st->lost++;
}

SEC("tc")
int ecap_ingress(struct __sk_buff *skb)
{
	capture(skb, PKT_DIR_INBOUND);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int ecap_egress(struct __sk_buff *skb)
{
	capture(skb, PKT_DIR_OUTBOUND);
	return TC_ACT_UNSPEC;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TC classifier that copies every packet of the interfaces it is attached to
 * into a ring, after the capture filter (classic BPF, as compiled by libpcap)
 * has accepted it. It never changes the packet's fate.
 *
 * Rings per CPU, one or two (SMALL_RING_SIZE in packets.h), each a region of
 * one mmapable array that user space reads (struct ring_head). TC programs do
 * not nest on a CPU, so each ring has one writer and holds its packets in
 * time order; user space merges them. With a BPF ring buffer per CPU this
 * program took 216 ns a packet, now 149 (bpf_stats, keep-alive HTTPS): its
 * reservation takes a lock with interrupts off and its commit an atomic
 * exchange, where one writer needs neither.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "packets.h"
#include "cbpf.bpf.h"
#include "packet_owner.bpf.h"
#define TC_ACT_UNSPEC (-1) /* continue with the next classifier or tcx program */

#ifndef __TARGET_ARCH_x86
#error "publish() relies on x86 keeping stores in order"
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time settings, written by user space between open and load. */
const volatile __u32 snaplen = MAX_SNAPLEN;
const volatile __u64 ring_size = 64 << 10; /* the big ring's, a power of two */
/* 0, or SMALL_RING_SIZE: a CPU's entry then starts with its small ring, this many bytes. */
const volatile __u64 small_ring_size = 0;
const volatile __u64 small_ring_entry = 0;
/* A capture filter or an owner filter is set: packets need their interface's state. */
const volatile bool filtering = true;

/* Sized by user space: an entry per CPU, its small ring if any, then its big one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ring_head));
} rings SEC(".maps");

/* Wake-up calls only; what a record says is of no matter. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} wakeups SEC(".maps");

/*
 * Arrays, which the verifier turns into a few instructions: an attached
 * interface's slot + 1 (0: not ours) by its ifindex, then its state by slot,
 * and only for a filter its configuration. Each is a line that the traffic's
 * own work has evicted since the last packet, so a capture without filters
 * looks them up only to count a loss (bpf_stats in situ, keep-alive HTTPS:
 * ~330 -> ~300 ns a run). The ifindex array holds words, not states:
 * ifindexes run high on hosts that make many interfaces, and a per-CPU entry
 * for each would cost every CPU memory.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the highest ifindex + 1: set by user space */
	__type(key, __u32);
	__type(value, __u32);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_IFACES);
	__type(key, __u32); /* slot */
	__type(value, struct iface_state);
} states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_IFACES);
	__type(key, __u32); /* slot */
	__type(value, struct iface_cfg);
} ifaces SEC(".maps");

/*
 * The record is complete before user space can see it: x86 makes stores
 * visible in program order, so a compiler barrier is all it takes.
 */
static __always_inline void publish(struct ring_head *ring, __u64 produced)
{
	barrier();
	*(volatile __u64 *)&ring->produced = produced;
}

/*
 * Wakes the reader for the record that takes its ring past the point it
 * asked for, 128 KiB or a quarter ring after what it last read; the others
 * are quiet, or every packet would interrupt a reader busy reading. One
 * writer per ring: no crossing is missed.
 */
static __always_inline void wake_if_asked(struct ring_head *ring, __u64 produced, __u64 len)
{
	__u64 wake_at = *(volatile __u64 *)&ring->wake_at;
	__u32 one = 1;

	if (produced < wake_at && produced + len >= wake_at)
		bpf_ringbuf_output(&wakeups, &one, sizeof(one), BPF_RB_FORCE_WAKEUP);
}

/*
 * The record goes where the ring's writing position is; one that runs past
 * the end goes on into the room after it rather than wrap, and the next
 * starts at the beginning again. Records start 8-byte aligned, and a header
 * written through a struct pointer takes nine stores where a memcpy to bytes
 * took forty, into lines the traffic has evicted (bpf_stats, keep-alive
 * HTTPS: ~433 -> ~411 ns a run, bpf_stats' own ~120 included).
 */
static __always_inline int output(struct ring_head *ring, __u64 size, __u64 max_cap,
				  struct __sk_buff *skb, const struct pkt_event *ev, __u64 cap)
{
	__u64 produced = ring->produced;
	__u64 fill = produced - *(volatile __u64 *)&ring->consumed;
	__u64 len = ring_record_size(cap);
	struct pkt_event *rec;

	/* Bound the very register the helper gets: the verifier wants to see it. */
	barrier_var(cap);
	if (cap > max_cap || fill + len > size)
		return -1;
	rec = (struct pkt_event *)((__u8 *)(ring + 1) + (produced & (size - 1)));
	*rec = *ev;
	if (cap && bpf_skb_load_bytes(skb, 0, rec + 1, cap))
		return -1;
	publish(ring, produced + len);
	wake_if_asked(ring, produced, len);
	return 0;
}

/* How many bytes of the packet the capture filter of interface @slot wants; 0 for none. */
static __always_inline __u64 filter(struct __sk_buff *skb, __u32 slot,
				    const struct iface_state *st)
{
	struct iface_cfg *cfg;

	if (!st->filtered)
		return MAX_SNAPLEN;
	cfg = bpf_map_lookup_elem(&ifaces, &slot);
	return cfg ? run_filter(skb, cfg) : 0;
}

/* This CPU's state of the interface with @ifindex, and its @slot; NULL: not ours. */
static __always_inline struct iface_state *iface_state(__u32 ifindex, __u32 *slot)
{
	__u32 *slot_plus1 = bpf_map_lookup_elem(&slots, &ifindex);

	if (!slot_plus1 || !*slot_plus1)
		return NULL;
	*slot = *slot_plus1 - 1;
	return bpf_map_lookup_elem(&states, slot);
}

/*
 * How many bytes of the packet the capture and owner filters want, counted;
 * 0 for none. The capture filter goes first: the owner filter needs the
 * packet's socket (@cookie, set for a packet that gets that far), which on
 * loopback can take a socket lookup.
 */
static __always_inline __u64 filtered_len(struct __sk_buff *skb, __u8 dir, __u64 *cookie)
{
	struct iface_state *st;
	__u32 slot;
	__u64 cap;

	st = iface_state(skb->ifindex, &slot);
	if (!st)
		return 0;
	st->seen++;
	cap = filter(skb, slot, st);
	if (!cap)
		return 0;
	*cookie = packet_cookie(skb, dir);
	if (owner_filter_set()) {
		struct sock_tuple tuple;
		struct sock_owner *owner = packet_owner(&tuple, skb, dir, st->raw, *cookie);

		if (!owner || !owner_allowed(owner))
			return 0;
	}
	st->accepted++;
	return cap;
}

static __always_inline void count_lost(__u32 ifindex)
{
	struct iface_state *st;
	__u32 slot;

	st = iface_state(ifindex, &slot);
	if (st)
		st->lost++;
}

static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	__u32 ifindex = skb->ifindex, cpu = bpf_get_smp_processor_id();
	__u64 cookie, cap;
	struct pkt_event ev;
	struct ring_head *ring;

	if (filtering) {
		cap = filtered_len(skb, dir, &cookie);
		if (!cap)
			return;
	} else {
		cap = MAX_SNAPLEN;
		cookie = packet_cookie(skb, dir);
	}
	ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring)
		goto lost;
	if (cap > snaplen)
		cap = snaplen;
	if (cap > skb->len)
		cap = skb->len;

	__builtin_memset(&ev, 0, sizeof(ev));
	/* Only now: a packet that the filters turn away costs no clock read (~100 ns). */
	ev.ts_mono = bpf_ktime_get_ns();
	ev.sock_cookie = cookie;
	ev.ifindex = ifindex;
	ev.len = skb->len;
	ev.cap_len = cap;
	ev.vlan_tci = skb->vlan_present ? skb->vlan_tci : 0;
	ev.vlan_proto = skb->vlan_present ? skb->vlan_proto : 0;
	ev.dir = dir;
	/* The small ring while it has room, else the big one after it. */
	if (small_ring_size && output(ring, small_ring_size, SMALL_RING_SNAPLEN, skb, &ev, cap) == 0)
		return;
	ring = (struct ring_head *)((__u8 *)ring + small_ring_entry);
	if (output(ring, ring_size, snaplen, skb, &ev, cap))
		goto lost;
	return;
lost:
	count_lost(ifindex);
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

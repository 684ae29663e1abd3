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
 * A record is assembled here before it goes into the ring: a ring buffer
 * reservation must have a constant size, and a per-CPU map value can't hold a
 * whole GSO packet. One entry per CPU; TC hooks don't nest on a CPU.
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

static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	__u32 ifindex = skb->ifindex, cpu = bpf_get_smp_processor_id();
	struct iface_stats *st;
	struct iface_cfg *cfg;
	struct record *rec;
	void *ring;
	__u64 now = bpf_ktime_get_ns(), flags, cap;

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

	rec = bpf_map_lookup_elem(&scratch, &cpu);
	ring = bpf_map_lookup_elem(&events, &cpu);
	if (!rec || !ring)
		goto lost;
	if (cap > snaplen)
		cap = snaplen;
	if (cap > skb->len)
		cap = skb->len;
	/* Bound the very register the helpers get: the verifier wants to see it. */
	barrier_var(cap);
	if (cap > MAX_SNAPLEN)
		cap = MAX_SNAPLEN;

	rec->ev.ts_mono = now;
	rec->ev.sock_cookie = dir == PKT_DIR_OUTBOUND ? bpf_get_socket_cookie(skb) : 0;
	rec->ev.ifindex = ifindex;
	rec->ev.len = skb->len;
	rec->ev.cap_len = cap;
	rec->ev.vlan_tci = skb->vlan_present ? skb->vlan_tci : 0;
	rec->ev.vlan_proto = skb->vlan_present ? skb->vlan_proto : 0;
	rec->ev.slot = cfg->slot;
	rec->ev.dir = dir;
	if (cap && bpf_skb_load_bytes(skb, 0, rec->data, cap))
		goto lost;

	flags = quiet_unless_filling(ring);
	if (bpf_ringbuf_output(ring, rec, sizeof(rec->ev) + cap, flags))
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

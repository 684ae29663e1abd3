/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket owners and the capture's filter on them (--pid, --uid, --comm,
 * --cgroup), for every object that attributes or filters: sockets.bpf.c
 * fills the maps, only when a filter is set (nothing else reads them);
 * packets.bpf.c and tls.bpf.c read them. User space creates the maps once
 * and hands the same ones to each object before it loads.
 */
#ifndef ECAP_OWNERS_BPF_H
#define ECAP_OWNERS_BPF_H

#include "sockets.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, struct sock_owner);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sock_tuple);
	__type(value, struct sock_owner);
} tuples SEC(".maps");

/*
 * A connected UDP socket's cookie, in the socket itself: on loopback, where
 * only the copy of a packet coming in is captured, TC finds the socket a
 * datagram goes to but has no other way to its cookie.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} udp_cookies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_FILTER_PIDS);
	__type(key, __u32); /* pid (thread group id) */
	__type(value, __u8);
} filter_pids SEC(".maps");

/* Load-time settings; unset: filter_uid == (__u32)-1, filter_comm[0] == 0, filter_cgroup == 0. */
const volatile bool filter_by_pid = false;
const volatile __u32 filter_uid = (__u32)-1;
const volatile char filter_comm[SOCK_COMM_SIZE] = {};
const volatile __u64 filter_cgroup = 0;

static __always_inline bool owner_filter_set(void)
{
	return filter_by_pid || filter_uid != (__u32)-1 || filter_comm[0] || filter_cgroup;
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < SOCK_COMM_SIZE; i++) {
		if (comm[i] != filter_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

static __always_inline bool owner_allowed(const struct sock_owner *o)
{
	if (filter_by_pid && !bpf_map_lookup_elem(&filter_pids, &o->pid))
		return false;
	if (filter_uid != (__u32)-1 && o->uid != filter_uid)
		return false;
	if (filter_comm[0] && !comm_matches(o->comm))
		return false;
	if (filter_cgroup && o->cgroup_id != filter_cgroup)
		return false;
	return true;
}

/*
 * Ring buffer submit flags for events that need no reader right away (the
 * capture loop polls every 100 ms): the record of @len bytes that fills the
 * ring past a quarter wakes the reader, and past half every record does, in
 * case another CPU's record took that crossing. A wakeup raises an interrupt
 * on this CPU, microseconds on a virtual machine: woken by every record from
 * a quarter on, until it got round to reading, a busy HTTPS client paid it
 * for one handshake in thirteen.
 */
static __always_inline __u64 quiet_unless_filling(void *ring, __u64 len)
{
	__u64 size = bpf_ringbuf_query(ring, BPF_RB_RING_SIZE);
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	/* As the ring holds it: after its header, rounded up to 8 bytes. */
	__u64 record = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;

	/* Forced: behind quiet records the reader is never "caught up", so a plain
	 * submit would not wake it either. */
	if (avail >= size / 2 || (avail >= size / 4 && avail < size / 4 + record))
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process behind a packet, for TC programs: its socket's owner where TC
 * knows the socket (egress), else the owner of its addresses, from the maps
 * sockets.bpf.c fills. Included by packets.bpf.c only.
 */
#ifndef ECAP_PACKET_OWNER_BPF_H
#define ECAP_PACKET_OWNER_BPF_H

#include <bpf/bpf_endian.h>
#include "owners.bpf.h"
#include "packets.h"

#define ETH_HLEN     14
#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define AF_INET	     2
#define AF_INET6     10
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17

static __always_inline __u16 load_be16(struct __sk_buff *skb, __u32 off, int *err)
{
	__u8 b[2];

	*err |= bpf_skb_load_bytes(skb, off, b, 2);
	return (__u16)b[0] << 8 | b[1];
}

/* The packet's addresses, source side first, from an Ethernet or raw IP header. */
static __always_inline int parse_tuple(struct __sk_buff *skb, bool raw, struct sock_tuple *t)
{
	__u32 off = raw ? 0 : ETH_HLEN, l4;
	__u16 proto = raw ? 0 : load_be16(skb, 12, &(int){ 0 });
	__u8 vhl, next;
	int err = 0;

	if (!raw && (proto == ETH_P_8021Q || proto == ETH_P_8021AD)) {
		proto = load_be16(skb, off + 2, &err);
		off += 4;
	}
	if (bpf_skb_load_bytes(skb, off, &vhl, 1))
		return -1;
	if (vhl >> 4 == 4 && (raw || proto == ETH_P_IP)) {
		if (load_be16(skb, off + 6, &err) & 0x1fff)
			return -1; /* a later fragment: no ports */
		err |= bpf_skb_load_bytes(skb, off + 9, &next, 1);
		err |= bpf_skb_load_bytes(skb, off + 12, t->laddr, 4);
		err |= bpf_skb_load_bytes(skb, off + 16, t->raddr, 4);
		t->family = AF_INET;
		l4 = off + (vhl & 0xf) * 4;
	} else if (vhl >> 4 == 6 && (raw || proto == ETH_P_IPV6)) {
		err |= bpf_skb_load_bytes(skb, off + 6, &next, 1);
		err |= bpf_skb_load_bytes(skb, off + 8, t->laddr, 16);
		err |= bpf_skb_load_bytes(skb, off + 24, t->raddr, 16);
		t->family = AF_INET6;
		l4 = off + 40; /* extension headers: no owner */
	} else {
		return -1;
	}
	if (err || (next != IPPROTO_TCP && next != IPPROTO_UDP))
		return -1;
	t->protocol = next;
	t->lport = load_be16(skb, l4, &err);
	t->rport = load_be16(skb, l4 + 2, &err);
	return err ? -1 : 0;
}

static __always_inline void swap_sides(struct sock_tuple *t)
{
	__u8 addr[16];
	__u16 port = t->lport;

	t->lport = t->rport;
	t->rport = port;
	__builtin_memcpy(addr, t->laddr, 16);
	__builtin_memcpy(t->laddr, t->raddr, 16);
	__builtin_memcpy(t->raddr, addr, 16);
}

/* A socket with a peer, else a listener or unconnected UDP socket on any address. */
static __always_inline struct sock_owner *owner_of_tuple(struct sock_tuple *t)
{
	struct sock_owner *o = bpf_map_lookup_elem(&tuples, t);

	if (o)
		return o;
	t->rport = 0;
	__builtin_memset(t->raddr, 0, 16);
	o = bpf_map_lookup_elem(&tuples, t);
	if (o)
		return o;
	__builtin_memset(t->laddr, 0, 16);
	return bpf_map_lookup_elem(&tuples, t);
}

#define LOOPBACK_IFINDEX 1 /* in every network namespace */

/* Read in place: loopback's headers are in the linear part, and a helper call costs more. */
static __always_inline bool is_udp(struct __sk_buff *skb)
{
	__u32 off = skb->protocol == bpf_htons(ETH_P_IP)     ? ETH_HLEN + 9
		    : skb->protocol == bpf_htons(ETH_P_IPV6) ? ETH_HLEN + 6
							     : 0;
	__u8 *next = (__u8 *)(long)skb->data + off;

	return off && (void *)(next + 1) <= (void *)(long)skb->data_end && *next == IPPROTO_UDP;
}

/*
 * The cookie of the socket a UDP datagram on loopback goes to, where the
 * cgroup hooks kept one (a connected socket); 0 otherwise. Inbound packets
 * name no socket, and a connected UDP socket's addresses are learned from
 * its packets out, which loopback does not show (they are captured coming in).
 */
static __always_inline __u64 loopback_udp_receiver(struct __sk_buff *skb)
{
	struct bpf_sock_tuple bt = {};
	struct sock_tuple t = {};
	struct bpf_sock *sk;
	__u64 *stored, cookie = 0;
	__u32 size = sizeof(bt.ipv4);

	if (skb->ifindex != LOOPBACK_IFINDEX || !is_udp(skb) || parse_tuple(skb, false, &t))
		return 0;
	if (t.family == AF_INET) {
		__builtin_memcpy(&bt.ipv4.saddr, t.laddr, 4);
		__builtin_memcpy(&bt.ipv4.daddr, t.raddr, 4);
		bt.ipv4.sport = bpf_htons(t.lport);
		bt.ipv4.dport = bpf_htons(t.rport);
	} else {
		__builtin_memcpy(bt.ipv6.saddr, t.laddr, 16);
		__builtin_memcpy(bt.ipv6.daddr, t.raddr, 16);
		bt.ipv6.sport = bpf_htons(t.lport);
		bt.ipv6.dport = bpf_htons(t.rport);
		size = sizeof(bt.ipv6);
	}
	sk = bpf_sk_lookup_udp(skb, &bt, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	stored = bpf_sk_storage_get(&udp_cookies, sk, NULL, 0);
	if (stored)
		cookie = *stored;
	bpf_sk_release(sk);
	return cookie;
}

/* The socket a packet belongs to, by cookie, where TC can tell; 0 where not. */
static __always_inline __u64 packet_cookie(struct __sk_buff *skb, __u8 dir)
{
	return dir == PKT_DIR_OUTBOUND ? bpf_get_socket_cookie(skb) : loopback_udp_receiver(skb);
}

/*
 * A connected UDP socket is reported before its port is chosen: its first
 * packet out tells the addresses of the packets coming back (as user space
 * does for the packets' comments).
 */
static __always_inline void remember_udp_addresses(struct __sk_buff *skb, bool raw,
						   struct sock_tuple *t, struct sock_owner *o)
{
	struct bpf_sock *sk = skb->sk;

	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != IPPROTO_UDP)
		return;
	__builtin_memset(t, 0, sizeof(*t));
	if (!parse_tuple(skb, raw, t))
		bpf_map_update_elem(&tuples, t, o, BPF_NOEXIST);
}

/* The process behind a packet: its socket (@cookie) where TC knows it, else its addresses. */
static __always_inline struct sock_owner *packet_owner(struct sock_tuple *t,
						       struct __sk_buff *skb, __u8 dir, bool raw,
						       __u64 cookie)
{
	struct sock_tuple copy;
	struct sock_owner *o;

	if (cookie) {
		o = bpf_map_lookup_elem(&owners, &cookie);
		if (o) {
			remember_udp_addresses(skb, raw, t, o);
			return o;
		}
	}
	__builtin_memset(t, 0, sizeof(*t));
	if (parse_tuple(skb, raw, t))
		return NULL;
	/* Outbound: the source is ours. Inbound: the destination, or on loopback either. */
	if (dir == PKT_DIR_INBOUND)
		swap_sides(t);
	copy = *t;
	o = owner_of_tuple(t);
	if (o || dir == PKT_DIR_OUTBOUND)
		return o;
	swap_sides(&copy);
	return owner_of_tuple(&copy);
}

#endif

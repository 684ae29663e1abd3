// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "netdev.h"
#include "pkt_tuple.h"

#define VLAN_HLEN	  4
#define MAX_VLAN_TAGS	  2 /* 802.1ad outer + 802.1Q inner */
#define IPV4_HLEN	  20
#define IPV4_OFFMASK	  0x1fff
#define IPV6_HLEN	  40
#define IPV6_FRAG_OFFMASK 0xfff8
#define MAX_IPV6_EXT	  8 /* more extension headers than this is not a real packet */
#define TCP_HLEN	  20
#define UDP_HLEN	  8

/* Where the network layer left off: the transport header and the end of the IP payload. */
struct l3 {
	uint8_t protocol;
	uint32_t l4_off;
	uint32_t l4_end;
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static bool is_vlan(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1;
}

/*
 * An IPv4 address as the tuple holds it, zeros after, in one 16-byte store:
 * a load that spans several fresh stores waits for them to reach the cache
 * (flow_cache_get() compares the addresses right after).
 */
static void put_ipv4(uint8_t dst[16], const uint8_t *src)
{
	uint8_t addr[16] = { 0 };

	memcpy(addr, src, 4);
	memcpy(dst, addr, 16);
}

/* Finds the network header: its offset and ethertype. */
static int parse_l2(const uint8_t *data, uint32_t len, uint16_t linktype, uint32_t *l3_off,
		    uint16_t *proto)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	if (linktype == LINKTYPE_RAW) {
		if (len < 1)
			return -1;
		*l3_off = 0;
		*proto = (data[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
		return 0;
	}
	if (linktype != LINKTYPE_ETHERNET || len < ETH_HLEN)
		return -1;
	type = get_be16(data + 12);
	for (int tags = 0; tags < MAX_VLAN_TAGS && is_vlan(type); tags++) {
		if (len - off < VLAN_HLEN)
			return -1;
		type = get_be16(data + off + 2);
		off += VLAN_HLEN;
	}
	*l3_off = off;
	*proto = type;
	return 0;
}

static int parse_ipv4(const uint8_t *data, uint32_t len, uint32_t off, struct pkt_tuple *t,
		      struct l3 *l3)
{
	const uint8_t *ip = data + off;
	uint32_t ihl, tot;

	if (len - off < IPV4_HLEN || ip[0] >> 4 != 4)
		return -1;
	ihl = (ip[0] & 0xf) * 4;
	tot = get_be16(ip + 2);
	/* tot 0: a GSO packet over 64 KiB (BIG TCP); the capture says how long it is. */
	if (ihl < IPV4_HLEN || (tot && tot < ihl) || len - off < ihl)
		return -1;
	/* A non-first fragment has no transport header, so no ports. */
	if (get_be16(ip + 6) & IPV4_OFFMASK)
		return -1;
	t->family = AF_INET;
	put_ipv4(t->saddr, ip + 12);
	put_ipv4(t->daddr, ip + 16);
	l3->protocol = ip[9];
	l3->l4_off = off + ihl;
	l3->l4_end = tot ? off + min_u32(tot, len - off) : len;
	return 0;
}

/* The length of the IPv6 extension header @nh at @p (@avail bytes), 0 if it is not skippable. */
static uint32_t ipv6_ext_len(uint8_t nh, const uint8_t *p, uint32_t avail)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		return avail < 2 ? 0 : (p[1] + 1u) * 8;
	case IPPROTO_FRAGMENT:
		/* A non-first fragment has no transport header. */
		if (avail < 8 || (get_be16(p + 2) & IPV6_FRAG_OFFMASK))
			return 0;
		return 8;
	case IPPROTO_AH:
		return avail < 2 ? 0 : (p[1] + 2u) * 4;
	default:
		return 0; /* ESP, no next header, or the transport header */
	}
}

static int parse_ipv6(const uint8_t *data, uint32_t len, uint32_t off, struct pkt_tuple *t,
		      struct l3 *l3)
{
	const uint8_t *ip = data + off;
	uint32_t plen, cur, end;
	uint8_t nh;

	if (len - off < IPV6_HLEN || ip[0] >> 4 != 6)
		return -1;
	plen = get_be16(ip + 4);
	/* plen 0: a jumbogram or BIG TCP; the capture says how long it is. */
	end = plen ? off + IPV6_HLEN + min_u32(plen, len - off - IPV6_HLEN) : len;
	nh = ip[6];
	cur = off + IPV6_HLEN;
	for (int i = 0; i <= MAX_IPV6_EXT; i++) {
		uint32_t ext;

		if (nh == IPPROTO_TCP || nh == IPPROTO_UDP) {
			t->family = AF_INET6;
			memcpy(t->saddr, ip + 8, 16);
			memcpy(t->daddr, ip + 24, 16);
			l3->protocol = nh;
			l3->l4_off = cur;
			l3->l4_end = end;
			return 0;
		}
		ext = ipv6_ext_len(nh, data + cur, end - cur);
		if (!ext || end - cur < ext)
			return -1;
		nh = data[cur];
		cur += ext;
	}
	return -1;
}

/* Ports and payload; a transport header cut short by the snap length leaves no payload. */
static int parse_l4(const uint8_t *data, const struct l3 *l3, struct pkt_tuple *t)
{
	const uint8_t *l4 = data + l3->l4_off;
	uint32_t avail = l3->l4_end - l3->l4_off, hlen;

	if (l3->protocol == IPPROTO_TCP) {
		if (avail < TCP_HLEN)
			return -1;
		hlen = (l4[12] >> 4) * 4u;
		if (hlen < TCP_HLEN)
			return -1;
	} else if (l3->protocol == IPPROTO_UDP) {
		if (avail < UDP_HLEN)
			return -1;
		hlen = UDP_HLEN;
	} else {
		return -1;
	}
	t->protocol = l3->protocol;
	t->sport = get_be16(l4);
	t->dport = get_be16(l4 + 2);
	t->payload_off = l3->l4_off + min_u32(hlen, avail);
	t->payload_len = l3->l4_end - t->payload_off;
	return 0;
}

int pkt_tuple_parse(const uint8_t *data, uint32_t len, uint16_t linktype, struct pkt_tuple *t)
{
	struct l3 l3 = { 0 };
	uint32_t l3_off;
	uint16_t proto;
	int err;

	memset(t, 0, sizeof(*t));
	if (parse_l2(data, len, linktype, &l3_off, &proto))
		return -1;
	if (proto == ETH_P_IP)
		err = parse_ipv4(data, len, l3_off, t, &l3);
	else if (proto == ETH_P_IPV6)
		err = parse_ipv6(data, len, l3_off, t, &l3);
	else
		err = -1;
	return err ? -1 : parse_l4(data, &l3, t);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "netdev.h"
#include "pkt_tuple.h"

#define ETH_HLEN	 14
#define ETH_P_IP	 0x0800
#define ETH_P_IPV6	 0x86dd
#define ETH_P_8021Q	 0x8100
#define ETH_P_8021AD	 0x88a8
#define IPV6_HLEN	 40
#define MAX_EXT_HEADERS	 8

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int parse_ports(const uint8_t *p, uint32_t len, uint8_t proto, struct pkt_tuple *t)
{
	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || len < 4)
		return -1;
	t->protocol = proto;
	t->sport = be16(p);
	t->dport = be16(p + 2);
	return 0;
}

static int parse_ipv4(const uint8_t *p, uint32_t len, struct pkt_tuple *t)
{
	uint32_t ihl;

	if (len < 20 || p[0] >> 4 != 4)
		return -1;
	ihl = (p[0] & 0xf) * 4u;
	if (ihl < 20 || ihl > len || (be16(p + 6) & 0x1fff))
		return -1; /* a bad header, or a fragment without the ports */
	t->family = AF_INET;
	memcpy(t->saddr, p + 12, 4);
	memcpy(t->daddr, p + 16, 4);
	return parse_ports(p + ihl, len - ihl, p[9], t);
}

static int parse_ipv6(const uint8_t *p, uint32_t len, struct pkt_tuple *t)
{
	uint32_t off = IPV6_HLEN;
	uint8_t next;

	if (len < IPV6_HLEN || p[0] >> 4 != 6)
		return -1;
	t->family = AF_INET6;
	memcpy(t->saddr, p + 8, 16);
	memcpy(t->daddr, p + 24, 16);
	next = p[6];
	for (int i = 0; i < MAX_EXT_HEADERS; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > len)
				return -1;
			next = p[off];
			off += (p[off + 1] + 1) * 8u;
			break;
		case IPPROTO_FRAGMENT:
			if (off + 8 > len || (be16(p + off + 2) & 0xfff8))
				return -1;
			next = p[off];
			off += 8;
			break;
		default:
			return off <= len ? parse_ports(p + off, len - off, next, t) : -1;
		}
	}
	return -1;
}

static int parse_ip(const uint8_t *p, uint32_t len, struct pkt_tuple *t)
{
	if (len < 1)
		return -1;
	return p[0] >> 4 == 4 ? parse_ipv4(p, len, t) : parse_ipv6(p, len, t);
}

int pkt_tuple_parse(const uint8_t *data, uint32_t len, uint16_t linktype, struct pkt_tuple *t)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	memset(t, 0, sizeof(*t));
	if (linktype == LINKTYPE_RAW)
		return parse_ip(data, len, t);
	if (linktype != LINKTYPE_ETHERNET || len < ETH_HLEN)
		return -1;
	type = be16(data + 12);
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) && off + 4 <= len) {
		type = be16(data + off + 2);
		off += 4;
	}
	if (type != ETH_P_IP && type != ETH_P_IPV6)
		return -1;
	return parse_ip(data + off, len - off, t);
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The addresses, ports and payload of a TCP or UDP packet, as captured. */
#ifndef ECAP_PKT_TUPLE_H
#define ECAP_PKT_TUPLE_H

#include <stdint.h>

struct pkt_tuple {
	uint8_t family;	  /* AF_INET, AF_INET6 */
	uint8_t protocol; /* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t sport;	  /* host byte order */
	uint16_t dport;
	uint8_t saddr[16]; /* IPv4 in the first 4 bytes, the rest 0 */
	uint8_t daddr[16];
	uint32_t payload_off; /* where the TCP or UDP payload starts in the capture */
	uint32_t payload_len; /* how much of it was captured (never past the IP length) */
};

/*
 * Parses Ethernet (up to two VLAN tags, @linktype 1) or raw IP (101) down to
 * TCP or UDP. Returns 0, or -1 for anything else: ARP, ICMP, ESP, non-first
 * fragments, a header cut short by the snap length. Never reads past @len.
 */
int pkt_tuple_parse(const uint8_t *data, uint32_t len, uint16_t linktype, struct pkt_tuple *t);

#endif

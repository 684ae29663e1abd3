/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the TLS unit tests (test_tls_hello.c, test_tls_check.c,
 * test_tls_gate.c) feed the code, and hear back: the RFC 8448 "Simple 1-RTT
 * Handshake" messages, wrapped in hand-built Ethernet/VLAN/IPv4/IPv6/TCP
 * headers; secrets as the TLS source hands them over; a recorder of misfits.
 * Shared so that the parser, the check and the gate are tested on the same
 * bytes.
 *
 * Call rfc8448_load() first.
 */
#ifndef ECAP_TEST_TLS_PACKETS_H
#define ECAP_TEST_TLS_PACKETS_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tls_hello.h"

/* ---- RFC 8448 section 3, and the other records a handshake has ---- */

/* {client} send handshake record: the complete ClientHello record, 201 octets. */
static const char rfc8448_client_hello[] =
    "16 03 01 00 c4 01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da"
    "cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7 00 00 06"
    "13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76"
    "65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00"
    "01 01 01 02 01 03 01 04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99"
    "38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d"
    "54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03"
    "05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05"
    "02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01";

/* ClientHello.random as the RFC prints it */
static const char rfc8448_random[] = "cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d"
				     "99 12 ec 18 a2 ef 62 83 02 4d ec e7";

/* {server} send handshake record: the complete ServerHello record, 95 octets. */
static const char rfc8448_server_hello[] =
    "16 03 03 00 5a 02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24"
    "9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01"
    "00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db"
    "f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00"
    "02 03 04";

/* {server} send handshake record: the start of the complete record (679 octets). */
static const char rfc8448_flight[] = "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80"
				     "23 3f 50 0f 45 e4 89 e7 f3 3a f3 5e df";

/* {server} derive secret "tls13 s hs traffic" */
static const char rfc8448_s_hs[] = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
				   "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";

/* HelloRetryRequest's ServerHello.random: SHA-256("HelloRetryRequest"), RFC 8446 4.1.3. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

static uint8_t ch_rec[256], ch_random[32], sh_rec[128], flight[64], s_hs[32];
static size_t ch_len, sh_len, flight_len;

/* Application data and a change_cipher_spec, as a TLS 1.3 peer sends them. */
static const uint8_t app_data[] = {0x17, 0x03, 0x03, 0x00, 0x30, 0xde, 0xad, 0xbe, 0xef, 1, 2,
				   3,	 4,    5,    6,	   7,	 8,    9,    10,   11,	 12};
static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

/* A distinct random per @n. */
static inline void numbered_random(uint32_t n, uint8_t *random)
{
	memset(random, 0x77, 32);
	memcpy(random, &n, sizeof(n));
}

/* Unpacks the RFC's messages, and checks they are what the RFC says. */
static inline void rfc8448_load(void)
{
	ch_len = unhex(rfc8448_client_hello, ch_rec, sizeof(ch_rec));
	sh_len = unhex(rfc8448_server_hello, sh_rec, sizeof(sh_rec));
	CHECK_EQ(ch_len, 201);
	CHECK_EQ(sh_len, 95);
	CHECK_EQ(unhex(rfc8448_random, ch_random, sizeof(ch_random)), 32);
	/* The RFC's random is where the record says: right after legacy_version. */
	CHECK(!memcmp(ch_rec + 11, ch_random, 32), "RFC 8448 random at offset 11");
	flight_len = unhex(rfc8448_flight, flight, sizeof(flight));
	CHECK_EQ(flight_len, 33);
	CHECK_EQ(unhex(rfc8448_s_hs, s_hs, sizeof(s_hs)), 32);
}

/* ---- packet building ---- */

enum l2 { L2_ETH, L2_VLAN, L2_QINQ, L2_RAW };

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW	  101
#define SERVER_PORT	  443
#define MAX_PKT		  2048

struct spec {
	enum l2 l2;
	int family;	/* 4 or 6 */
	bool reply;	/* server to client */
	uint16_t cport; /* the client's port, the server's is 443 */
	const uint8_t *payload;
	size_t plen;
	uint8_t
	    ext[4]; /* IPv6 extension headers before TCP, 0-terminated unless hop-by-hop first */
	int n_ext;
	uint16_t frag_off; /* 8-byte units, IPv4 and IPv6 fragment header */
	bool more_frags;
	uint8_t ip_proto; /* 0: TCP */
	int ip_opt_words;
	int tcp_opt_words;
	size_t pad; /* bytes after the IP packet (Ethernet minimum frame padding) */
	const uint8_t *pad_bytes;
	uint8_t addr_last; /* varies the client's address, 0 for 1 */
	bool same_addr;	   /* the server has the client's address (loopback) */
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint16_t ipv4_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline size_t build_l2(uint8_t *p, const struct spec *sp)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	size_t off = 12;

	if (sp->l2 == L2_RAW)
		return 0;
	memcpy(p, macs, sizeof(macs));
	if (sp->l2 == L2_QINQ) {
		put16(p + off, 0x88a8);
		put16(p + off + 2, 100);
		off += 4;
	}
	if (sp->l2 == L2_VLAN || sp->l2 == L2_QINQ) {
		put16(p + off, 0x8100);
		put16(p + off + 2, 42);
		off += 4;
	}
	put16(p + off, sp->family == 6 ? 0x86dd : 0x0800);
	return off + 2;
}

static inline void addresses(const struct spec *sp, uint8_t *src, uint8_t *dst)
{
	uint8_t client[16], server[16];
	size_t len = sp->family == 6 ? 16 : 4;

	if (sp->family == 6) {
		inet_pton(AF_INET6, "fd00::1", client);
		inet_pton(AF_INET6, "fd00::2", server);
	} else {
		inet_pton(AF_INET, "198.18.0.1", client);
		inet_pton(AF_INET, "198.18.0.2", server);
	}
	if (sp->addr_last)
		client[len - 1] = sp->addr_last;
	if (sp->same_addr)
		memcpy(server, client, len);
	memcpy(src, sp->reply ? server : client, len);
	memcpy(dst, sp->reply ? client : server, len);
}

static inline size_t build_tcp(uint8_t *p, const struct spec *sp)
{
	size_t hlen = 20 + 4 * sp->tcp_opt_words;

	memset(p, 0, hlen);
	put16(p, sp->reply ? SERVER_PORT : sp->cport);
	put16(p + 2, sp->reply ? sp->cport : SERVER_PORT);
	p[7] = 1;			  /* seq */
	p[11] = 1;			  /* ack */
	p[12] = (uint8_t)(hlen / 4) << 4; /* data offset */
	p[13] = 0x18;			  /* PSH, ACK */
	put16(p + 14, 65535);
	memset(p + 20, 1, hlen - 20); /* NOPs */
	if (sp->plen)
		memcpy(p + hlen, sp->payload, sp->plen);
	return hlen + sp->plen;
}

/* IPv6 extension headers; returns their length. */
static inline size_t build_ext(uint8_t *p, const struct spec *sp)
{
	size_t off = 0;

	for (int i = 0; i < sp->n_ext; i++) {
		uint8_t next = i + 1 < sp->n_ext ? sp->ext[i + 1] : (sp->ip_proto ?: 6);

		memset(p + off, 0, 8);
		p[off] = next;
		if (sp->ext[i] == 44) { /* fragment */
			put16(p + off + 2, (uint16_t)(sp->frag_off << 3 | sp->more_frags));
			p[off + 7] = 7; /* identification */
		} else {
			p[off + 2] = 1; /* PadN, 4 bytes of padding */
			p[off + 3] = 4;
		}
		off += 8;
	}
	return off;
}

static inline size_t build_ip(uint8_t *p, const struct spec *sp)
{
	uint8_t proto = sp->ip_proto ?: 6;
	size_t hlen, len;

	if (sp->family == 6) {
		memset(p, 0, 40);
		p[0] = 0x60;
		p[6] = sp->n_ext ? sp->ext[0] : proto;
		p[7] = 64;
		addresses(sp, p + 8, p + 24);
		len = build_ext(p + 40, sp);
		len += build_tcp(p + 40 + len, sp);
		put16(p + 4, (uint16_t)len);
		return 40 + len;
	}
	hlen = 20 + 4 * sp->ip_opt_words;
	memset(p, 0, hlen);
	p[0] = 0x40 | (uint8_t)(hlen / 4);
	put16(p + 4, 0x1234);
	put16(p + 6, (uint16_t)((sp->more_frags ? 0x2000 : 0x4000 * !sp->frag_off) | sp->frag_off));
	p[8] = 64;
	p[9] = proto;
	addresses(sp, p + 12, p + 16);
	memset(p + 20, 1, hlen - 20); /* NOP options */
	len = hlen + build_tcp(p + hlen, sp);
	put16(p + 2, (uint16_t)len);
	put16(p + 10, ipv4_csum(p, hlen));
	return len;
}

static inline size_t build(uint8_t *p, const struct spec *sp)
{
	size_t len = build_l2(p, sp);

	len += build_ip(p + len, sp);
	if (sp->pad) {
		memcpy(p + len, sp->pad_bytes, sp->pad);
		len += sp->pad;
	}
	return len;
}

static inline uint16_t linktype(const struct spec *sp)
{
	return sp->l2 == L2_RAW ? LINKTYPE_RAW : LINKTYPE_ETHERNET;
}

/* Parses a heap copy of exactly @cap_len bytes of the packet @sp. */
static inline int parse_cut(const struct spec *sp, size_t cap_len, struct tls_hello_pkt *pkt)
{
	uint8_t full[MAX_PKT];
	size_t len = build(full, sp);
	uint8_t *copy;
	int rc;

	if (cap_len > len)
		cap_len = len;
	copy = malloc(cap_len ? cap_len : 1);
	memcpy(copy, full, cap_len);
	rc = tls_hello_parse(copy, (uint32_t)cap_len, linktype(sp), pkt);
	free(copy);
	return rc;
}

static inline int parse(const struct spec *sp, struct tls_hello_pkt *pkt)
{
	return parse_cut(sp, MAX_PKT, pkt);
}

/* The server's first segment: ServerHello, [ChangeCipherSpec], the first @n bytes of the flight. */
static inline size_t server_flight(uint8_t *buf, bool with_ccs, size_t n)
{
	size_t len = sh_len;

	memcpy(buf, sh_rec, sh_len);
	if (with_ccs) {
		memcpy(buf + len, ccs, sizeof(ccs));
		len += sizeof(ccs);
	}
	memcpy(buf + len, flight, n);
	return len + n;
}

/* A secret as the TLS source hands it over, made by the library @lib. */
static inline struct tls_secret make_secret(const uint8_t *random, const char *label,
					    const uint8_t *bytes, uint32_t len, uint32_t lib)
{
	struct tls_secret sec = {.secret_len = len, .lib = lib};

	snprintf(sec.label, sizeof(sec.label), "%s", label);
	memcpy(sec.client_random, random, TLS_RANDOM_SIZE);
	if (len)
		memcpy(sec.secret, bytes, len);
	return sec;
}

/* What the misfit callback was told. */
struct misfits {
	int calls;
	uint32_t lib;
};

static inline void on_misfit(void *ctx, uint32_t lib)
{
	struct misfits *m = ctx;

	m->calls++;
	m->lib = lib;
}

#endif

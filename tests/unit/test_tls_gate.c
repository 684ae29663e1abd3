// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS gate: the ClientHello parser against the RFC 8448 "Simple 1-RTT
 * Handshake" ClientHello wrapped in hand-built Ethernet/VLAN/IPv4/IPv6/TCP
 * headers, cut at every length; and the hold/pass decisions over whole
 * handshakes (TLS 1.2, TLS 1.3, timeouts, early secrets, bounds).
 *
 * Every packet is checked from a heap copy of exactly its length, so a read
 * past cap_len shows under AddressSanitizer or valgrind. Exit status 0 means pass.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tls_gate.h"


/* ---- RFC 8448 section 3 ---- */

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

static uint8_t ch_rec[256], ch_random[32], sh_rec[128], flight[64], s_hs[32];
static size_t ch_len, sh_len, flight_len;

/* Application data and a change_cipher_spec, as a TLS 1.3 peer sends them. */
static const uint8_t app_data[] = {0x17, 0x03, 0x03, 0x00, 0x30, 0xde, 0xad, 0xbe, 0xef, 1, 2,
				   3,	 4,    5,    6,	   7,	 8,    9,    10,   11,	 12};
static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

static size_t unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;

	while (*hex && n < size) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		sscanf(hex, "%2hhx", &out[n++]);
		hex += 2;
	}
	return n;
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

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t ipv4_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t build_l2(uint8_t *p, const struct spec *sp)
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

static void addresses(const struct spec *sp, uint8_t *src, uint8_t *dst)
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

static size_t build_tcp(uint8_t *p, const struct spec *sp)
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
static size_t build_ext(uint8_t *p, const struct spec *sp)
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

static size_t build_ip(uint8_t *p, const struct spec *sp)
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

static size_t build(uint8_t *p, const struct spec *sp)
{
	size_t len = build_l2(p, sp);

	len += build_ip(p + len, sp);
	if (sp->pad) {
		memcpy(p + len, sp->pad_bytes, sp->pad);
		len += sp->pad;
	}
	return len;
}

static uint16_t linktype(const struct spec *sp)
{
	return sp->l2 == L2_RAW ? LINKTYPE_RAW : LINKTYPE_ETHERNET;
}

/* Parses a heap copy of exactly @cap_len bytes of the packet @sp. */
static int parse_cut(const struct spec *sp, size_t cap_len, struct tls_gate_pkt *pkt)
{
	uint8_t full[MAX_PKT];
	size_t len = build(full, sp);
	uint8_t *copy;
	int rc;

	if (cap_len > len)
		cap_len = len;
	copy = malloc(cap_len ? cap_len : 1);
	memcpy(copy, full, cap_len);
	rc = tls_gate_parse(copy, (uint32_t)cap_len, linktype(sp), pkt);
	free(copy);
	return rc;
}

static int parse(const struct spec *sp, struct tls_gate_pkt *pkt)
{
	return parse_cut(sp, MAX_PKT, pkt);
}

static bool has_rfc_random(const struct tls_gate_pkt *pkt)
{
	return pkt->client_hello && !memcmp(pkt->client_random, ch_random, 32);
}

/* ---- parser ---- */

static void test_parse_layers(void)
{
	static const enum l2 l2s[] = {L2_ETH, L2_VLAN, L2_QINQ, L2_RAW};
	static const char *const names[] = {"Ethernet", "802.1Q", "802.1ad+802.1Q", "raw"};
	struct tls_gate_pkt pkt;

	for (int fam = 4; fam <= 6; fam += 2) {
		for (size_t i = 0; i < 4; i++) {
			struct spec sp = {.l2 = l2s[i],
					  .family = fam,
					  .cport = 40000,
					  .payload = ch_rec,
					  .plen = ch_len};

			CHECK(parse(&sp, &pkt) == 0 && has_rfc_random(&pkt),
			      "ClientHello over %s IPv%d: random extracted", names[i], fam);
			CHECK_EQ(pkt.key.family, fam);
		}
	}

	/* IP and TCP options, and IPv6 extension headers before TCP. */
	struct spec opts = {.family = 4,
			    .cport = 40000,
			    .payload = ch_rec,
			    .plen = ch_len,
			    .ip_opt_words = 3,
			    .tcp_opt_words = 3};
	CHECK(parse(&opts, &pkt) == 0 && has_rfc_random(&pkt), "IPv4 and TCP options");

	struct spec ext = {.l2 = L2_RAW,
			   .family = 6,
			   .cport = 40000,
			   .payload = ch_rec,
			   .plen = ch_len,
			   .ext = {0, 60, 43, 44},
			   .n_ext = 4,
			   .more_frags = true};
	CHECK(parse(&ext, &pkt) == 0 && has_rfc_random(&pkt),
	      "IPv6 hop-by-hop, destination, routing, first-fragment headers");
	ext.ext[3] = 51; /* AH with a length field of 0: (0 + 2) * 4 = 8 bytes */
	CHECK(parse(&ext, &pkt) == 0 && has_rfc_random(&pkt), "IPv6 authentication header");

	/* Non-first fragments carry no TCP header. */
	struct spec frag4 = {
	    .family = 4, .cport = 40000, .payload = ch_rec, .plen = ch_len, .frag_off = 185};
	CHECK_EQ(parse(&frag4, &pkt), -1);
	frag4.frag_off = 0;
	frag4.more_frags = true;
	CHECK(parse(&frag4, &pkt) == 0 && has_rfc_random(&pkt), "IPv4 first fragment");
	struct spec frag6 = {.l2 = L2_RAW,
			     .family = 6,
			     .cport = 40000,
			     .payload = ch_rec,
			     .plen = ch_len,
			     .ext = {44},
			     .n_ext = 1,
			     .frag_off = 185};
	CHECK_EQ(parse(&frag6, &pkt), -1);

	/* Not TCP: UDP, ESP, no next header. */
	struct spec udp = {
	    .family = 4, .cport = 40000, .payload = ch_rec, .plen = ch_len, .ip_proto = 17};
	CHECK_EQ(parse(&udp, &pkt), -1);
	udp.family = 6;
	CHECK_EQ(parse(&udp, &pkt), -1);
	struct spec esp = {.family = 6,
			   .cport = 40000,
			   .payload = ch_rec,
			   .plen = ch_len,
			   .ext = {0},
			   .n_ext = 1,
			   .ip_proto = 50};
	CHECK_EQ(parse(&esp, &pkt), -1);

	/* Other link types and ethertypes. */
	uint8_t buf[MAX_PKT];
	struct spec sp = {.family = 4, .cport = 40000, .payload = ch_rec, .plen = ch_len};
	size_t len = build(buf, &sp);

	CHECK_EQ(tls_gate_parse(buf, (uint32_t)len, 113, &pkt), -1); /* Linux cooked */
	CHECK_EQ(tls_gate_parse(buf + 14, (uint32_t)len - 14, LINKTYPE_RAW, &pkt), 0);
	buf[12] = 0x08;
	buf[13] = 0x06; /* ARP */
	CHECK_EQ(tls_gate_parse(buf, (uint32_t)len, LINKTYPE_ETHERNET, &pkt), -1);
	CHECK_EQ(tls_gate_parse(buf, 0, LINKTYPE_ETHERNET, &pkt), -1);
	CHECK_EQ(tls_gate_parse(buf, 0, LINKTYPE_RAW, &pkt), -1);
}

static void test_parse_key(void)
{
	struct spec a = {.family = 4, .cport = 40000, .payload = ch_rec, .plen = ch_len};
	struct spec b = a;
	struct tls_gate_pkt pa, pb;

	b.reply = true;
	b.payload = app_data;
	b.plen = sizeof(app_data);
	CHECK(parse(&a, &pa) == 0 && parse(&b, &pb) == 0 && !pb.client_hello, "both directions");
	CHECK(!memcmp(&pa.key, &pb.key, sizeof(pa.key)), "the same key for both directions");
	/* 198.18.0.1 (client) < 198.18.0.2 (server): the client's end comes first. */
	CHECK_EQ(pa.key.port_lo, 40000);
	CHECK_EQ(pa.key.port_hi, 443);

	/* One address at both ends (loopback): the ports decide the order. */
	a.same_addr = b.same_addr = true;
	CHECK(parse(&a, &pa) == 0 && parse(&b, &pb) == 0, "loopback");
	CHECK(!memcmp(&pa.key, &pb.key, sizeof(pa.key)), "the same key on loopback");
	CHECK_EQ(pa.key.port_lo, 443);
	a.cport = b.cport = 80;
	CHECK(parse(&a, &pa) == 0 && parse(&b, &pb) == 0, "loopback, low client port");
	CHECK(!memcmp(&pa.key, &pb.key, sizeof(pa.key)), "the same key, low client port");
	CHECK_EQ(pa.key.port_lo, 80);
	a.same_addr = b.same_addr = false;
	CHECK_EQ(parse(&a, &pa), 0);

	b.cport = 81;
	CHECK(parse(&b, &pb) == 0 && memcmp(&pa.key, &pb.key, sizeof(pa.key)),
	      "another port, another key");
	b = a;
	b.family = 6;
	CHECK(parse(&b, &pb) == 0 && memcmp(&pa.key, &pb.key, sizeof(pa.key)),
	      "another family, another key");
	b = a;
	b.l2 = L2_VLAN;
	CHECK(parse(&b, &pb) == 0 && !memcmp(&pa.key, &pb.key, sizeof(pa.key)),
	      "the VLAN tag is not part of the key");
}

/* Every cut of the capture either finds no ClientHello or the right random, never more. */
static void test_parse_truncated(void)
{
	static const struct spec specs[] = {
	    {.l2 = L2_ETH, .family = 4, .cport = 40000},
	    {.l2 = L2_QINQ, .family = 6, .cport = 40000, .ext = {0}, .n_ext = 1},
	    {.l2 = L2_RAW, .family = 6, .cport = 40000},
	};
	static const size_t payload_off[] = {14 + 20 + 20, 22 + 40 + 8 + 20, 40 + 20};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct spec sp = specs[i];
		size_t full, bad = 0;
		uint8_t buf[MAX_PKT];

		sp.payload = ch_rec;
		sp.plen = ch_len;
		full = build(buf, &sp);
		CHECK_EQ(full, payload_off[i] + ch_len);
		for (size_t cut = 0; cut <= full; cut++) {
			struct tls_gate_pkt pkt;
			int rc = parse_cut(&sp, cut, &pkt);
			bool want = cut >= payload_off[i] + 11 + 32;

			if (rc == 0 ? pkt.client_hello != want || (want && !has_rfc_random(&pkt))
				    : want)
				bad++;
		}
		CHECK(bad == 0, "spec %zu: %zu cuts misparsed", i, bad);
	}

	/* The record itself cut short: the TCP payload is all there is. */
	for (size_t plen = 0; plen < ch_len; plen++) {
		struct spec sp = {.family = 4, .cport = 40000, .payload = ch_rec, .plen = plen};
		struct tls_gate_pkt pkt;

		if (parse(&sp, &pkt) || pkt.client_hello != (plen >= 43)) {
			CHECK(false, "payload of %zu bytes", plen);
			break;
		}
	}
}

static void test_parse_not_client_hello(void)
{
	struct spec sp = {.family = 4, .cport = 40000};
	struct tls_gate_pkt pkt;
	uint8_t rec[256];

	sp.payload = sh_rec;
	sp.plen = sh_len;
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "ServerHello");
	sp.payload = app_data;
	sp.plen = sizeof(app_data);
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "application data");
	sp.payload = ccs;
	sp.plen = sizeof(ccs);
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "change_cipher_spec");
	sp.payload = NULL;
	sp.plen = 0;
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "no payload");

	/* One field off at a time. */
	static const struct {
		size_t at;
		uint8_t val;
		const char *what;
	} muts[] = {
	    {0, 0x17, "content type application_data"},
	    {1, 0x02, "record version 2.x"},
	    {2, 0x05, "record version 3.5"},
	    {3, 0x40, "record longer than 2^14"},
	    {5, 0x02, "handshake type ServerHello"},
	    {9, 0x02, "legacy_version 2.x"},
	};
	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		memcpy(rec, ch_rec, ch_len);
		rec[muts[i].at] = muts[i].val;
		sp.payload = rec;
		sp.plen = ch_len;
		CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "%s", muts[i].what);
	}
	memcpy(rec, ch_rec, ch_len);
	rec[3] = 0;
	rec[4] = 37; /* a record too short to hold the random */
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "record too short for the random");
	memcpy(rec, ch_rec, ch_len);
	rec[6] = rec[7] = 0;
	rec[8] = 34; /* a handshake message too short for legacy_version, random and session id */
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "ClientHello too short");
	/* The record must start the payload. */
	rec[0] = 0;
	memcpy(rec + 1, ch_rec, ch_len);
	sp.plen = ch_len + 1;
	CHECK(parse(&sp, &pkt) == 0 && !pkt.client_hello, "ClientHello not at the start");

	/*
	 * Ethernet padding after a short IP packet is not TCP payload, even when
	 * it looks like a ClientHello.
	 */
	struct spec pad = {.family = 4, .cport = 40000, .pad = ch_len, .pad_bytes = ch_rec};
	CHECK(parse(&pad, &pkt) == 0 && !pkt.client_hello, "IPv4 Ethernet padding");
	pad.family = 6;
	CHECK(parse(&pad, &pkt) == 0 && !pkt.client_hello, "IPv6 Ethernet padding");
}

/* ---- the gate ---- */

#define MS	 1000000ULL
#define T0	 1700000000000000000ULL
#define MAX_WAIT (1000 * MS)

static uint8_t random_b[32];

/*
 * Checks a heap copy of exactly the packet's length. The same packet checked
 * again is the same buffer, as in the capture loop, which keeps a held packet
 * where it is.
 */
static enum gate_verdict check_spec(struct tls_gate *g, const struct spec *sp, uint64_t ts,
				    uint64_t now)
{
	static uint8_t *copy;
	static size_t copy_len;
	uint8_t full[MAX_PKT];
	size_t len = build(full, sp);

	if (!copy || len != copy_len || memcmp(copy, full, len)) {
		free(copy);
		copy = malloc(len);
		copy_len = len;
		memcpy(copy, full, len);
	}
	return tls_gate_check(g, copy, (uint32_t)len, linktype(sp), ts, now, true);
}

/* A ClientHello from client port @cport with @random, or the RFC's random when NULL. */
static struct spec hello(uint16_t cport, const uint8_t *random, uint8_t *buf)
{
	struct spec sp = {.family = 4, .cport = cport, .payload = ch_rec, .plen = ch_len};

	if (random) {
		memcpy(buf, ch_rec, ch_len);
		memcpy(buf + 11, random, 32);
		sp.payload = buf;
	}
	return sp;
}

static struct spec data_pkt(uint16_t cport, bool reply)
{
	return (struct spec){.family = 4,
			     .cport = cport,
			     .reply = reply,
			     .payload = app_data,
			     .plen = sizeof(app_data)};
}

static struct tls_gate_stats stats(const struct tls_gate *g)
{
	struct tls_gate_stats st;

	tls_gate_get_stats(g, &st);
	return st;
}

/* A secret as the TLS source hands it over, made by the library @lib. */
static void secret_bytes(struct tls_gate *g, const uint8_t *random, const char *label,
			 const uint8_t *bytes, uint32_t len, uint32_t lib)
{
	struct tls_secret sec = {.secret_len = len, .lib = lib};

	snprintf(sec.label, sizeof(sec.label), "%s", label);
	memcpy(sec.client_random, random, TLS_RANDOM_SIZE);
	if (len)
		memcpy(sec.secret, bytes, len);
	tls_gate_secret(g, &sec);
}

/* A secret whose value does not matter. */
static void secret_in(struct tls_gate *g, const uint8_t *random, const char *label)
{
	static const uint8_t any[32] = {1};

	secret_bytes(g, random, label, any, sizeof(any), 0);
}

static void test_tls13(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40000, NULL, NULL);
	struct spec sh = {
	    .family = 4, .cport = 40000, .reply = true, .payload = sh_rec, .plen = sh_len};
	struct spec reply = data_pkt(40000, true), req = data_pkt(40000, false);
	uint8_t buf[MAX_PKT];
	size_t sh_pkt_len = build(buf, &sh);
	uint8_t *held = malloc(sh_pkt_len);

	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);
	CHECK_EQ(check_spec(g, &ch, T0, T0 + MS), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + MAX_WAIT);
	CHECK_EQ(stats(g).flows_waiting, 1);

	/* The server's answer waits, checked as often as the loop likes; one packet held. */
	memcpy(held, buf, sh_pkt_len);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(tls_gate_check(g, held, (uint32_t)sh_pkt_len, LINKTYPE_ETHERNET, T0 + MS,
					T0 + (2 + i) * MS, true),
			 GATE_HOLD);
	CHECK_EQ(stats(g).packets_held, 1);
	/* A later packet of the flow, the client's direction, would be held too. */
	CHECK_EQ(check_spec(g, &req, T0 + 3 * MS, T0 + 8 * MS), GATE_HOLD);
	CHECK_EQ(stats(g).packets_held, 2);

	/* Secrets of other connections and the handshake secrets do not release it. */
	secret_in(g, random_b, "CLIENT_TRAFFIC_SECRET_0");
	secret_in(g, random_b, "SERVER_TRAFFIC_SECRET_0");
	secret_in(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
	secret_in(g, ch_random, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
	secret_in(g, ch_random, "CLIENT_TRAFFIC_SECRET_0");
	secret_in(g, ch_random, "EXPORTER_SECRET");
	CHECK_EQ(
	    tls_gate_check(g, held, (uint32_t)sh_pkt_len, LINKTYPE_ETHERNET, T0 + MS, T0 + 10 * MS, true),
	    GATE_HOLD);
	CHECK_EQ(stats(g).packets_held, 2);
	secret_in(g, ch_random, "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(
	    tls_gate_check(g, held, (uint32_t)sh_pkt_len, LINKTYPE_ETHERNET, T0 + MS, T0 + 11 * MS, true),
	    GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + 4 * MS, T0 + 12 * MS), GATE_PASS);
	CHECK_EQ(check_spec(g, &req, T0 + 5 * MS, T0 + 12 * MS), GATE_PASS);

	struct tls_gate_stats st = stats(g);
	CHECK_EQ(st.packets_held, 2);
	CHECK_EQ(st.flows_waited, 1);
	CHECK_EQ(st.flows_completed, 1);
	CHECK_EQ(st.flows_timed_out, 0);
	CHECK_EQ(st.flows_waiting, 0);
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);
	free(held);
	tls_gate_free(g);
}

static void test_tls12(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	uint8_t buf[MAX_PKT];
	struct spec ch = hello(40001, random_b, buf);
	struct spec reply = data_pkt(40001, true);

	ch.l2 = L2_VLAN;
	reply.l2 = L2_VLAN;
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + MS), GATE_HOLD);
	secret_in(g, random_b, "CLIENT_RANDOM");
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + 2 * MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_completed, 1);
	CHECK_EQ(stats(g).packets_held, 1);
	tls_gate_free(g);
}

static void test_ipv6(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = {
	    .l2 = L2_RAW, .family = 6, .cport = 50000, .payload = ch_rec, .plen = ch_len};
	struct spec reply = {.l2 = L2_RAW,
			     .family = 6,
			     .cport = 50000,
			     .reply = true,
			     .payload = app_data,
			     .plen = sizeof(app_data),
			     .ext = {60},
			     .n_ext = 1};
	struct spec v4 = data_pkt(50000, true);

	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + MS), GATE_HOLD);
	CHECK_EQ(check_spec(g, &v4, T0 + MS, T0 + MS), GATE_PASS); /* same ports, IPv4 */
	secret_in(g, ch_random, "CLIENT_TRAFFIC_SECRET_0");
	secret_in(g, ch_random, "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + 2 * MS), GATE_PASS);
	tls_gate_free(g);
}

static void test_timeout(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40002, NULL, NULL);
	struct spec reply = data_pkt(40002, true);

	CHECK_EQ(check_spec(g, &ch, T0, T0 + 5 * MS), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + 10 * MS, T0 + 500 * MS), GATE_HOLD);
	CHECK_EQ(check_spec(g, &reply, T0 + 10 * MS, T0 + MAX_WAIT - 1), GATE_HOLD);
	CHECK_U64(tls_gate_deadline(g), T0 + MAX_WAIT);
	/* At the deadline the packet goes out (never dropped), and the flow stops waiting. */
	CHECK_EQ(check_spec(g, &reply, T0 + 10 * MS, T0 + MAX_WAIT), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + 20 * MS, T0 + MAX_WAIT + 1), GATE_PASS);
	CHECK_EQ(stats(g).flows_timed_out, 1);
	CHECK_EQ(stats(g).flows_waiting, 0);
	CHECK_EQ(stats(g).packets_held, 1);
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);
	/* Its secrets arriving late change nothing. */
	secret_in(g, ch_random, "CLIENT_RANDOM");
	CHECK_EQ(stats(g).flows_completed, 0);

	/* Expiry without a packet to check: the loop's wakeup at the deadline. */
	CHECK_EQ(check_spec(g, &ch, T0 + 2 * MAX_WAIT, T0 + 2 * MAX_WAIT), GATE_PASS);
	CHECK_EQ(stats(g).flows_ready, 1); /* CLIENT_RANDOM above is remembered */
	uint8_t buf[MAX_PKT];
	struct spec ch2 = hello(40003, random_b, buf);
	CHECK_EQ(check_spec(g, &ch2, T0 + 2 * MAX_WAIT, T0 + 2 * MAX_WAIT), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + 3 * MAX_WAIT);
	tls_gate_expire(g, T0 + 3 * MAX_WAIT - 1);
	CHECK_EQ(stats(g).flows_waiting, 1);
	tls_gate_expire(g, T0 + 3 * MAX_WAIT);
	CHECK_EQ(stats(g).flows_waiting, 0);
	CHECK_EQ(stats(g).flows_timed_out, 2);
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);

	/* A ClientHello seen after its whole wait has passed does not wait at all. */
	struct spec ch3 = hello(40004, random_b, buf);
	struct spec reply3 = data_pkt(40004, true);
	CHECK_EQ(check_spec(g, &ch3, T0, T0 + 5 * MAX_WAIT), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply3, T0 + 1, T0 + 5 * MAX_WAIT), GATE_PASS);
	CHECK_EQ(stats(g).flows_timed_out, 3);
	CHECK_EQ(stats(g).flows_waiting, 0);
	tls_gate_free(g);
}

static void test_secrets_first(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	uint8_t buf[MAX_PKT];
	struct spec ch = hello(40005, NULL, NULL);
	struct spec reply = data_pkt(40005, true);

	/* The server derives its secrets before the ClientHello leaves the reorder window. */
	secret_in(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
	secret_in(g, ch_random, "SERVER_TRAFFIC_SECRET_0");
	secret_in(g, ch_random, "CLIENT_TRAFFIC_SECRET_0");
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_ready, 1);
	CHECK_EQ(stats(g).flows_waited, 0);
	CHECK_EQ(stats(g).packets_held, 0);
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);

	/* Half of them first: the flow waits for the rest only. */
	struct spec ch2 = hello(40006, random_b, buf);
	struct spec reply2 = data_pkt(40006, true);
	secret_in(g, random_b, "CLIENT_TRAFFIC_SECRET_0");
	CHECK_EQ(check_spec(g, &ch2, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply2, T0 + MS, T0 + MS), GATE_HOLD);
	secret_in(g, random_b, "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(check_spec(g, &reply2, T0 + MS, T0 + 2 * MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_completed, 1);
	tls_gate_free(g);
}

static void test_unrelated(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40007, NULL, NULL);
	struct spec other = data_pkt(40008, true);
	struct spec plain = {
	    .family = 6, .cport = 8080, .payload = app_data, .plen = sizeof(app_data)};
	struct spec udp = data_pkt(40007, true);
	uint8_t arp[42] = {[12] = 0x08, [13] = 0x06};

	udp.ip_proto = 17;
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &other, T0 + 1, T0 + 1), GATE_PASS);
	CHECK_EQ(check_spec(g, &plain, T0 + 2, T0 + 2), GATE_PASS);
	CHECK_EQ(check_spec(g, &udp, T0 + 3, T0 + 3), GATE_PASS);
	CHECK_EQ(tls_gate_check(g, arp, sizeof(arp), LINKTYPE_ETHERNET, T0 + 4, T0 + 4, true), GATE_PASS);
	CHECK_EQ(stats(g).packets_held, 0);
	CHECK_EQ(stats(g).flows_waiting, 1);
	tls_gate_free(g);
}

static void test_deadlines(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	uint8_t buf[MAX_PKT];
	struct spec ch1 = hello(40010, NULL, NULL);
	struct spec ch2 = hello(40011, random_b, buf);

	CHECK_EQ(check_spec(g, &ch2, T0 + 5 * MS, T0 + 6 * MS), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + 5 * MS + MAX_WAIT);
	/* Out of order on purpose: the deadline is the earliest, not the latest added. */
	CHECK_EQ(check_spec(g, &ch1, T0, T0 + 6 * MS), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + MAX_WAIT);
	secret_in(g, ch_random, "CLIENT_RANDOM");
	CHECK_U64(tls_gate_deadline(g), T0 + 5 * MS + MAX_WAIT);
	secret_in(g, random_b, "CLIENT_RANDOM");
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);
	tls_gate_free(g);

	/* A wait that would end past the end of time ends there. */
	g = tls_gate_new(UINT64_MAX);
	CHECK_EQ(check_spec(g, &ch1, T0, T0), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);
	CHECK_EQ(stats(g).flows_waiting, 1);
	tls_gate_free(g);
}

static void test_hello_again(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	uint8_t buf[MAX_PKT];
	struct spec ch = hello(40020, NULL, NULL);
	struct spec ch_new = hello(40020, random_b, buf);
	struct spec reply = data_pkt(40020, true);

	/* Checked twice, and then the second ClientHello after a HelloRetryRequest. */
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &ch, T0, T0 + MS), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + MS), GATE_HOLD);
	CHECK_EQ(check_spec(g, &ch, T0 + 100 * MS, T0 + 100 * MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_waited, 1);
	CHECK_EQ(stats(g).flows_waiting, 1);
	CHECK_U64(tls_gate_deadline(g), T0 + 100 * MS + MAX_WAIT);

	/* A new connection on the same ports: its own random counts from now on. */
	CHECK_EQ(check_spec(g, &ch_new, T0 + 200 * MS, T0 + 200 * MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_replaced, 1);
	CHECK_EQ(stats(g).flows_waiting, 1);
	secret_in(g, ch_random, "CLIENT_RANDOM");
	CHECK_EQ(check_spec(g, &reply, T0 + 201 * MS, T0 + 201 * MS), GATE_HOLD);
	secret_in(g, random_b, "CLIENT_RANDOM");
	CHECK_EQ(check_spec(g, &reply, T0 + 201 * MS, T0 + 202 * MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_completed, 1);
	CHECK_EQ(stats(g).flows_waiting, 0);
	tls_gate_free(g);
}

/* One random on two 5-tuples (both sides of a NAT): one secret releases both. */
static void test_shared_random(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch1 = hello(40030, NULL, NULL), ch2 = hello(40031, NULL, NULL);
	struct spec ch3 = hello(40032, NULL, NULL);
	struct spec r1 = data_pkt(40030, true), r2 = data_pkt(40031, true);
	struct spec r3 = data_pkt(40032, true);

	CHECK_EQ(check_spec(g, &ch1, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &ch2, T0 + 1, T0 + 1), GATE_PASS);
	CHECK_EQ(check_spec(g, &ch3, T0 + 2, T0 + 2), GATE_PASS);
	CHECK_EQ(stats(g).flows_waiting, 3);
	CHECK_EQ(check_spec(g, &r2, T0 + 3, T0 + 3), GATE_HOLD);
	/* Replacing the middle one's random leaves the others chained. */
	uint8_t buf[MAX_PKT];
	struct spec ch2b = hello(40031, random_b, buf);
	CHECK_EQ(check_spec(g, &ch2b, T0 + 4, T0 + 4), GATE_PASS);
	secret_in(g, ch_random, "CLIENT_RANDOM");
	CHECK_EQ(check_spec(g, &r1, T0 + 5, T0 + 5), GATE_PASS);
	CHECK_EQ(check_spec(g, &r3, T0 + 5, T0 + 5), GATE_PASS);
	CHECK_EQ(check_spec(g, &r2, T0 + 5, T0 + 5), GATE_HOLD);
	CHECK_EQ(stats(g).flows_completed, 2);
	secret_in(g, random_b, "CLIENT_RANDOM");
	CHECK_EQ(check_spec(g, &r2, T0 + 5, T0 + 6), GATE_PASS);
	CHECK_EQ(stats(g).flows_completed, 3);
	CHECK_EQ(stats(g).flows_waiting, 0);
	tls_gate_free(g);
}

static void test_no_wait(void)
{
	struct tls_gate *g = tls_gate_new(0);
	struct spec ch = hello(40040, NULL, NULL);
	struct spec reply = data_pkt(40040, true);

	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + 1, T0 + 1), GATE_PASS);
	CHECK_EQ(stats(g).flows_waiting, 0);
	CHECK_U64(tls_gate_deadline(g), UINT64_MAX);
	tls_gate_free(g);
	tls_gate_free(NULL);
}

/* A distinct random per @n. */
static void numbered_random(uint32_t n, uint8_t *random)
{
	memset(random, 0x77, 32);
	memcpy(random, &n, sizeof(n));
}

static void test_bounds(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	uint8_t rec[256], random[32], first[32];
	struct spec sp = {.l2 = L2_RAW, .family = 6, .payload = rec, .plen = ch_len};
	struct tls_gate_stats st;

	/* As many waiting flows as allowed, and then some that pass without waiting. */
	memcpy(rec, ch_rec, ch_len);
	for (uint32_t i = 0; i < TLS_GATE_MAX_FLOWS + 3; i++) {
		numbered_random(i, rec + 11);
		sp.cport = (uint16_t)(i & 0xffff);
		sp.addr_last = (uint8_t)(1 + (i >> 16));
		check_spec(g, &sp, T0 + i, T0 + i);
	}
	st = stats(g);
	CHECK_EQ(st.flows_waiting, TLS_GATE_MAX_FLOWS);
	CHECK_EQ(st.flows_overflow, 3);
	sp.payload = app_data;
	sp.plen = sizeof(app_data);
	sp.reply = true;
	CHECK_EQ(check_spec(g, &sp, T0 + MS, T0 + MS), GATE_PASS); /* the last, not waiting */
	sp.cport = 0;
	sp.addr_last = 1;
	CHECK_EQ(check_spec(g, &sp, T0 + MS, T0 + MS), GATE_HOLD); /* the first, waiting */
	/* They all time out together; the table is usable again. */
	tls_gate_expire(g, T0 + 2 * MAX_WAIT);
	CHECK_EQ(stats(g).flows_waiting, 0);
	CHECK_EQ(stats(g).flows_timed_out, TLS_GATE_MAX_FLOWS);
	tls_gate_free(g);

	/*
	 * Secrets remembered for the last TLS_GATE_RANDOMS randoms only; a flow
	 * that waits keeps what it learnt even when the ring forgets its random.
	 */
	g = tls_gate_new(MAX_WAIT);
	numbered_random(0, first);
	struct spec ch = {.family = 4, .cport = 40050, .payload = rec, .plen = ch_len};
	struct spec reply = data_pkt(40050, true);
	memcpy(rec, ch_rec, ch_len);
	memcpy(rec + 11, ch_rec + 11, 32);
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS); /* waits on the RFC random */
	secret_in(g, ch_random, "CLIENT_TRAFFIC_SECRET_0");
	for (uint32_t i = 0; i < TLS_GATE_RANDOMS + 1; i++) {
		numbered_random(i, random);
		secret_in(g, random, "CLIENT_RANDOM");
	}
	secret_in(g, ch_random, "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(check_spec(g, &reply, T0 + 1, T0 + 1), GATE_PASS);
	CHECK_EQ(stats(g).flows_completed, 1);

	/* The first numbered random is forgotten, the last is not. */
	memcpy(rec + 11, first, 32);
	ch.cport = 40051;
	CHECK_EQ(check_spec(g, &ch, T0 + 2, T0 + 2), GATE_PASS);
	CHECK_EQ(stats(g).flows_waiting, 1);
	numbered_random(TLS_GATE_RANDOMS, rec + 11);
	ch.cport = 40052;
	CHECK_EQ(check_spec(g, &ch, T0 + 3, T0 + 3), GATE_PASS);
	CHECK_EQ(stats(g).flows_ready, 1);
	CHECK_EQ(stats(g).flows_waiting, 1);
	tls_gate_free(g);
}

/* Held packets are counted once each, however often they are checked. */
static void test_held_count(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40060, NULL, NULL);
	struct spec a = data_pkt(40060, true), b = data_pkt(40060, false);
	uint8_t pa[MAX_PKT], pb[MAX_PKT];
	uint32_t la = (uint32_t)build(pa, &a), lb = (uint32_t)build(pb, &b);

	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	for (int i = 0; i < 10; i++)
		tls_gate_check(g, pa, la, LINKTYPE_ETHERNET, T0 + 1, T0 + 1 + i, true);
	CHECK_EQ(stats(g).packets_held, 1);
	/* An earlier packet slipped in ahead of it, then the first is back at the head. */
	tls_gate_check(g, pb, lb, LINKTYPE_ETHERNET, T0 + 0, T0 + 20, true);
	tls_gate_check(g, pa, la, LINKTYPE_ETHERNET, T0 + 1, T0 + 21, true);
	tls_gate_check(g, pb, lb, LINKTYPE_ETHERNET, T0 + 0, T0 + 22, true);
	CHECK_EQ(stats(g).packets_held, 2);
	/* The same buffer later holds another packet: a new one. */
	tls_gate_check(g, pa, la, LINKTYPE_ETHERNET, T0 + 2, T0 + 23, true);
	CHECK_EQ(stats(g).packets_held, 3);
	tls_gate_free(g);
}

/* A ClientHello whose secrets will not come (another user's) starts no wait. */
static void test_may_not_wait(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40001, NULL, NULL), reply = data_pkt(40001, true);
	uint8_t buf[MAX_PKT];
	size_t len = build(buf, &ch);

	CHECK_EQ(tls_gate_check(g, buf, (uint32_t)len, LINKTYPE_ETHERNET, T0, T0, false),
		 GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_waited, 0);
	CHECK_EQ(stats(g).packets_held, 0);
	tls_gate_free(g);
}

/* ---- the secret check ---- */

static const uint8_t ccs_rec[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

/* The server's first segment: ServerHello, [ChangeCipherSpec], the first @n bytes of the flight. */
static size_t server_flight(uint8_t *buf, bool with_ccs, size_t n)
{
	size_t len = sh_len;

	memcpy(buf, sh_rec, sh_len);
	if (with_ccs) {
		memcpy(buf + len, ccs_rec, sizeof(ccs_rec));
		len += sizeof(ccs_rec);
	}
	memcpy(buf + len, flight, n);
	return len + n;
}

static void test_parse_server_hello(void)
{
	struct spec sp = {.family = 4, .cport = 40100, .reply = true};
	struct tls_gate_pkt pkt;
	uint8_t buf[256];

	sp.payload = sh_rec;
	sp.plen = sh_len;
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_TLS13 && !pkt.has_record,
	      "RFC 8448 ServerHello alone: TLS 1.3, no record");
	CHECK_EQ(pkt.cipher_suite, 0x1301);

	sp.payload = buf;
	sp.plen = server_flight(buf, true, flight_len);
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_TLS13 && pkt.has_record &&
		  !memcmp(pkt.record, flight, TLS13_PEEK_LEN),
	      "ServerHello, ChangeCipherSpec, record");
	sp.plen = server_flight(buf, false, flight_len);
	CHECK(parse(&sp, &pkt) == 0 && pkt.has_record && !memcmp(pkt.record, flight, TLS13_PEEK_LEN),
	      "ServerHello, record");
	CHECK(!pkt.from_lo, "the server (198.18.0.2:443) is the _hi end");

	/* Every cut: a record only when all 21 bytes are there; a ServerHello cut short says so. */
	size_t full = server_flight(buf, true, TLS13_PEEK_LEN), bad = 0;
	for (size_t cut = 0; cut <= full; cut++) {
		enum tls_server_hello want = cut < 9 ? SH_NONE : cut < sh_len ? SH_CUT : SH_TLS13;

		sp.plen = cut;
		if (parse(&sp, &pkt) || pkt.server_hello != want || pkt.has_record != (cut == full))
			bad++;
	}
	CHECK(bad == 0, "%zu cuts of ServerHello, ChangeCipherSpec, record misparsed", bad);

	/* A HelloRetryRequest is a ServerHello with a fixed random. */
	static const uint8_t hrr_random[32] = {
	    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
	server_flight(buf, true, flight_len);
	memcpy(buf + 11, hrr_random, 32);
	sp.plen = sh_len + sizeof(ccs_rec);
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_RETRY, "HelloRetryRequest");

	/* TLS 1.2: no supported_versions, or another version in it. */
	static const uint8_t sh12[] = {0x16, 0x03, 0x03, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26, 0x03,
				       0x03, [43] = 0x00, 0xc0, 0x2f, 0x00};
	sp.payload = sh12;
	sp.plen = sizeof(sh12);
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_TLS12 && pkt.cipher_suite == 0xc02f,
	      "TLS 1.2 ServerHello without extensions");
	sp.payload = buf;
	server_flight(buf, true, flight_len);
	buf[sh_len - 1] = 0x03; /* supported_versions: 0x0303 */
	sp.plen = sh_len + sizeof(ccs_rec) + flight_len;
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_TLS12 && !pkt.has_record,
	      "supported_versions 0x0303");
	/* An extension longer than the block: not a ServerHello we read. */
	server_flight(buf, true, flight_len);
	buf[sh_len - 5] = 0x10;
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_TLS12, "extension overruns");
	server_flight(buf, true, flight_len);
	buf[9 + 2 + 32] = 33; /* session id longer than 32 */
	CHECK(parse(&sp, &pkt) == 0 && pkt.server_hello == SH_NONE, "session id too long");
}

struct misfits {
	int calls;
	uint32_t lib;
};

static void on_misfit(void *ctx, uint32_t lib)
{
	struct misfits *m = ctx;

	m->calls++;
	m->lib = lib;
}

/*
 * One TLS 1.3 connection from RFC 8448's messages: ClientHello, then the
 * server's segment, and the server handshake secret @secret before
 * (@secret_first) or after the packets.
 */
static struct tls_gate_stats run_handshake(const uint8_t *server_payload, size_t server_len,
					   const uint8_t *secret, bool secret_first,
					   struct misfits *m)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40100, NULL, NULL);
	struct spec sh = {.family = 4,
			  .cport = 40100,
			  .reply = true,
			  .payload = server_payload,
			  .plen = server_len};
	struct tls_gate_stats st;

	tls_gate_on_misfit(g, on_misfit, m);
	if (secret_first)
		secret_bytes(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secret, 32, 7);
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	check_spec(g, &sh, T0 + MS, T0 + MS);
	check_spec(g, &sh, T0 + MS, T0 + 2 * MS); /* held and checked again: checked once */
	if (!secret_first)
		secret_bytes(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secret, 32, 7);
	secret_bytes(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secret, 32, 7);
	st = stats(g);
	tls_gate_free(g);
	return st;
}

static void test_check_flight(void)
{
	uint8_t buf[256], wrong[32];
	size_t len = server_flight(buf, true, flight_len);
	struct misfits m = {0};
	struct tls_gate_stats st;

	for (int first = 0; first < 2; first++) {
		st = run_handshake(buf, len, s_hs, first, &m);
		CHECK(st.handshakes_verified == 1 && st.handshakes_failed == 0 &&
			  st.handshakes_unverified == 0 && m.calls == 0,
		      "right secret (%s the packets): verified", first ? "before" : "after");

		memcpy(wrong, s_hs, 32);
		wrong[31] ^= 1;
		st = run_handshake(buf, len, wrong, first, &m);
		CHECK(st.handshakes_verified == 0 && st.handshakes_failed == 1 && m.calls == 1 &&
			  m.lib == 7,
		      "wrong secret (%s the packets): failed, library 7 told once",
		      first ? "before" : "after");
		m.calls = 0;
	}

	/* The record starts in the next segment: nothing to check against. */
	st = run_handshake(buf, sh_len + sizeof(ccs_rec) + 20, s_hs, false, &m);
	CHECK(st.handshakes_verified == 0 && st.handshakes_failed == 0 &&
		  st.handshakes_unverified == 1,
	      "record not in the segment: unverified");
	/* A ServerHello cut short: the same. */
	st = run_handshake(buf, sh_len - 1, s_hs, false, &m);
	CHECK(st.handshakes_unverified == 1 && st.handshakes_failed == 0, "ServerHello cut short");

	/* A suite we do not know (TLS_AES_128_CCM_SHA256) is not checked. */
	server_flight(buf, true, flight_len);
	buf[9 + 2 + 32 + 1 + 0 + 1] = 0x04; /* session id is 0 bytes: the suite's low byte */
	st = run_handshake(buf, len, s_hs, false, &m);
	CHECK(st.handshakes_unverified == 1 && st.handshakes_failed == 0, "CCM suite");
	CHECK_EQ(m.calls, 0);
}

static void test_check_tls12_and_retry(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct misfits m = {0};
	uint8_t buf[256], hrr[256];
	size_t len = server_flight(buf, true, flight_len);
	struct spec ch = hello(40110, NULL, NULL);
	struct spec sh = {.family = 4, .cport = 40110, .reply = true, .payload = buf, .plen = len};
	struct spec ack = {.family = 4, .cport = 40110, .reply = true};
	struct spec cdata = data_pkt(40110, false);

	/* A TLS 1.2 connection: its ServerHello ends the check, with nothing counted. */
	tls_gate_on_misfit(g, on_misfit, &m);
	buf[sh_len - 1] = 0x03;
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	check_spec(g, &sh, T0 + 1, T0 + 1);
	secret_in(g, ch_random, "CLIENT_RANDOM");
	CHECK(stats(g).handshakes_verified + stats(g).handshakes_failed +
		      stats(g).handshakes_unverified == 0,
	      "TLS 1.2: not checked");

	/*
	 * HelloRetryRequest: the server's bare ACK, the client's data and the
	 * retry are not the ServerHello; the second ClientHello keeps the random.
	 */
	struct spec ch2 = hello(40111, NULL, NULL);
	struct spec ack2 = ack, cdata2 = cdata;
	struct spec retry = {.family = 4, .cport = 40111, .reply = true, .payload = hrr};
	ack2.cport = cdata2.cport = 40111;
	server_flight(hrr, true, 0);
	memcpy(hrr + 11, (const uint8_t[]){0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d,
					   0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16,
					   0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
					   0x33, 0x9c},
	       32);
	retry.plen = sh_len + sizeof(ccs_rec);
	server_flight(buf, true, flight_len);
	sh.cport = 40111;
	check_spec(g, &ch2, T0 + 10, T0 + 10);
	check_spec(g, &ack2, T0 + 11, T0 + 11);
	check_spec(g, &cdata2, T0 + 12, T0 + 12);
	check_spec(g, &retry, T0 + 13, T0 + 13);
	check_spec(g, &ch2, T0 + 14, T0 + 14);
	check_spec(g, &sh, T0 + 15, T0 + 15);
	secret_bytes(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	CHECK_EQ(stats(g).handshakes_verified, 1);
	CHECK_EQ(stats(g).handshakes_failed, 0);
	CHECK_EQ(m.calls, 0);

	/* Another connection's secret checks nothing here; secrets without bytes neither. */
	secret_bytes(g, random_b, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	CHECK_EQ(stats(g).handshakes_verified, 1);
	tls_gate_free(g);
}

int main(void)
{
	ch_len = unhex(rfc8448_client_hello, ch_rec, sizeof(ch_rec));
	sh_len = unhex(rfc8448_server_hello, sh_rec, sizeof(sh_rec));
	CHECK_EQ(ch_len, 201);
	CHECK_EQ(sh_len, 95);
	CHECK_EQ(unhex(rfc8448_random, ch_random, sizeof(ch_random)), 32);
	/* The RFC's random is where the record says: right after legacy_version. */
	CHECK(!memcmp(ch_rec + 11, ch_random, 32), "RFC 8448 random at offset 11");
	numbered_random(0xabcdef, random_b);
	flight_len = unhex(rfc8448_flight, flight, sizeof(flight));
	CHECK_EQ(flight_len, 33);
	CHECK_EQ(unhex(rfc8448_s_hs, s_hs, sizeof(s_hs)), 32);

	test_parse_layers();
	test_parse_key();
	test_parse_truncated();
	test_parse_not_client_hello();

	test_tls13();
	test_tls12();
	test_ipv6();
	test_timeout();
	test_secrets_first();
	test_unrelated();
	test_deadlines();
	test_hello_again();
	test_shared_random();
	test_no_wait();
	test_bounds();
	test_held_count();
	test_may_not_wait();
	test_parse_server_hello();
	test_check_flight();
	test_check_tls12_and_retry();

	printf("tls_gate: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

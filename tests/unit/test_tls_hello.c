// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS hello parser: the RFC 8448 ClientHello and ServerHello over every
 * link and IP layering we read, cut at every length, and one field off at a
 * time; the connection key both directions share.
 *
 * Every packet is parsed from a heap copy of exactly its length, so a read
 * past cap_len shows under AddressSanitizer or valgrind. Exit status 0 means pass.
 */
#define _GNU_SOURCE
#include "tls_packets.h"

static bool has_rfc_random(const struct tls_hello_pkt *pkt)
{
	return pkt->client_hello && !memcmp(pkt->client_random, ch_random, 32);
}

static void test_parse_layers(void)
{
	static const enum l2 l2s[] = {L2_ETH, L2_VLAN, L2_QINQ, L2_RAW};
	static const char *const names[] = {"Ethernet", "802.1Q", "802.1ad+802.1Q", "raw"};
	struct tls_hello_pkt pkt;

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

	CHECK_EQ(tls_hello_parse(buf, (uint32_t)len, 113, &pkt), -1); /* Linux cooked */
	CHECK_EQ(tls_hello_parse(buf + 14, (uint32_t)len - 14, LINKTYPE_RAW, &pkt), 0);
	buf[12] = 0x08;
	buf[13] = 0x06; /* ARP */
	CHECK_EQ(tls_hello_parse(buf, (uint32_t)len, LINKTYPE_ETHERNET, &pkt), -1);
	CHECK_EQ(tls_hello_parse(buf, 0, LINKTYPE_ETHERNET, &pkt), -1);
	CHECK_EQ(tls_hello_parse(buf, 0, LINKTYPE_RAW, &pkt), -1);
}

static void test_parse_key(void)
{
	struct spec a = {.family = 4, .cport = 40000, .payload = ch_rec, .plen = ch_len};
	struct spec b = a;
	struct tls_hello_pkt pa, pb;

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
			struct tls_hello_pkt pkt;
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
		struct tls_hello_pkt pkt;

		if (parse(&sp, &pkt) || pkt.client_hello != (plen >= 43)) {
			CHECK(false, "payload of %zu bytes", plen);
			break;
		}
	}
}

static void test_parse_not_client_hello(void)
{
	struct spec sp = {.family = 4, .cport = 40000};
	struct tls_hello_pkt pkt;
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

static void test_parse_server_hello(void)
{
	struct spec sp = {.family = 4, .cport = 40100, .reply = true};
	struct tls_hello_pkt pkt;
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
	CHECK(parse(&sp, &pkt) == 0 && pkt.has_record &&
		  !memcmp(pkt.record, flight, TLS13_PEEK_LEN),
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
	server_flight(buf, true, flight_len);
	memcpy(buf + 11, hrr_random, 32);
	sp.plen = sh_len + sizeof(ccs);
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
	sp.plen = sh_len + sizeof(ccs) + flight_len;
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

int main(void)
{
	rfc8448_load();
	test_parse_layers();
	test_parse_key();
	test_parse_truncated();
	test_parse_not_client_hello();
	test_parse_server_hello();
	return check_summary("tls_hello");
}

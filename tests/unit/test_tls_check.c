// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS 1.3 secret check over RFC 8448's handshake: the right server
 * handshake secret verifies, a wrong one fails and names its library once,
 * whether it comes before or after the packets; records it cannot use leave
 * the handshake unverified; TLS 1.2, HelloRetryRequest, connections that may
 * not wait and the bound on watched connections.
 *
 * Exit status 0 means pass.
 */
#define _GNU_SOURCE
#include "tls_check.h"
#include "tls_packets.h"

/* Parses @sp and hands it to the check, as the gate does with every packet it checks. */
static void feed(struct tls_check *c, const struct spec *sp, bool may_wait)
{
	struct tls_hello_pkt pkt;

	if (!parse(sp, &pkt))
		tls_check_packet(c, &pkt, may_wait, 0);
}

static void secret_bytes(struct tls_check *c, const uint8_t *random, const char *label,
			 const uint8_t *bytes, uint32_t len, uint32_t lib)
{
	struct tls_secret sec = make_secret(random, label, bytes, len, lib);

	tls_check_secret(c, &sec);
}

static struct tls_check_stats stats(const struct tls_check *c)
{
	struct tls_check_stats st;

	tls_check_get_stats(c, &st);
	return st;
}

static struct spec client_hello(uint16_t cport)
{
	return (struct spec){.family = 4, .cport = cport, .payload = ch_rec, .plen = ch_len};
}

static struct spec from_server(uint16_t cport, const uint8_t *payload, size_t len)
{
	return (struct spec){
	    .family = 4, .cport = cport, .reply = true, .payload = payload, .plen = len};
}

/*
 * One TLS 1.3 connection from RFC 8448's messages: ClientHello, then the
 * server's segment, and the server handshake secret @secret before
 * (@secret_first) or after the packets.
 */
static struct tls_check_stats run_handshake(const uint8_t *server_payload, size_t server_len,
					    const uint8_t *secret, bool secret_first,
					    struct misfits *m)
{
	struct tls_check *c = tls_check_new();
	struct spec ch = client_hello(40100);
	struct spec sh = from_server(40100, server_payload, server_len);
	struct tls_check_stats st;

	tls_check_on_misfit(c, on_misfit, m);
	if (secret_first)
		secret_bytes(c, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secret, 32, 7);
	feed(c, &ch, true);
	feed(c, &sh, true);
	feed(c, &sh, true); /* held and checked again: checked once */
	if (!secret_first)
		secret_bytes(c, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secret, 32, 7);
	secret_bytes(c, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", secret, 32, 7);
	st = stats(c);
	tls_check_free(c);
	return st;
}

static void test_flight(void)
{
	uint8_t buf[256], wrong[32];
	size_t len = server_flight(buf, true, flight_len);
	struct misfits m = {0};
	struct tls_check_stats st;

	for (int first = 0; first < 2; first++) {
		st = run_handshake(buf, len, s_hs, first, &m);
		CHECK(st.verified == 1 && st.failed == 0 && st.unverified == 0 && m.calls == 0,
		      "right secret (%s the packets): verified", first ? "before" : "after");

		memcpy(wrong, s_hs, 32);
		wrong[31] ^= 1;
		st = run_handshake(buf, len, wrong, first, &m);
		CHECK(st.verified == 0 && st.failed == 1 && m.calls == 1 && m.lib == 7,
		      "wrong secret (%s the packets): failed, library 7 told once",
		      first ? "before" : "after");
		m.calls = 0;
	}

	/* The record starts in the next segment: nothing to check against. */
	st = run_handshake(buf, sh_len + sizeof(ccs) + 20, s_hs, false, &m);
	CHECK(st.verified == 0 && st.failed == 0 && st.unverified == 1,
	      "record not in the segment: unverified");
	/* A ServerHello cut short: the same. */
	st = run_handshake(buf, sh_len - 1, s_hs, false, &m);
	CHECK(st.unverified == 1 && st.failed == 0, "ServerHello cut short");

	/* A suite we do not know (0x1306, which RFC 8446 does not define) is not checked. */
	server_flight(buf, true, flight_len);
	buf[9 + 2 + 32 + 1 + 0 + 1] = 0x06; /* session id is 0 bytes: the suite's low byte */
	st = run_handshake(buf, len, s_hs, false, &m);
	CHECK(st.unverified == 1 && st.failed == 0, "unknown suite");
	CHECK_EQ(m.calls, 0);
}

static void test_tls12_and_retry(void)
{
	struct tls_check *c = tls_check_new();
	struct misfits m = {0};
	uint8_t buf[256], hrr[256];
	size_t len = server_flight(buf, true, flight_len);
	struct spec ch = client_hello(40110);
	struct spec sh = from_server(40110, buf, len);

	/* A TLS 1.2 connection: its ServerHello ends the check, with nothing counted. */
	tls_check_on_misfit(c, on_misfit, &m);
	buf[sh_len - 1] = 0x03;
	feed(c, &ch, true);
	feed(c, &sh, true);
	secret_bytes(c, ch_random, "CLIENT_RANDOM", s_hs, 32, 3);
	CHECK(stats(c).verified + stats(c).failed + stats(c).unverified == 0,
	      "TLS 1.2: not checked");

	/*
	 * HelloRetryRequest: the server's bare ACK, the client's data and the
	 * retry are not the ServerHello; the second ClientHello keeps the random.
	 */
	struct spec ch2 = client_hello(40111);
	struct spec ack2 = from_server(40111, NULL, 0);
	struct spec cdata2 = {
	    .family = 4, .cport = 40111, .payload = app_data, .plen = sizeof(app_data)};
	struct spec retry = from_server(40111, hrr, sh_len + sizeof(ccs));

	server_flight(hrr, true, 0);
	memcpy(hrr + 11, hrr_random, 32);
	server_flight(buf, true, flight_len);
	sh.cport = 40111;
	feed(c, &ch2, true);
	feed(c, &ack2, true);
	feed(c, &cdata2, true);
	feed(c, &retry, true);
	feed(c, &ch2, true);
	feed(c, &sh, true);
	secret_bytes(c, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	CHECK_EQ(stats(c).verified, 1);
	CHECK_EQ(stats(c).failed, 0);
	CHECK_EQ(m.calls, 0);

	/* Another connection's secret checks nothing here; secrets without bytes neither. */
	uint8_t other[32];
	numbered_random(0xabcdef, other);
	secret_bytes(c, other, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	secret_bytes(c, other, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 0, 3);
	CHECK_EQ(stats(c).verified, 1);
	tls_check_free(c);
}

/* A ClientHello whose secrets will not come (another user's) starts no check. */
static void test_may_not_wait(void)
{
	struct tls_check *c = tls_check_new();
	uint8_t buf[256];
	struct spec ch = client_hello(40120);
	struct spec sh = from_server(40120, buf, server_flight(buf, true, flight_len));

	feed(c, &ch, false);
	feed(c, &sh, true);
	secret_bytes(c, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	CHECK(stats(c).verified + stats(c).failed + stats(c).unverified == 0,
	      "ClientHello that may not wait: not checked");
	tls_check_free(c);
	tls_check_free(NULL);
}

/* Only the last TLS_CHECK_PENDING ClientHellos are watched for their ServerHello. */
static void test_bounds(void)
{
	struct tls_check *c = tls_check_new();
	uint8_t rec[256], buf[256], random[32];
	struct spec ch = {.l2 = L2_RAW, .family = 6, .payload = rec, .plen = ch_len};
	struct spec sh = from_server(0, buf, server_flight(buf, true, flight_len));

	sh.l2 = L2_RAW;
	sh.family = 6;
	memcpy(rec, ch_rec, ch_len);
	for (uint32_t i = 0; i <= TLS_CHECK_PENDING; i++) {
		numbered_random(i, rec + 11);
		ch.cport = (uint16_t)(1000 + i);
		feed(c, &ch, true);
	}
	/* The first is forgotten: its server's record is not kept. */
	sh.cport = 1000;
	feed(c, &sh, true);
	numbered_random(0, random);
	secret_bytes(c, random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	CHECK_EQ(stats(c).verified, 0);
	/* The last is still watched. */
	sh.cport = (uint16_t)(1000 + TLS_CHECK_PENDING);
	feed(c, &sh, true);
	numbered_random(TLS_CHECK_PENDING, random);
	secret_bytes(c, random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
	CHECK_EQ(stats(c).verified, 1);
	tls_check_free(c);
}

/*
 * Over TLS_CHECKS_PER_SECOND handshakes in a second, the rest are skipped;
 * the next second checks again.
 */
static void test_budget(void)
{
	struct tls_check *c = tls_check_new();
	struct tls_secret sec;
	uint8_t random[32];
	uint32_t i;

	for (i = 0; i <= TLS_CHECKS_PER_SECOND; i++) {
		numbered_random(i, random);
		sec = make_secret(random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
		sec.ts_ns = 5000000000ULL + i;
		tls_check_secret(c, &sec);
	}
	CHECK_EQ(stats(c).skipped, 1);
	/* The last one's record changes nothing: it is not checked. */
	sec.ts_ns = 5000000000ULL + i;
	tls_check_secret(c, &sec);
	CHECK_EQ(stats(c).skipped, 1);
	/* A new second: the RFC's handshake is checked in full. */
	{
		struct spec ch = client_hello(4000), sh;
		uint8_t buf[256];

		sh = from_server(4000, buf, server_flight(buf, true, flight_len));
		feed(c, &ch, true);
		sec = make_secret(ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 3);
		sec.ts_ns = 6000000000ULL;
		tls_check_secret(c, &sec);
		feed(c, &sh, true);
	}
	CHECK_EQ(stats(c).verified, 1);
	CHECK_EQ(stats(c).skipped, 1);
	tls_check_free(c);
}

int main(void)
{
	rfc8448_load();
	test_flight();
	test_tls12_and_retry();
	test_may_not_wait();
	test_bounds();
	test_budget();
	return check_summary("tls_check");
}

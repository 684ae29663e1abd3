// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS gate: the hold/pass decisions over whole handshakes (TLS 1.2,
 * TLS 1.3, timeouts, early secrets, bounds), and that the secret check's
 * counts and misfits come out through the gate.
 *
 * Every packet is checked from a heap copy of exactly its length, so a read
 * past cap_len shows under AddressSanitizer or valgrind. Exit status 0 means pass.
 */
#define _GNU_SOURCE
#include "tls_gate.h"
#include "tls_packets.h"

#define MS	 1000000ULL
#define T0	 1700000000000000000ULL
#define MAX_WAIT (1000 * MS)

static uint8_t random_b[32];

/*
 * The gate as capture.c calls it: on a packet whose headers were parsed once,
 * of process @pid (0: not known).
 */
static enum gate_verdict gate_check_of(struct tls_gate *g, const uint8_t *data, uint32_t len,
				       uint16_t linktype, uint64_t ts, uint64_t now, bool may_wait,
				       uint32_t pid)
{
	struct pkt_tuple t;
	bool parsed = !pkt_tuple_parse(data, len, linktype, &t);

	return tls_gate_check(g, data, len, parsed ? &t : NULL, ts, now, may_wait, pid);
}

static enum gate_verdict gate_check(struct tls_gate *g, const uint8_t *data, uint32_t len,
				    uint16_t linktype, uint64_t ts, uint64_t now, bool may_wait)
{
	return gate_check_of(g, data, len, linktype, ts, now, may_wait, 0);
}

static enum gate_verdict check_spec_of(struct tls_gate *g, const struct spec *sp, uint64_t ts,
				       uint64_t now, uint32_t pid)
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
	return gate_check_of(g, copy, (uint32_t)len, linktype(sp), ts, now, true, pid);
}

static enum gate_verdict check_spec(struct tls_gate *g, const struct spec *sp, uint64_t ts,
				    uint64_t now)
{
	return check_spec_of(g, sp, ts, now, 0);
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
	struct tls_secret sec = make_secret(random, label, bytes, len, lib);

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
		CHECK_EQ(gate_check(g, held, (uint32_t)sh_pkt_len, LINKTYPE_ETHERNET, T0 + MS,
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
	CHECK_EQ(gate_check(g, held, (uint32_t)sh_pkt_len, LINKTYPE_ETHERNET, T0 + MS,
				T0 + 10 * MS, true),
		 GATE_HOLD);
	CHECK_EQ(stats(g).packets_held, 2);
	secret_in(g, ch_random, "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(gate_check(g, held, (uint32_t)sh_pkt_len, LINKTYPE_ETHERNET, T0 + MS,
				T0 + 11 * MS, true),
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
	CHECK_EQ(gate_check(g, arp, sizeof(arp), LINKTYPE_ETHERNET, T0 + 4, T0 + 4, true),
		 GATE_PASS);
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
	uint8_t pa[MAX_PKT], pb[MAX_PKT], copy[MAX_PKT];
	uint32_t la = (uint32_t)build(pa, &a), lb = (uint32_t)build(pb, &b);

	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	for (int i = 0; i < 10; i++)
		gate_check(g, pa, la, LINKTYPE_ETHERNET, T0 + 1, T0 + 1 + i, true);
	CHECK_EQ(stats(g).packets_held, 1);
	/* An earlier packet slipped in ahead of it, then the first is back at the head. */
	gate_check(g, pb, lb, LINKTYPE_ETHERNET, T0 + 0, T0 + 20, true);
	gate_check(g, pa, la, LINKTYPE_ETHERNET, T0 + 1, T0 + 21, true);
	gate_check(g, pb, lb, LINKTYPE_ETHERNET, T0 + 0, T0 + 22, true);
	CHECK_EQ(stats(g).packets_held, 2);
	/* The first, copied out of its ring while held: still the same packet. */
	memcpy(copy, pa, la);
	gate_check(g, copy, la, LINKTYPE_ETHERNET, T0 + 1, T0 + 22, true);
	CHECK_EQ(stats(g).packets_held, 2);
	/* The same buffer later holds another packet: a new one. */
	gate_check(g, pa, la, LINKTYPE_ETHERNET, T0 + 2, T0 + 23, true);
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

	CHECK_EQ(gate_check(g, buf, (uint32_t)len, LINKTYPE_ETHERNET, T0, T0, false),
		 GATE_PASS);
	CHECK_EQ(check_spec(g, &reply, T0 + MS, T0 + MS), GATE_PASS);
	CHECK_EQ(stats(g).flows_waited, 0);
	CHECK_EQ(stats(g).packets_held, 0);
	tls_gate_free(g);
}

/* The secret check runs on what the gate sees, held or not; its counts are the gate's. */
static void test_check_wired(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct misfits m = {0};
	uint8_t buf[256], hbuf[MAX_PKT], wrong[32];
	struct spec ch = hello(40100, NULL, NULL);
	struct spec sh = {.family = 4,
			  .cport = 40100,
			  .reply = true,
			  .payload = buf,
			  .plen = server_flight(buf, true, flight_len)};

	tls_gate_on_misfit(g, on_misfit, &m);
	CHECK_EQ(check_spec(g, &ch, T0, T0), GATE_PASS);
	CHECK_EQ(check_spec(g, &sh, T0 + MS, T0 + MS), GATE_HOLD);
	secret_bytes(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s_hs, 32, 7);
	CHECK_EQ(stats(g).handshakes_verified, 1);

	/* Another connection, held until its secrets: a wrong one tells its library. */
	ch = hello(40101, random_b, hbuf);
	sh.cport = 40101;
	memcpy(wrong, s_hs, 32);
	wrong[31] ^= 1;
	CHECK_EQ(check_spec(g, &ch, T0 + 2 * MS, T0 + 2 * MS), GATE_PASS);
	check_spec(g, &sh, T0 + 3 * MS, T0 + 3 * MS);
	secret_bytes(g, random_b, "SERVER_HANDSHAKE_TRAFFIC_SECRET", wrong, 32, 7);
	CHECK(stats(g).handshakes_failed == 1 && m.calls == 1 && m.lib == 7,
	      "wrong secret: failed, library 7 told");
	CHECK_EQ(stats(g).handshakes_unverified, 0);
	tls_gate_free(g);
}

#define NO_TLS_PID 200 /* a process that maps no TLS library we hook */

/* The TLS source's answer; counts the questions in *@ctx. */
static bool may_report(void *ctx, uint32_t pid)
{
	(*(int *)ctx)++;
	return pid != NO_TLS_PID;
}

/*
 * A ClientHello of a process that can hand over no secrets waits only as long
 * as a peer in another namespace takes to hand over its own; of one that can,
 * or of an unknown one, the whole time. Only ClientHellos are asked about.
 */
static void test_peer_wait(void)
{
	struct tls_gate *g = tls_gate_new(MAX_WAIT);
	struct spec ch = hello(40100, NULL, NULL), reply = data_pkt(40100, true);
	struct spec ch2 = hello(40101, NULL, NULL), ch3 = hello(40102, NULL, NULL);
	uint8_t buf[MAX_PKT];
	struct spec ch_b = hello(40103, random_b, buf);
	int asked = 0;

	tls_gate_on_hello(g, may_report, &asked);
	CHECK_EQ(check_spec_of(g, &ch, T0, T0, NO_TLS_PID), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + TLS_GATE_PEER_WAIT_NS);
	CHECK_EQ(check_spec_of(g, &reply, T0 + MS, T0 + MS, NO_TLS_PID), GATE_HOLD);
	CHECK_EQ(asked, 1);
	CHECK_EQ(check_spec_of(g, &reply, T0 + MS, T0 + TLS_GATE_PEER_WAIT_NS, NO_TLS_PID),
		 GATE_PASS);
	CHECK_EQ(stats(g).flows_timed_out, 1);

	CHECK_EQ(check_spec_of(g, &ch2, T0 + 2 * MS, T0 + 2 * MS, 100), GATE_PASS);
	CHECK_EQ(asked, 2);
	CHECK_U64(tls_gate_deadline(g), T0 + 2 * MS + MAX_WAIT);
	CHECK_EQ(check_spec_of(g, &ch3, T0 + 3 * MS, T0 + 3 * MS, 0), GATE_PASS);
	CHECK_EQ(asked, 2);
	CHECK_EQ(stats(g).flows_waiting, 2);
	tls_gate_free(g);

	/*
	 * The peer's first secret shows it reports: the rest may take the whole
	 * wait, as when that end's second flight is kept from running.
	 */
	g = tls_gate_new(MAX_WAIT);
	tls_gate_on_hello(g, may_report, &asked);
	CHECK_EQ(check_spec_of(g, &ch, T0, T0, NO_TLS_PID), GATE_PASS);
	secret_in(g, ch_random, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
	CHECK_U64(tls_gate_deadline(g), T0 + MAX_WAIT);
	CHECK_EQ(check_spec_of(g, &reply, T0 + MS, T0 + 2 * TLS_GATE_PEER_WAIT_NS, NO_TLS_PID),
		 GATE_HOLD);
	secret_in(g, ch_random, "CLIENT_TRAFFIC_SECRET_0");
	secret_in(g, ch_random, "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(check_spec_of(g, &reply, T0 + MS, T0 + 2 * TLS_GATE_PEER_WAIT_NS, NO_TLS_PID),
		 GATE_PASS);
	CHECK_EQ(stats(g).flows_completed, 1);
	CHECK_EQ(stats(g).flows_timed_out, 0);
	/* ... and so does one that came before the ClientHello was seen. */
	secret_in(g, random_b, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
	CHECK_EQ(check_spec_of(g, &ch_b, T0 + 3 * MS, T0 + 3 * MS, NO_TLS_PID), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + 3 * MS + MAX_WAIT);
	tls_gate_free(g);

	/* A --tls-wait shorter than a peer's wait stays the bound. */
	g = tls_gate_new(50 * MS);
	tls_gate_on_hello(g, may_report, &asked);
	CHECK_EQ(check_spec_of(g, &ch, T0, T0, NO_TLS_PID), GATE_PASS);
	CHECK_U64(tls_gate_deadline(g), T0 + 50 * MS);
	tls_gate_free(g);
}

int main(void)
{
	rfc8448_load();
	numbered_random(0xabcdef, random_b);

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
	test_peer_wait();
	test_check_wired();
	return check_summary("tls_gate");
}

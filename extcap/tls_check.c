// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS 1.3 secret check (see tls_check.h).
 *
 * State:
 * - pending: the connections whose ClientHello was seen and ServerHello not
 *   yet, for the last TLS_CHECK_PENDING ClientHellos (a fifo_map), so that
 *   the server's reply can be tied to the client random;
 * - checks: per client random, what its check has gathered so far (its server
 *   handshake secret, its first record), for the last TLS_CHECK_RANDOMS
 *   randoms (another fifo_map); the secret can come before or after the
 *   record.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fifo_map.h"
#include "tls13_keys.h"
#include "tls_check.h"
#include "tls_hash.h"

/*
 * The halves of one handshake's check; it runs once it has both. Allocated
 * only while gathering, so that the map stays small.
 */
struct check_parts {
	uint8_t secret[TLS_MAX_SECRET_SIZE];
	uint32_t secret_len; /* 0 until the SERVER_HANDSHAKE_TRAFFIC_SECRET came */
	uint32_t lib;
	uint16_t suite;
	bool has_record;
	uint8_t record[TLS13_PEEK_LEN];
};

/* One handshake's check, found by its client random. */
struct hs_check {
	uint8_t random[TLS_RANDOM_SIZE];
	bool done;		   /* the check ran (or could not): later copies change nothing */
	struct check_parts *parts; /* owned; NULL until a part arrives */
};

/* A connection whose ServerHello is still to come. */
struct pending {
	struct tls_flow_key key;
	uint8_t random[TLS_RANDOM_SIZE];
	bool client_lo; /* the client is the key's _lo end */
};

struct tls_check {
	struct fifo_map checks;	 /* the last TLS_CHECK_RANDOMS struct hs_check */
	struct fifo_map pending; /* the last TLS_CHECK_PENDING struct pending */
	uint64_t second;	 /* of the handshakes budget_used counts */
	uint32_t budget_used;

	tls_check_misfit_fn misfit;
	void *misfit_ctx;
	struct tls_check_stats stats;
};

static void free_parts(void *check)
{
	g_free(((struct hs_check *)check)->parts);
}

struct tls_check *tls_check_new(void)
{
	struct tls_check *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (fifo_map_init(&c->checks, TLS_CHECK_RANDOMS, sizeof(struct hs_check), TLS_RANDOM_SIZE,
			  tls_random_hash, tls_random_equal, free_parts) ||
	    fifo_map_init(&c->pending, TLS_CHECK_PENDING, sizeof(struct pending),
			  sizeof(struct tls_flow_key), tls_flow_key_hash, tls_flow_key_equal, NULL)) {
		tls_check_free(c);
		return NULL;
	}
	return c;
}

void tls_check_free(struct tls_check *c)
{
	if (!c)
		return;
	fifo_map_destroy(&c->checks);
	fifo_map_destroy(&c->pending);
	free(c);
}

void tls_check_on_misfit(struct tls_check *c, tls_check_misfit_fn fn, void *ctx)
{
	c->misfit = fn;
	c->misfit_ctx = ctx;
}

void tls_check_get_stats(const struct tls_check *c, struct tls_check_stats *st)
{
	*st = c->stats;
}

/* Whether a handshake first seen at @ts_ns is among its second's TLS_CHECKS_PER_SECOND. */
static bool within_budget(struct tls_check *c, uint64_t ts_ns)
{
	uint64_t second = ts_ns / 1000000000ULL;

	if (second != c->second) {
		c->second = second;
		c->budget_used = 0;
	}
	if (c->budget_used >= TLS_CHECKS_PER_SECOND)
		return false;
	c->budget_used++;
	return true;
}

/*
 * The check of @random, a new one in the oldest slot if there is none; one
 * over the budget is done before it starts.
 */
static struct hs_check *find_check(struct tls_check *c, const uint8_t *random, uint64_t ts_ns)
{
	struct hs_check *r = fifo_map_lookup(&c->checks, random);

	if (r)
		return r;
	r = fifo_map_add(&c->checks, random);
	if (!within_budget(c, ts_ns)) {
		r->done = true;
		c->stats.skipped++;
	}
	return r;
}

/* Where a part goes; NULL once the check is done. */
static struct check_parts *parts_of(struct hs_check *r)
{
	if (r->done)
		return NULL;
	if (!r->parts)
		r->parts = g_new0(struct check_parts, 1);
	return r->parts;
}

static void finish(struct hs_check *r)
{
	r->done = true;
	g_free(r->parts);
	r->parts = NULL;
}

/* Runs the check once both its parts are there. */
static void run_check(struct tls_check *c, struct hs_check *r)
{
	const struct check_parts *p = r->parts;
	enum tls13_fit fit;

	if (!p->secret_len || !p->has_record)
		return;
	fit = tls13_check_server_handshake(tls13_suite(p->suite), p->secret, p->secret_len,
					   p->record);
	if (fit == TLS13_FITS) {
		c->stats.verified++;
	} else if (fit == TLS13_MISFITS) {
		c->stats.failed++;
		if (c->misfit)
			c->misfit(c->misfit_ctx, p->lib);
	} else {
		c->stats.unverified++;
	}
	finish(r);
}

void tls_check_secret(struct tls_check *c, const struct tls_secret *secret)
{
	struct hs_check *r;
	struct check_parts *p;

	if (strcmp(secret->label, "SERVER_HANDSHAKE_TRAFFIC_SECRET"))
		return;
	r = find_check(c, secret->client_random, secret->ts_ns);
	p = parts_of(r);
	if (!p || p->secret_len || !secret->secret_len || secret->secret_len > sizeof(p->secret))
		return;
	memcpy(p->secret, secret->secret, secret->secret_len);
	p->secret_len = secret->secret_len;
	p->lib = secret->lib;
	run_check(c, r);
}

/* The server's first flight of a TLS 1.3 connection that said hello with @random. */
static void check_flight(struct tls_check *c, const uint8_t *random,
			 const struct tls_hello_pkt *pkt, uint64_t ts_ns)
{
	struct hs_check *r = find_check(c, random, ts_ns);
	struct check_parts *p = parts_of(r);

	if (!p || p->has_record)
		return;
	if (!pkt->has_record || !tls13_suite(pkt->cipher_suite)) {
		/* Nothing to hold the secret against: an unknown suite, a record in a later segment. */
		c->stats.unverified++;
		finish(r);
		return;
	}
	p->suite = pkt->cipher_suite;
	memcpy(p->record, pkt->record, TLS13_PEEK_LEN);
	p->has_record = true;
	run_check(c, r);
}

/* A ClientHello that may wait: its connection's ServerHello will be looked at. */
static void expect_server_hello(struct tls_check *c, const struct tls_hello_pkt *pkt)
{
	struct pending *p = fifo_map_lookup(&c->pending, &pkt->key);

	/* Found: the same hello again (retransmitted, after a HelloRetryRequest) or a new one. */
	if (!p)
		p = fifo_map_add(&c->pending, &pkt->key);
	memcpy(p->random, pkt->client_random, TLS_RANDOM_SIZE);
	p->client_lo = pkt->from_lo;
}

/* The server's first segment with data says which TLS, and carries the record to check. */
static void on_server_packet(struct tls_check *c, const struct tls_hello_pkt *pkt,
			     uint64_t ts_ns)
{
	struct pending *p;

	/* Before the lookup: a miss in a table this size costs more than the parse did. */
	if (!pkt->has_payload || pkt->server_hello == SH_RETRY)
		return;
	p = fifo_map_lookup(&c->pending, &pkt->key);
	if (!p || p->client_lo == pkt->from_lo)
		return;
	fifo_map_remove(&c->pending, p);
	if (pkt->server_hello == SH_TLS13)
		check_flight(c, p->random, pkt, ts_ns);
	else if (pkt->server_hello == SH_CUT)
		c->stats.unverified++;
	/* SH_TLS12 has nothing to check; SH_NONE is no handshake we know. */
}

void tls_check_packet(struct tls_check *c, const struct tls_hello_pkt *pkt, bool may_wait,
		      uint64_t ts_ns)
{
	if (pkt->client_hello && may_wait)
		expect_server_hello(c, pkt);
	else if (fifo_map_size(&c->pending))
		on_server_packet(c, pkt, ts_ns);
}

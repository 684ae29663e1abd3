// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS gate (see tls_gate.h): holds a connection's packets from its
 * ClientHello until its secrets are in the file.
 *
 * State:
 * - flows: the waiting connections, by direction-independent 5-tuple;
 * - waiting: client_random -> the first flow waiting on it, the others
 *   chained through next_same (one random can show up on several flows, e.g.
 *   on both sides of a NAT);
 * - deadlines: the waiting flows ordered by (deadline, seq), for expiry and
 *   tls_gate_deadline();
 * - randoms: the labels seen per client_random, for the last TLS_GATE_RANDOMS
 *   randoms (a fifo_map), because secrets can come before their ClientHello
 *   is checked;
 * - held: the last packets held, so that each is counted once.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fifo_map.h"
#include "tls_gate.h"
#include "tls_hash.h"
#include "tls_hello.h"

/* Labels that finish a connection's secrets. */
#define LBL_CLIENT_RANDOM 1u /* TLS 1.2 */
#define LBL_CLIENT_TS0	  2u /* TLS 1.3 */
#define LBL_SERVER_TS0	  4u

/* Distinct held packets remembered, so that checking one again does not count it again. */
#define HELD_SLOTS 16

struct flow {
	struct tls_flow_key key;
	uint8_t random[TLS_RANDOM_SIZE];
	uint32_t labels;
	uint64_t hello_ns;	/* the latest ClientHello's timestamp */
	uint64_t deadline_ns;
	uint64_t seq;		/* orders equal deadlines */
	struct flow *next_same; /* the next flow waiting on the same random */
};

struct seen_random {
	uint8_t random[TLS_RANDOM_SIZE];
	uint32_t labels;
};

struct held_pkt {
	uint64_t ts_ns; /* 0 for an empty slot */
	uint32_t cap_len;
};

struct tls_gate {
	uint64_t max_wait_ns;
	GHashTable *flows;   /* struct tls_flow_key * -> struct flow *, owns the flows */
	GHashTable *waiting; /* random -> struct flow * */
	GTree *deadlines;    /* struct flow * -> itself */
	uint64_t next_seq;

	struct fifo_map randoms;  /* the last TLS_GATE_RANDOMS struct seen_random */

	struct held_pkt held[HELD_SLOTS];
	size_t held_next;
	size_t held_in_use; /* slots not empty: none, and a passing packet looks at none */

	struct tls_check *check;
	struct tls_gate_stats stats;

	tls_gate_may_report_fn may_report;
	void *may_report_ctx;
};

static gint deadline_cmp(gconstpointer a, gconstpointer b)
{
	const struct flow *fa = a, *fb = b;

	if (fa->deadline_ns != fb->deadline_ns)
		return fa->deadline_ns < fb->deadline_ns ? -1 : 1;
	if (fa->seq != fb->seq)
		return fa->seq < fb->seq ? -1 : 1;
	return 0;
}

static bool labels_complete(uint32_t labels)
{
	if (labels & LBL_CLIENT_RANDOM)
		return true;
	return (labels & (LBL_CLIENT_TS0 | LBL_SERVER_TS0)) == (LBL_CLIENT_TS0 | LBL_SERVER_TS0);
}

static uint32_t label_bit(const char *label)
{
	if (!strcmp(label, "CLIENT_RANDOM"))
		return LBL_CLIENT_RANDOM;
	if (!strcmp(label, "CLIENT_TRAFFIC_SECRET_0"))
		return LBL_CLIENT_TS0;
	if (!strcmp(label, "SERVER_TRAFFIC_SECRET_0"))
		return LBL_SERVER_TS0;
	return 0; /* the handshake and exporter secrets come before these anyway */
}

struct tls_gate *tls_gate_new(uint64_t max_wait_ns)
{
	struct tls_gate *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->check = tls_check_new();
	if (!g->check || fifo_map_init(&g->randoms, TLS_GATE_RANDOMS, sizeof(struct seen_random),
				       TLS_RANDOM_SIZE, tls_random_hash, tls_random_equal, NULL)) {
		tls_check_free(g->check);
		free(g);
		return NULL;
	}
	g->max_wait_ns = max_wait_ns;
	g->flows = g_hash_table_new_full(tls_flow_key_hash, tls_flow_key_equal, NULL, g_free);
	g->waiting = g_hash_table_new(tls_random_hash, tls_random_equal);
	g->deadlines = g_tree_new(deadline_cmp);
	return g;
}

void tls_gate_on_misfit(struct tls_gate *g, tls_check_misfit_fn fn, void *ctx)
{
	tls_check_on_misfit(g->check, fn, ctx);
}

void tls_gate_on_hello(struct tls_gate *g, tls_gate_may_report_fn fn, void *ctx)
{
	g->may_report = fn;
	g->may_report_ctx = ctx;
}

void tls_gate_free(struct tls_gate *g)
{
	if (!g)
		return;
	g_tree_destroy(g->deadlines);
	g_hash_table_destroy(g->waiting);
	g_hash_table_destroy(g->flows); /* frees the flows: last */
	fifo_map_destroy(&g->randoms);
	tls_check_free(g->check);
	free(g);
}

/* The labels seen for @random, remembered in the oldest slot if it is new. */
static struct seen_random *find_random(struct tls_gate *g, const uint8_t *random)
{
	struct seen_random *slot = fifo_map_lookup(&g->randoms, random);

	return slot ? slot : fifo_map_add(&g->randoms, random);
}

static void unlink_waiting(struct tls_gate *g, struct flow *f)
{
	struct flow *head = g_hash_table_lookup(g->waiting, f->random);

	if (head == f) {
		/* The key points into the head flow: move it to the next one, or drop it. */
		if (f->next_same)
			g_hash_table_replace(g->waiting, f->next_same->random, f->next_same);
		else
			g_hash_table_remove(g->waiting, f->random);
		return;
	}
	for (struct flow *p = head; p; p = p->next_same) {
		if (p->next_same == f) {
			p->next_same = f->next_same;
			return;
		}
	}
}

static void link_waiting(struct tls_gate *g, struct flow *f)
{
	struct flow *head = g_hash_table_lookup(g->waiting, f->random);

	if (head) {
		f->next_same = head->next_same;
		head->next_same = f;
		return;
	}
	f->next_same = NULL;
	g_hash_table_insert(g->waiting, f->random, f);
}

static void drop_flow(struct tls_gate *g, struct flow *f)
{
	unlink_waiting(g, f);
	g_tree_remove(g->deadlines, f);
	g_hash_table_remove(g->flows, &f->key); /* frees f */
	g->stats.flows_waiting--;
}

static struct flow *first_deadline(const struct tls_gate *g)
{
	GTreeNode *node = g_tree_node_first(g->deadlines);

	return node ? g_tree_node_value(node) : NULL;
}

void tls_gate_expire(struct tls_gate *g, uint64_t now_ns)
{
	struct flow *f;

	while ((f = first_deadline(g)) && f->deadline_ns <= now_ns) {
		g->stats.flows_timed_out++;
		drop_flow(g, f);
	}
}

uint64_t tls_gate_deadline(const struct tls_gate *g)
{
	struct flow *f = first_deadline(g);

	return f ? f->deadline_ns : UINT64_MAX;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void start_waiting(struct tls_gate *g, const struct tls_hello_pkt *pkt, uint32_t labels,
			  uint64_t hello_ns, uint64_t deadline_ns)
{
	struct flow *f = g_new0(struct flow, 1);

	f->key = pkt->key;
	memcpy(f->random, pkt->client_random, TLS_RANDOM_SIZE);
	f->labels = labels;
	f->hello_ns = hello_ns;
	f->deadline_ns = deadline_ns;
	f->seq = g->next_seq++;
	g_hash_table_insert(g->flows, &f->key, f);
	link_waiting(g, f);
	g_tree_insert(g->deadlines, f, f);
	g->stats.flows_waited++;
	g->stats.flows_waiting++;
}

/*
 * The same hello again (a retransmission, a second check, or the second
 * ClientHello after a HelloRetryRequest, which keeps the random): the wait
 * runs from the latest one, since the secrets follow it.
 */
static void extend_wait(struct tls_gate *g, struct flow *f, uint64_t deadline_ns)
{
	if (deadline_ns <= f->deadline_ns)
		return;
	g_tree_remove(g->deadlines, f);
	f->deadline_ns = deadline_ns;
	g_tree_insert(g->deadlines, f, f);
}

/*
 * How long a ClientHello of process @pid (0: not known) may wait for its
 * secrets. A secret of its random already in (@seen) shows that an end of it
 * reports: the rest follow, however long that end is kept from running.
 */
static uint64_t max_wait(const struct tls_gate *g, uint32_t pid, bool seen)
{
	if (!pid || !g->may_report || seen || g->may_report(g->may_report_ctx, pid))
		return g->max_wait_ns;
	return MIN(g->max_wait_ns, TLS_GATE_PEER_WAIT_NS);
}

static void on_client_hello(struct tls_gate *g, const struct tls_hello_pkt *pkt, uint64_t ts_ns,
			    uint64_t now_ns, uint32_t pid)
{
	const struct seen_random *seen;
	uint64_t deadline_ns;
	uint32_t labels;
	struct flow *f;

	if (!g->max_wait_ns)
		return;
	seen = fifo_map_lookup(&g->randoms, pkt->client_random);
	deadline_ns = add_sat(ts_ns, max_wait(g, pid, seen != NULL));
	labels = seen ? seen->labels : 0;
	f = g_hash_table_lookup(g->flows, &pkt->key);
	if (f && !memcmp(f->random, pkt->client_random, TLS_RANDOM_SIZE)) {
		f->hello_ns = MAX(f->hello_ns, ts_ns);
		extend_wait(g, f, deadline_ns);
		return;
	}
	if (f) {
		/* A new connection on the same ports: the old one's wait is moot. */
		g->stats.flows_replaced++;
		drop_flow(g, f);
	}
	if (labels_complete(labels)) {
		g->stats.flows_ready++;
		return;
	}
	if (deadline_ns <= now_ns) {
		/* Seen too late to wait at all: its secrets are late or missing. */
		g->stats.flows_waited++;
		g->stats.flows_timed_out++;
		return;
	}
	if (g_hash_table_size(g->flows) >= TLS_GATE_MAX_FLOWS) {
		g->stats.flows_overflow++;
		return;
	}
	start_waiting(g, pkt, labels, ts_ns, deadline_ns);
}

void tls_gate_secret(struct tls_gate *g, const struct tls_secret *secret)
{
	uint32_t bit = label_bit(secret->label);
	const uint8_t *client_random = secret->client_random;
	struct flow *f, *next;

	tls_check_secret(g->check, secret);
	/* Any secret, a handshake one too: it tells max_wait() that an end reports. */
	find_random(g, client_random)->labels |= bit;

	/* Flows keep their own labels: the ring may forget this random while they wait. */
	for (f = g_hash_table_lookup(g->waiting, client_random); f; f = next) {
		next = f->next_same;
		f->labels |= bit;
		if (!labels_complete(f->labels)) {
			/* A peer's short wait was for its first secret: the rest follow. */
			extend_wait(g, f, add_sat(f->hello_ns, g->max_wait_ns));
			continue;
		}
		g->stats.flows_completed++;
		drop_flow(g, f);
	}
}

/* By time and length, not address: a held packet may be copied out of its ring. */
static bool held_same(const struct held_pkt *h, uint32_t cap_len, uint64_t ts_ns)
{
	return h->ts_ns == ts_ns && h->cap_len == cap_len;
}

/* Counts a packet the first time it is held; checking it again is not a new packet. */
static void note_held(struct tls_gate *g, uint32_t cap_len, uint64_t ts_ns)
{
	for (size_t i = 0; i < HELD_SLOTS; i++) {
		if (held_same(&g->held[i], cap_len, ts_ns))
			return;
	}
	if (!g->held[g->held_next].ts_ns)
		g->held_in_use++;
	g->held[g->held_next] = (struct held_pkt){.ts_ns = ts_ns, .cap_len = cap_len};
	g->held_next = (g->held_next + 1) % HELD_SLOTS;
	g->stats.packets_held++;
}

/* A packet that passes leaves the held set. */
static void note_passed(struct tls_gate *g, uint32_t cap_len, uint64_t ts_ns)
{
	if (!g->held_in_use)
		return;
	/* With no flow waiting, nothing is held: forget all, so that no slot left
	 * behind costs every later packet this scan. */
	if (!g_hash_table_size(g->flows)) {
		memset(g->held, 0, sizeof(g->held));
		g->held_in_use = 0;
		return;
	}
	for (size_t i = 0; i < HELD_SLOTS; i++) {
		if (held_same(&g->held[i], cap_len, ts_ns)) {
			g->held[i] = (struct held_pkt){0};
			g->held_in_use--;
		}
	}
}

static bool is_waiting(const struct tls_gate *g, const struct tls_flow_key *key)
{
	return g_hash_table_size(g->flows) && g_hash_table_contains(g->flows, key);
}

enum gate_verdict tls_gate_check(struct tls_gate *g, const uint8_t *data, uint32_t cap_len,
				 const struct pkt_tuple *t, uint64_t ts_ns, uint64_t now_ns,
				 bool may_wait, uint32_t pid)
{
	struct tls_hello_pkt pkt;

	tls_gate_expire(g, now_ns);
	if (!tls_hello_read(data, t, &pkt)) {
		tls_check_packet(g->check, &pkt, may_wait, ts_ns);
		if (pkt.client_hello) {
			if (may_wait)
				on_client_hello(g, &pkt, ts_ns, now_ns, pid);
		} else if (is_waiting(g, &pkt.key)) {
			/* Not complete and not past its deadline, or it would be gone by now. */
			note_held(g, cap_len, ts_ns);
			return GATE_HOLD;
		}
	}
	note_passed(g, cap_len, ts_ns);
	return GATE_PASS;
}

void tls_gate_get_stats(const struct tls_gate *g, struct tls_gate_stats *st)
{
	struct tls_check_stats check;

	*st = g->stats;
	tls_check_get_stats(g->check, &check);
	st->handshakes_verified = check.verified;
	st->handshakes_failed = check.failed;
	st->handshakes_unverified = check.unverified;
	st->handshakes_skipped = check.skipped;
}

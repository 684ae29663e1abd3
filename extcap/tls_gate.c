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
 *   randoms (a FIFO ring), because secrets can come before their ClientHello
 *   is checked; with them, what a TLS 1.3 handshake's check has gathered so
 *   far (struct hs_check: its server handshake secret, its first record);
 * - pending: the connections whose ClientHello was seen and ServerHello not
 *   yet, for the last TLS_GATE_CHECKS ClientHellos (another FIFO ring), so
 *   that the server's reply can be tied to the client random.
 *
 * The hash tables are keyed by what the network sends (ports, ClientHello
 * randoms), so their hash is seeded per process: crafted collisions cannot
 * turn lookups linear.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "pkt_tuple.h"
#include "tls_gate.h"

#define TLS_CT_CCS	    0x14
#define TLS_CT_HANDSHAKE    0x16
#define TLS_CT_APP_DATA	    0x17
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_EXT_VERSIONS    0x002b
#define TLS_VERSION_13	    0x0304
#define SESSION_ID_MAX	    32
#define TLS_RECORD_HLEN	    5
#define TLS_HS_HLEN	    4
#define TLS_RANDOM_OFF	    (TLS_RECORD_HLEN + TLS_HS_HLEN + 2)
#define TLS_MAX_PLAINTEXT   16384
/* legacy_version, random, session id length: what every ClientHello has. */
#define TLS_CLIENT_HELLO_MIN (2 + TLS_RANDOM_SIZE + 1)

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
	uint64_t deadline_ns;
	uint64_t seq;		/* orders equal deadlines */
	struct flow *next_same; /* the next flow waiting on the same random */
};

/* What one TLS 1.3 handshake's secret check has so far; it runs once it has both. */
struct hs_check {
	uint8_t secret[TLS_MAX_SECRET_SIZE];
	uint32_t secret_len; /* 0 until the SERVER_HANDSHAKE_TRAFFIC_SECRET came */
	uint32_t lib;
	uint16_t suite;
	bool has_record;
	uint8_t record[TLS13_PEEK_LEN];
};

struct seen_random {
	uint8_t random[TLS_RANDOM_SIZE];
	uint32_t labels;
	bool checked;		/* the check ran (or could not): later copies change nothing */
	struct hs_check *check; /* owned; NULL until a part of the check arrives */
};

/* A connection whose ServerHello is still to come. */
struct pending {
	struct tls_flow_key key;
	uint8_t random[TLS_RANDOM_SIZE];
	bool client_lo; /* the client is the key's _lo end */
	bool live;	/* in the pending table */
};

struct held_pkt {
	const uint8_t *data;
	uint64_t ts_ns;
	uint32_t cap_len;
};

struct tls_gate {
	uint64_t max_wait_ns;
	GHashTable *flows;   /* struct tls_flow_key * -> struct flow *, owns the flows */
	GHashTable *waiting; /* random -> struct flow * */
	GTree *deadlines;    /* struct flow * -> itself */
	uint64_t next_seq;

	GHashTable *randoms;	  /* random -> struct seen_random * (in ring) */
	struct seen_random *ring; /* TLS_GATE_RANDOMS slots */
	size_t ring_head;
	size_t ring_count;

	struct held_pkt held[HELD_SLOTS];
	size_t held_next;

	GHashTable *pending;	   /* struct tls_flow_key * -> struct pending * (in pend_ring) */
	struct pending *pend_ring; /* TLS_GATE_CHECKS slots */
	size_t pend_head;
	tls_gate_misfit_fn misfit;
	void *misfit_ctx;

	struct tls_gate_stats stats;
};

static guint32 hash_seed;

/* ---- parsing: pure functions, each bounded by the length it is given ---- */

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/*
 * Whether @p (@len bytes of TCP payload) starts with a TLS handshake record
 * whose first message is a ClientHello; if so, copies its random.
 */
static bool parse_client_hello(const uint8_t *p, uint32_t len, uint8_t random[TLS_RANDOM_SIZE])
{
	uint32_t rec_len;

	if (len < TLS_RANDOM_OFF + TLS_RANDOM_SIZE)
		return false;
	if (p[0] != TLS_CT_HANDSHAKE || p[1] != 3 || p[2] > 4)
		return false;
	rec_len = get_be16(p + 3);
	if (rec_len < TLS_HS_HLEN + 2 + TLS_RANDOM_SIZE || rec_len > TLS_MAX_PLAINTEXT)
		return false;
	if (p[5] != TLS_HS_CLIENT_HELLO || get_be24(p + 6) < TLS_CLIENT_HELLO_MIN)
		return false;
	/* legacy_version: 0x0300 (SSL 3) to 0x0303 (also what TLS 1.3 sends) */
	if (p[9] != 3 || p[10] > 4)
		return false;
	memcpy(random, p + TLS_RANDOM_OFF, TLS_RANDOM_SIZE);
	return true;
}

/* HelloRetryRequest's ServerHello.random: SHA-256("HelloRetryRequest"), RFC 8446 4.1.3. */
static const uint8_t hello_retry_random[TLS_RANDOM_SIZE] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* The supported_versions extension's version in @p..@end (the extensions block), or 0. */
static uint16_t selected_version(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 4) {
		uint16_t type = get_be16(p), len = get_be16(p + 2);

		p += 4;
		if (len > end - p)
			return 0;
		if (type == TLS_EXT_VERSIONS)
			return len == 2 ? get_be16(p) : 0;
		p += len;
	}
	return 0;
}

/*
 * The ServerHello body @p..@end (complete): legacy_version, random,
 * legacy_session_id, cipher_suite, legacy_compression_method, extensions.
 */
static enum tls_server_hello parse_server_hello_body(const uint8_t *p, const uint8_t *end,
						     struct tls_gate_pkt *pkt)
{
	const uint8_t *random = p + 2;
	uint32_t sid_len, ext_len;

	if (end - p < 2 + TLS_RANDOM_SIZE + 1)
		return SH_NONE;
	sid_len = p[2 + TLS_RANDOM_SIZE];
	p += 2 + TLS_RANDOM_SIZE + 1;
	if (sid_len > SESSION_ID_MAX || end - p < sid_len + 3)
		return SH_NONE;
	p += sid_len;
	pkt->cipher_suite = get_be16(p);
	p += 3;
	if (end - p < 2)
		return SH_TLS12; /* no extensions: no supported_versions */
	ext_len = get_be16(p);
	p += 2;
	if (ext_len > end - p)
		return SH_NONE;
	if (selected_version(p, p + ext_len) != TLS_VERSION_13)
		return SH_TLS12;
	return memcmp(random, hello_retry_random, TLS_RANDOM_SIZE) ? SH_TLS13 : SH_RETRY;
}

/*
 * After the ServerHello record at @off: at most one ChangeCipherSpec (the
 * middlebox compatibility mode), then the first encrypted record, whose
 * header and first block are copied when all in @len.
 */
static void find_first_record(const uint8_t *p, uint32_t len, uint32_t off,
			      struct tls_gate_pkt *pkt)
{
	if (len - off >= TLS_RECORD_HLEN && p[off] == TLS_CT_CCS)
		off += TLS_RECORD_HLEN + get_be16(p + off + 3);
	if (off > len || len - off < TLS13_PEEK_LEN || p[off] != TLS_CT_APP_DATA)
		return;
	memcpy(pkt->record, p + off, TLS13_PEEK_LEN);
	pkt->has_record = true;
}

/* Whether @p (@len bytes of TCP payload) starts with a ServerHello, and which. */
static enum tls_server_hello parse_server_hello(const uint8_t *p, uint32_t len,
						struct tls_gate_pkt *pkt)
{
	uint32_t rec_len, hs_len;
	enum tls_server_hello sh;

	if (len < TLS_RECORD_HLEN + TLS_HS_HLEN)
		return SH_NONE;
	if (p[0] != TLS_CT_HANDSHAKE || p[1] != 3 || p[2] > 4 || p[5] != TLS_HS_SERVER_HELLO)
		return SH_NONE;
	rec_len = get_be16(p + 3);
	hs_len = get_be24(p + 6);
	if (rec_len > TLS_MAX_PLAINTEXT || TLS_HS_HLEN + hs_len > rec_len)
		return SH_NONE;
	if (TLS_RECORD_HLEN + rec_len > len)
		return SH_CUT;
	sh = parse_server_hello_body(p + TLS_RECORD_HLEN + TLS_HS_HLEN,
				     p + TLS_RECORD_HLEN + TLS_HS_HLEN + hs_len, pkt);
	if (sh == SH_TLS13)
		find_first_record(p, len, TLS_RECORD_HLEN + rec_len, pkt);
	return sh;
}

/* The same key for both directions: the smaller (address, port) goes first. */
static bool make_key(const struct pkt_tuple *t, struct tls_flow_key *key)
{
	int cmp = memcmp(t->saddr, t->daddr, sizeof(t->saddr));

	if (!cmp)
		cmp = (int)t->sport - (int)t->dport;
	memset(key, 0, sizeof(*key));
	key->family = t->family == AF_INET6 ? 6 : 4;
	if (cmp <= 0) {
		memcpy(key->addr_lo, t->saddr, 16);
		memcpy(key->addr_hi, t->daddr, 16);
		key->port_lo = t->sport;
		key->port_hi = t->dport;
	} else {
		memcpy(key->addr_lo, t->daddr, 16);
		memcpy(key->addr_hi, t->saddr, 16);
		key->port_lo = t->dport;
		key->port_hi = t->sport;
	}
	return cmp <= 0;
}

/* Only TCP carries the TLS we gate; pkt_tuple.c parses the headers. */
int tls_gate_parse(const uint8_t *data, uint32_t cap_len, uint16_t linktype,
		   struct tls_gate_pkt *pkt)
{
	struct pkt_tuple t;

	memset(pkt, 0, sizeof(*pkt));
	if (pkt_tuple_parse(data, cap_len, linktype, &t) || t.protocol != IPPROTO_TCP)
		return -1;
	pkt->from_lo = make_key(&t, &pkt->key);
	pkt->has_payload = t.payload_len > 0;
	pkt->client_hello =
	    parse_client_hello(data + t.payload_off, t.payload_len, pkt->client_random);
	if (!pkt->client_hello)
		pkt->server_hello = parse_server_hello(data + t.payload_off, t.payload_len, pkt);
	return 0;
}

/* ---- hash tables ---- */

static guint hash_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	guint32 h = 2166136261u ^ hash_seed; /* FNV-1a, seeded */

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static guint key_hash(gconstpointer p)
{
	return hash_bytes(p, sizeof(struct tls_flow_key));
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct tls_flow_key));
}

static guint random_hash(gconstpointer p)
{
	return hash_bytes(p, TLS_RANDOM_SIZE);
}

static gboolean random_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, TLS_RANDOM_SIZE);
}

static gint deadline_cmp(gconstpointer a, gconstpointer b)
{
	const struct flow *fa = a, *fb = b;

	if (fa->deadline_ns != fb->deadline_ns)
		return fa->deadline_ns < fb->deadline_ns ? -1 : 1;
	if (fa->seq != fb->seq)
		return fa->seq < fb->seq ? -1 : 1;
	return 0;
}

/* ---- the gate ---- */

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
	/* calloc: pages of the ring are only touched as randoms arrive. */
	g->ring = calloc(TLS_GATE_RANDOMS, sizeof(*g->ring));
	g->pend_ring = calloc(TLS_GATE_CHECKS, sizeof(*g->pend_ring));
	if (!g->ring || !g->pend_ring) {
		free(g->ring);
		free(g->pend_ring);
		free(g);
		return NULL;
	}
	if (!hash_seed)
		hash_seed = g_random_int() | 1;
	g->max_wait_ns = max_wait_ns;
	g->flows = g_hash_table_new_full(key_hash, key_equal, NULL, g_free);
	g->waiting = g_hash_table_new(random_hash, random_equal);
	g->deadlines = g_tree_new(deadline_cmp);
	g->randoms = g_hash_table_new(random_hash, random_equal);
	g->pending = g_hash_table_new(key_hash, key_equal);
	return g;
}

void tls_gate_on_misfit(struct tls_gate *g, tls_gate_misfit_fn fn, void *ctx)
{
	g->misfit = fn;
	g->misfit_ctx = ctx;
}

void tls_gate_free(struct tls_gate *g)
{
	if (!g)
		return;
	g_tree_destroy(g->deadlines);
	g_hash_table_destroy(g->waiting);
	g_hash_table_destroy(g->flows); /* frees the flows: last */
	g_hash_table_destroy(g->randoms);
	g_hash_table_destroy(g->pending);
	for (size_t i = 0; i < g->ring_count; i++)
		g_free(g->ring[i].check);
	free(g->ring);
	free(g->pend_ring);
	free(g);
}

static struct seen_random *remember_random(struct tls_gate *g, const uint8_t *random)
{
	struct seen_random *slot = &g->ring[g->ring_head];

	if (g->ring_count == TLS_GATE_RANDOMS)
		g_hash_table_remove(g->randoms, slot->random);
	else
		g->ring_count++;
	g_free(slot->check);
	memset(slot, 0, sizeof(*slot));
	memcpy(slot->random, random, TLS_RANDOM_SIZE);
	g_hash_table_insert(g->randoms, slot->random, slot);
	g->ring_head = (g->ring_head + 1) % TLS_GATE_RANDOMS;
	return slot;
}

static uint32_t known_labels(const struct tls_gate *g, const uint8_t *random)
{
	const struct seen_random *r = g_hash_table_lookup(g->randoms, random);

	return r ? r->labels : 0;
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

static void start_waiting(struct tls_gate *g, const struct tls_gate_pkt *pkt, uint32_t labels,
			  uint64_t deadline_ns)
{
	struct flow *f = g_new0(struct flow, 1);

	f->key = pkt->key;
	memcpy(f->random, pkt->client_random, TLS_RANDOM_SIZE);
	f->labels = labels;
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

static void on_client_hello(struct tls_gate *g, const struct tls_gate_pkt *pkt, uint64_t ts_ns,
			    uint64_t now_ns)
{
	uint64_t deadline_ns = add_sat(ts_ns, g->max_wait_ns);
	uint32_t labels = known_labels(g, pkt->client_random);
	struct flow *f;

	if (!g->max_wait_ns)
		return;
	f = g_hash_table_lookup(g->flows, &pkt->key);
	if (f && !memcmp(f->random, pkt->client_random, TLS_RANDOM_SIZE)) {
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
	start_waiting(g, pkt, labels, deadline_ns);
}

static struct seen_random *find_random(struct tls_gate *g, const uint8_t *random)
{
	struct seen_random *r = g_hash_table_lookup(g->randoms, random);

	return r ? r : remember_random(g, random);
}

/* ---- the secret check ---- */

/* Runs the check once both its parts are there; frees them either way. */
static void run_check(struct tls_gate *g, struct seen_random *r)
{
	struct hs_check *c = r->check;
	const struct tls13_suite *suite;
	enum tls13_fit fit;

	if (!c->secret_len || !c->has_record)
		return;
	suite = tls13_suite(c->suite);
	fit = tls13_check_server_handshake(suite, c->secret, c->secret_len, c->record);
	if (fit == TLS13_FITS) {
		g->stats.handshakes_verified++;
	} else if (fit == TLS13_MISFITS) {
		g->stats.handshakes_failed++;
		if (g->misfit)
			g->misfit(g->misfit_ctx, c->lib);
	} else {
		g->stats.handshakes_unverified++;
	}
	r->checked = true;
	g_free(c);
	r->check = NULL;
}

static struct hs_check *check_of(struct seen_random *r)
{
	if (r->checked)
		return NULL;
	if (!r->check)
		r->check = g_new0(struct hs_check, 1);
	return r->check;
}

static void check_secret(struct tls_gate *g, const struct tls_secret *secret)
{
	struct seen_random *r = find_random(g, secret->client_random);
	struct hs_check *c = check_of(r);

	if (!c || c->secret_len || !secret->secret_len || secret->secret_len > sizeof(c->secret))
		return;
	memcpy(c->secret, secret->secret, secret->secret_len);
	c->secret_len = secret->secret_len;
	c->lib = secret->lib;
	run_check(g, r);
}

/* The server's first flight of a TLS 1.3 connection that said hello with @random. */
static void check_flight(struct tls_gate *g, const uint8_t *random, const struct tls_gate_pkt *pkt)
{
	struct seen_random *r = find_random(g, random);
	struct hs_check *c = check_of(r);

	if (!c || c->has_record)
		return;
	if (!pkt->has_record || !tls13_suite(pkt->cipher_suite)) {
		/* Nothing to hold the secret against: CCM suites, a record in a later segment. */
		g->stats.handshakes_unverified++;
		r->checked = true;
		g_free(c);
		r->check = NULL;
		return;
	}
	c->suite = pkt->cipher_suite;
	memcpy(c->record, pkt->record, TLS13_PEEK_LEN);
	c->has_record = true;
	run_check(g, r);
}

/* A ClientHello that may wait: its connection's ServerHello will be looked at. */
static void expect_server_hello(struct tls_gate *g, const struct tls_gate_pkt *pkt)
{
	struct pending *p = g_hash_table_lookup(g->pending, &pkt->key);

	if (p) {
		/* The same hello again (retransmitted, after a HelloRetryRequest) or a new one. */
		memcpy(p->random, pkt->client_random, TLS_RANDOM_SIZE);
		p->client_lo = pkt->from_lo;
		return;
	}
	p = &g->pend_ring[g->pend_head];
	if (p->live)
		g_hash_table_remove(g->pending, &p->key);
	p->key = pkt->key;
	memcpy(p->random, pkt->client_random, TLS_RANDOM_SIZE);
	p->client_lo = pkt->from_lo;
	p->live = true;
	g_hash_table_insert(g->pending, &p->key, p);
	g->pend_head = (g->pend_head + 1) % TLS_GATE_CHECKS;
}

/* The server's first segment with data says which TLS, and carries the record to check. */
static void on_server_packet(struct tls_gate *g, const struct tls_gate_pkt *pkt)
{
	struct pending *p = g_hash_table_lookup(g->pending, &pkt->key);

	if (!p || p->client_lo == pkt->from_lo || !pkt->has_payload ||
	    pkt->server_hello == SH_RETRY)
		return;
	p->live = false;
	g_hash_table_remove(g->pending, &p->key);
	if (pkt->server_hello == SH_TLS13)
		check_flight(g, p->random, pkt);
	else if (pkt->server_hello == SH_CUT)
		g->stats.handshakes_unverified++;
	/* SH_TLS12 has nothing to check; SH_NONE is no handshake we know. */
}

void tls_gate_secret(struct tls_gate *g, const struct tls_secret *secret)
{
	uint32_t bit = label_bit(secret->label);
	struct seen_random *r;
	struct flow *f, *next;
	const uint8_t *client_random = secret->client_random;

	if (!strcmp(secret->label, "SERVER_HANDSHAKE_TRAFFIC_SECRET"))
		check_secret(g, secret);
	if (!bit)
		return;
	r = find_random(g, client_random);
	r->labels |= bit;

	/* Flows keep their own labels: the ring may forget this random while they wait. */
	for (f = g_hash_table_lookup(g->waiting, client_random); f; f = next) {
		next = f->next_same;
		f->labels |= bit;
		if (!labels_complete(f->labels))
			continue;
		g->stats.flows_completed++;
		drop_flow(g, f);
	}
}

static bool held_same(const struct held_pkt *h, const uint8_t *data, uint32_t cap_len,
		      uint64_t ts_ns)
{
	return h->data == data && h->ts_ns == ts_ns && h->cap_len == cap_len;
}

/* Counts a packet the first time it is held; checking it again is not a new packet. */
static void note_held(struct tls_gate *g, const uint8_t *data, uint32_t cap_len, uint64_t ts_ns)
{
	for (size_t i = 0; i < HELD_SLOTS; i++) {
		if (held_same(&g->held[i], data, cap_len, ts_ns))
			return;
	}
	g->held[g->held_next] = (struct held_pkt){.data = data, .ts_ns = ts_ns, .cap_len = cap_len};
	g->held_next = (g->held_next + 1) % HELD_SLOTS;
	g->stats.packets_held++;
}

/* A packet that passes leaves the held set, so a new packet in its buffer counts anew. */
static void note_passed(struct tls_gate *g, const uint8_t *data, uint32_t cap_len, uint64_t ts_ns)
{
	for (size_t i = 0; i < HELD_SLOTS; i++) {
		if (held_same(&g->held[i], data, cap_len, ts_ns))
			g->held[i] = (struct held_pkt){0};
	}
}

static bool is_waiting(const struct tls_gate *g, const struct tls_flow_key *key)
{
	return g_hash_table_size(g->flows) && g_hash_table_contains(g->flows, key);
}

enum gate_verdict tls_gate_check(struct tls_gate *g, const uint8_t *data, uint32_t cap_len,
				 uint16_t linktype, uint64_t ts_ns, uint64_t now_ns, bool may_wait)
{
	struct tls_gate_pkt pkt;

	tls_gate_expire(g, now_ns);
	if (!tls_gate_parse(data, cap_len, linktype, &pkt)) {
		if (pkt.client_hello && may_wait)
			expect_server_hello(g, &pkt);
		else if (g_hash_table_size(g->pending))
			on_server_packet(g, &pkt);
		if (pkt.client_hello) {
			if (may_wait)
				on_client_hello(g, &pkt, ts_ns, now_ns);
		} else if (is_waiting(g, &pkt.key)) {
			/* Not complete and not past its deadline, or it would be gone by now. */
			note_held(g, data, cap_len, ts_ns);
			return GATE_HOLD;
		}
	}
	if (g->stats.packets_held)
		note_passed(g, data, cap_len, ts_ns);
	return GATE_PASS;
}

void tls_gate_get_stats(const struct tls_gate *g, struct tls_gate_stats *st)
{
	*st = g->stats;
}

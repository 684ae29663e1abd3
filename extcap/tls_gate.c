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
 *   is checked.
 *
 * The hash tables are keyed by what the network sends (ports, ClientHello
 * randoms), so their hash is seeded per process: crafted collisions cannot
 * turn lookups linear.
 */
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "tls_gate.h"

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW	  101

#define VLAN_HLEN     4
#define MAX_VLAN_TAGS 2 /* 802.1ad outer + 802.1Q inner */

#define IPV4_HLEN	  20
#define IPV4_OFFMASK	  0x1fff
#define IPV6_HLEN	  40
#define IPV6_FRAG_OFFMASK 0xfff8
#define MAX_IPV6_EXT	  8 /* more extension headers than this is not a real packet */

#define TCP_HLEN 20

#define TLS_CT_HANDSHAKE    0x16
#define TLS_HS_CLIENT_HELLO 1
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

struct seen_random {
	uint8_t random[TLS_RANDOM_SIZE];
	uint32_t labels;
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

	struct tls_gate_stats stats;
};

static guint32 hash_seed;

/* ---- parsing: pure functions, each bounded by the length it is given ---- */

struct l3_info {
	uint8_t family;
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint32_t l4_off;
	uint32_t l4_end; /* end of the IP payload inside the capture */
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static bool is_vlan(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1;
}

/* Finds the network header: its offset and ethertype. */
static int parse_l2(const uint8_t *data, uint32_t cap_len, uint16_t linktype, uint32_t *l3_off,
		    uint16_t *proto)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	if (linktype == LINKTYPE_RAW) {
		if (cap_len < 1)
			return -1;
		*l3_off = 0;
		*proto = (data[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
		return 0;
	}
	if (linktype != LINKTYPE_ETHERNET || cap_len < ETH_HLEN)
		return -1;
	type = get_be16(data + 12);
	for (int tags = 0; tags < MAX_VLAN_TAGS && is_vlan(type); tags++) {
		if (cap_len - off < VLAN_HLEN)
			return -1;
		type = get_be16(data + off + 2);
		off += VLAN_HLEN;
	}
	*l3_off = off;
	*proto = type;
	return 0;
}

static int parse_ipv4(const uint8_t *data, uint32_t cap_len, uint32_t off, struct l3_info *l3)
{
	const uint8_t *ip = data + off;
	uint32_t ihl, tot;

	if (cap_len - off < IPV4_HLEN || ip[0] >> 4 != 4)
		return -1;
	ihl = (ip[0] & 0xf) * 4;
	tot = get_be16(ip + 2);
	/* tot 0: a GSO packet over 64 KiB (BIG TCP); the capture says how long it is. */
	if (ihl < IPV4_HLEN || (tot && tot < ihl) || cap_len - off < ihl)
		return -1;
	/* A non-first fragment has no TCP header, so no ports to match: it passes. */
	if (get_be16(ip + 6) & IPV4_OFFMASK)
		return -1;
	if (ip[9] != IPPROTO_TCP)
		return -1;
	l3->family = 4;
	memcpy(l3->saddr, ip + 12, 4);
	memcpy(l3->daddr, ip + 16, 4);
	l3->l4_off = off + ihl;
	l3->l4_end = tot ? off + min_u32(tot, cap_len - off) : cap_len;
	return 0;
}

/* The length of the IPv6 extension header @nh at @p (@avail bytes), 0 if it is not skippable. */
static uint32_t ipv6_ext_len(uint8_t nh, const uint8_t *p, uint32_t avail)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		return avail < 2 ? 0 : (p[1] + 1u) * 8;
	case IPPROTO_FRAGMENT:
		/* A non-first fragment has no TCP header. */
		if (avail < 8 || (get_be16(p + 2) & IPV6_FRAG_OFFMASK))
			return 0;
		return 8;
	case IPPROTO_AH:
		return avail < 2 ? 0 : (p[1] + 2u) * 4;
	default:
		return 0; /* ESP, no next header, or a protocol other than TCP */
	}
}

static int parse_ipv6(const uint8_t *data, uint32_t cap_len, uint32_t off, struct l3_info *l3)
{
	const uint8_t *ip = data + off;
	uint32_t plen, cur, end;
	uint8_t nh;

	if (cap_len - off < IPV6_HLEN || ip[0] >> 4 != 6)
		return -1;
	plen = get_be16(ip + 4);
	/* plen 0: a jumbogram or BIG TCP; the capture says how long it is. */
	end = plen ? off + IPV6_HLEN + min_u32(plen, cap_len - off - IPV6_HLEN) : cap_len;
	nh = ip[6];
	cur = off + IPV6_HLEN;
	for (int i = 0; i <= MAX_IPV6_EXT; i++) {
		uint32_t len;

		if (nh == IPPROTO_TCP) {
			l3->family = 6;
			memcpy(l3->saddr, ip + 8, 16);
			memcpy(l3->daddr, ip + 24, 16);
			l3->l4_off = cur;
			l3->l4_end = end;
			return 0;
		}
		len = ipv6_ext_len(nh, data + cur, end - cur);
		if (!len || end - cur < len)
			return -1;
		nh = data[cur];
		cur += len;
	}
	return -1;
}

/* Ports and payload offset; a header cut short by the snap length leaves no payload. */
static int parse_l4(const uint8_t *data, const struct l3_info *l3, uint16_t *sport, uint16_t *dport,
		    uint32_t *payload_off)
{
	const uint8_t *tcp = data + l3->l4_off;
	uint32_t avail = l3->l4_end - l3->l4_off;
	uint32_t doff;

	if (avail < TCP_HLEN)
		return -1;
	*sport = get_be16(tcp);
	*dport = get_be16(tcp + 2);
	doff = (tcp[12] >> 4) * 4u;
	if (doff < TCP_HLEN)
		return -1;
	*payload_off = l3->l4_off + min_u32(doff, avail);
	return 0;
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

/* The same key for both directions: the smaller (address, port) goes first. */
static void make_key(const struct l3_info *l3, uint16_t sport, uint16_t dport,
		     struct tls_flow_key *key)
{
	int cmp = memcmp(l3->saddr, l3->daddr, sizeof(l3->saddr));

	if (!cmp)
		cmp = (int)sport - (int)dport;
	memset(key, 0, sizeof(*key));
	key->family = l3->family;
	if (cmp <= 0) {
		memcpy(key->addr_lo, l3->saddr, 16);
		memcpy(key->addr_hi, l3->daddr, 16);
		key->port_lo = sport;
		key->port_hi = dport;
	} else {
		memcpy(key->addr_lo, l3->daddr, 16);
		memcpy(key->addr_hi, l3->saddr, 16);
		key->port_lo = dport;
		key->port_hi = sport;
	}
}

int tls_gate_parse(const uint8_t *data, uint32_t cap_len, uint16_t linktype,
		   struct tls_gate_pkt *pkt)
{
	struct l3_info l3 = {0};
	uint32_t l3_off, payload_off;
	uint16_t proto, sport, dport;
	int err;

	memset(pkt, 0, sizeof(*pkt));
	if (parse_l2(data, cap_len, linktype, &l3_off, &proto))
		return -1;
	if (proto == ETH_P_IP)
		err = parse_ipv4(data, cap_len, l3_off, &l3);
	else if (proto == ETH_P_IPV6)
		err = parse_ipv6(data, cap_len, l3_off, &l3);
	else
		err = -1;
	if (err || parse_l4(data, &l3, &sport, &dport, &payload_off))
		return -1;
	make_key(&l3, sport, dport, &pkt->key);
	pkt->client_hello =
	    parse_client_hello(data + payload_off, l3.l4_end - payload_off, pkt->client_random);
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
	if (!g->ring) {
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
	return g;
}

void tls_gate_free(struct tls_gate *g)
{
	if (!g)
		return;
	g_tree_destroy(g->deadlines);
	g_hash_table_destroy(g->waiting);
	g_hash_table_destroy(g->flows); /* frees the flows: last */
	g_hash_table_destroy(g->randoms);
	free(g->ring);
	free(g);
}

static struct seen_random *remember_random(struct tls_gate *g, const uint8_t *random)
{
	struct seen_random *slot = &g->ring[g->ring_head];

	if (g->ring_count == TLS_GATE_RANDOMS)
		g_hash_table_remove(g->randoms, slot->random);
	else
		g->ring_count++;
	memcpy(slot->random, random, TLS_RANDOM_SIZE);
	slot->labels = 0;
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

void tls_gate_secret(struct tls_gate *g, const uint8_t client_random[TLS_RANDOM_SIZE],
		     const char *label)
{
	uint32_t bit = label_bit(label);
	struct seen_random *r;
	struct flow *f, *next;

	if (!bit)
		return;
	r = g_hash_table_lookup(g->randoms, client_random);
	if (!r)
		r = remember_random(g, client_random);
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
				 uint16_t linktype, uint64_t ts_ns, uint64_t now_ns)
{
	struct tls_gate_pkt pkt;

	tls_gate_expire(g, now_ns);
	if (!tls_gate_parse(data, cap_len, linktype, &pkt)) {
		if (pkt.client_hello) {
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

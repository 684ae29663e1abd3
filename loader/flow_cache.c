// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include <string.h>
#include "flow_cache.h"

/* The part of a tuple that names the flow: addresses, ports, protocol. */
#define FLOW_KEY_LEN offsetof(struct pkt_tuple, payload_off)

/* Ports and the addresses' last bytes vary most between flows. */
static unsigned int slot_of(const struct pkt_tuple *t, bool outbound)
{
	unsigned int h = t->sport * 31u + t->dport;

	h = h * 31u + t->saddr[3] + t->saddr[15];
	h = h * 31u + t->daddr[3] + t->daddr[15];
	return (h ^ (h >> 8) ^ outbound) % FLOW_CACHE_SLOTS;
}

/*
 * Field by field, each as wide as pkt_tuple_parse() stored it, a moment
 * ago: a load that spans several fresh stores waits for them to reach the
 * cache. The family goes last, or the compiler reads it with the protocol,
 * its neighbour, in one load. A memcmp() of the whole key kept ~10% of
 * ecap-tls's samples waiting on one load under small UDP packets (perf
 * annotate, session 33).
 */
static bool same_flow(const struct pkt_tuple *a, const struct pkt_tuple *b)
{
	return a->sport == b->sport && a->dport == b->dport && a->protocol == b->protocol &&
	       !memcmp(a->saddr, b->saddr, sizeof(a->saddr)) &&
	       !memcmp(a->daddr, b->daddr, sizeof(a->daddr)) && a->family == b->family;
}

bool flow_cache_get(const struct flow_cache *c, const struct pkt_tuple *t, bool outbound,
		    uint64_t cookie, void **value)
{
	const struct flow_cache_slot *s = &c->slots[slot_of(t, outbound)];

	if (s->generation != c->generation || s->outbound != outbound || s->cookie != cookie ||
	    !same_flow(&s->key, t))
		return false;
	*value = s->value;
	return true;
}

void flow_cache_put(struct flow_cache *c, const struct pkt_tuple *t, bool outbound,
		    uint64_t cookie, void *value)
{
	struct flow_cache_slot *s = &c->slots[slot_of(t, outbound)];

	memset(&s->key, 0, sizeof(s->key));
	memcpy(&s->key, t, FLOW_KEY_LEN);
	s->outbound = outbound;
	s->cookie = cookie;
	s->generation = c->generation;
	s->value = value;
}

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

bool flow_cache_get(const struct flow_cache *c, const struct pkt_tuple *t, bool outbound,
		    uint64_t cookie, void **value)
{
	const struct flow_cache_slot *s = &c->slots[slot_of(t, outbound)];

	if (s->generation != c->generation || s->outbound != outbound || s->cookie != cookie ||
	    memcmp(&s->key, t, FLOW_KEY_LEN))
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

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Recent answers by packet flow: a small direct-mapped cache from a packet's
 * addresses, ports, direction and socket cookie (0 where the kernel gave
 * none) to whatever was looked up for them (NULL answers included).
 * Consecutive packets of a flow cost one compare instead of the lookups
 * behind it. Entries hold the generation they were made in;
 * the owner of the cache bumps its generation whenever an answer could have
 * changed, which makes every entry stale at once.
 */
#ifndef ECAP_FLOW_CACHE_H
#define ECAP_FLOW_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include "pkt_tuple.h"

#define FLOW_CACHE_SLOTS 256

struct flow_cache_slot {
	struct pkt_tuple key; /* payload fields zeroed */
	bool outbound;
	uint64_t cookie;
	uint64_t generation;
	void *value;
};

/* Zeroed, it is empty: no parsed packet has family 0. */
struct flow_cache {
	uint64_t generation;
	struct flow_cache_slot slots[FLOW_CACHE_SLOTS];
};

/* Forgets every answer, in O(1). */
static inline void flow_cache_invalidate(struct flow_cache *c)
{
	c->generation++;
}

/* True with *value set if the flow's answer is known. */
bool flow_cache_get(const struct flow_cache *c, const struct pkt_tuple *t, bool outbound,
		    uint64_t cookie, void **value);

void flow_cache_put(struct flow_cache *c, const struct pkt_tuple *t, bool outbound,
		    uint64_t cookie, void *value);

#endif

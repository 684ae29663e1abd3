// SPDX-License-Identifier: GPL-2.0-or-later
/* The flow cache: answers by flow and direction, all forgotten at once. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "flow_cache.h"

static struct pkt_tuple flow(uint16_t sport, uint8_t last_byte)
{
	struct pkt_tuple t = {
		.family = AF_INET, .protocol = IPPROTO_UDP, .sport = sport, .dport = 53,
		.saddr = {198, 18, 0, last_byte}, .daddr = {198, 18, 0, 2},
		.payload_off = 42, .payload_len = 10,
	};

	return t;
}

static void test_hit_and_miss(void)
{
	static struct flow_cache c;
	struct pkt_tuple a = flow(40000, 1), b = flow(40001, 1);
	int x, y;
	void *v = NULL;

	CHECK(!flow_cache_get(&c, &a, true, 0, &v), "an empty cache knows nothing");
	flow_cache_put(&c, &a, true, 0, &x);
	CHECK(flow_cache_get(&c, &a, true, 0, &v) && v == &x, "the answer put is found");
	CHECK(!flow_cache_get(&c, &a, false, 0, &v), "the other direction is another question");
	CHECK(!flow_cache_get(&c, &b, true, 0, &v), "another port is another flow");
	CHECK(!flow_cache_get(&c, &a, true, 7, &v), "another socket is another question");
	/* The payload is not part of the flow. */
	a.payload_off = 1;
	a.payload_len = 999;
	CHECK(flow_cache_get(&c, &a, true, 0, &v) && v == &x, "payload fields are ignored");
	/* NULL is an answer too: no owner. */
	flow_cache_put(&c, &b, true, 0, NULL);
	v = &y;
	CHECK(flow_cache_get(&c, &b, true, 0, &v) && v == NULL, "a NULL answer is kept");
	flow_cache_invalidate(&c);
	CHECK(!flow_cache_get(&c, &a, true, 0, &v), "invalidation forgets every answer");
	CHECK(!flow_cache_get(&c, &b, true, 0, &v), "invalidation forgets NULL answers");
	flow_cache_put(&c, &a, true, 0, &y);
	CHECK(flow_cache_get(&c, &a, true, 0, &v) && v == &y, "answers after invalidation count");
}

/* Flows sharing a slot replace each other and are never confused. */
static void test_collisions(void)
{
	static struct flow_cache c;
	static int values[4 * FLOW_CACHE_SLOTS];
	int found = 0, wrong = 0;
	void *v;

	for (int i = 0; i < 4 * FLOW_CACHE_SLOTS; i++) {
		struct pkt_tuple t = flow((uint16_t)(1000 + i), (uint8_t)i);

		flow_cache_put(&c, &t, i & 1, 0, &values[i]);
	}
	for (int i = 0; i < 4 * FLOW_CACHE_SLOTS; i++) {
		struct pkt_tuple t = flow((uint16_t)(1000 + i), (uint8_t)i);

		if (!flow_cache_get(&c, &t, i & 1, 0, &v))
			continue;
		found++;
		wrong += v != &values[i];
	}
	CHECK(found > 0 && found <= FLOW_CACHE_SLOTS, "%d of %d flows cached", found,
	      4 * FLOW_CACHE_SLOTS);
	CHECK_EQ(wrong, 0);
}

int main(void)
{
	test_hit_and_miss();
	test_collisions();
	return check_summary("flow_cache");
}

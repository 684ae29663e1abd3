// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two-generation table: bounded, an entry used once per generation
 * stays, one never used again is forgotten, values are destroyed once.
 */
#include <stdint.h>
#include "check.h"
#include "gen_table.h"

static int freed;

static void free_value(gpointer v)
{
	freed++;
	g_free(v);
}

static void put(struct gen_table *t, uint64_t k)
{
	gen_table_insert(t, g_memdup2(&k, sizeof(k)), g_memdup2(&k, sizeof(k)));
}

static bool has(struct gen_table *t, uint64_t k)
{
	uint64_t *v = gen_table_lookup(t, &k);

	return v && *v == k;
}

static void test_bounded_and_kept_while_used(void)
{
	struct gen_table t;
	uint64_t *addr;

	gen_table_init(&t, 100, g_int64_hash, g_int64_equal, g_free, free_value);
	put(&t, 7);
	addr = gen_table_lookup(&t, &(uint64_t){ 7 });
	/* 1000 other entries, 7 used every 20 of them: it stays, at the same address. */
	for (uint64_t k = 1000; k < 2000; k++) {
		put(&t, k);
		CHECK(gen_table_size(&t) <= 100, "%u entries, bound 100", gen_table_size(&t));
		if (k % 20 == 0)
			CHECK(gen_table_lookup(&t, &(uint64_t){ 7 }) == addr, "used entry kept at %lu",
			      (unsigned long)k);
	}
	CHECK(has(&t, 1999), "the newest entry is there");
	CHECK(!has(&t, 1000), "an entry never used again is forgotten");
	gen_table_destroy(&t);
	/* Every value destroyed exactly once: 1001 made, none leaked or doubly freed. */
	CHECK_EQ(freed, 1001);
}

static void test_replace(void)
{
	struct gen_table t;
	uint64_t k = 5, *v;

	freed = 0;
	gen_table_init(&t, 4, g_int64_hash, g_int64_equal, g_free, free_value);
	put(&t, 5);
	put(&t, 6);
	put(&t, 8); /* ages: 5 and 6 are old now */
	v = g_memdup2(&(uint64_t){ 55 }, 8);
	gen_table_insert(&t, g_memdup2(&k, 8), v);
	CHECK(gen_table_lookup(&t, &k) == v, "a new value replaces the old generation's");
	CHECK_EQ(freed, 1);
	CHECK_EQ(gen_table_size(&t), 3);
	gen_table_destroy(&t);
	CHECK_EQ(freed, 4);
}

int main(void)
{
	test_bounded_and_kept_while_used();
	test_replace();
	return check_summary("gen_table");
}

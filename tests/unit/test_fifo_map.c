// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extcap/fifo_map.c: records found by key; the oldest gives way once the map
 * is full, its owned memory released; a removed record's key may come back
 * without the old slot's reuse forgetting the new record; and, against a
 * list of what it should hold, any mix of adds and removes whose keys crowd
 * into few index entries (runs that wrap around, removals inside a run).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fifo_map.h"

struct rec {
	uint32_t key;
	uint32_t value;
	char *owned;
};

static int cleared;

static void clear(void *r)
{
	cleared++;
	g_free(((struct rec *)r)->owned);
}

static guint key_hash(gconstpointer k)
{
	return *(const uint32_t *)k;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return *(const uint32_t *)a == *(const uint32_t *)b;
}

/* Keys 1-99 all start at one of five entries of a 16-entry index, across its end. */
static guint crowded_hash(gconstpointer k)
{
	return 14 + *(const uint32_t *)k % 5;
}

#define MODEL_CAPACITY 8

/* The keys the map should hold, oldest first; a removed one is 0. */
static uint32_t model[MODEL_CAPACITY];
static int model_len;

static bool model_has(uint32_t key)
{
	for (int i = 0; i < model_len; i++) {
		if (model[i] == key)
			return true;
	}
	return false;
}

static void model_add(uint32_t key)
{
	if (model_len == MODEL_CAPACITY) {
		memmove(model, model + 1, sizeof(model) - sizeof(model[0]));
		model_len--;
	}
	model[model_len++] = key;
}

static void model_remove(uint32_t key)
{
	for (int i = 0; i < model_len; i++) {
		if (model[i] == key)
			model[i] = 0;
	}
}

static size_t model_size(void)
{
	size_t n = 0;

	for (int i = 0; i < model_len; i++)
		n += model[i] != 0;
	return n;
}

static void check_against_model(void)
{
	struct fifo_map m;
	unsigned int seed = 1;
	int wrong = 0;

	CHECK_EQ(fifo_map_init(&m, MODEL_CAPACITY, sizeof(uint32_t), sizeof(uint32_t),
			       crowded_hash, key_equal, NULL), 0);
	CHECK_EQ(m.index_mask, 15);
	for (int step = 0; step < 20000; step++) {
		uint32_t key = 1 + rand_r(&seed) % 99;
		uint32_t *r = fifo_map_lookup(&m, &key);

		wrong += (r != NULL) != model_has(key) || (r && *r != key);
		if (!r) {
			fifo_map_add(&m, &key);
			model_add(key);
		} else if (rand_r(&seed) % 2) {
			fifo_map_remove(&m, r);
			model_remove(key);
		}
		wrong += fifo_map_size(&m) != model_size();
	}
	for (uint32_t key = 1; key < 100; key++)
		wrong += (fifo_map_lookup(&m, &key) != NULL) != model_has(key);
	CHECK_EQ(wrong, 0);
	fifo_map_destroy(&m);
}

static struct rec *add(struct fifo_map *m, uint32_t key)
{
	struct rec *r = fifo_map_add(m, &key);

	r->value = key * 10;
	r->owned = g_strdup("x");
	return r;
}

int main(void)
{
	struct fifo_map m;
	struct rec *r;
	uint32_t k;

	CHECK_EQ(fifo_map_init(&m, 3, sizeof(struct rec), sizeof(uint32_t), key_hash, key_equal,
			       clear), 0);
	for (uint32_t i = 1; i <= 3; i++)
		add(&m, i);
	CHECK_EQ(fifo_map_size(&m), 3);
	k = 2;
	r = fifo_map_lookup(&m, &k);
	CHECK(r && r->key == 2 && r->value == 20, "record 2 found");

	/* Full: 4 takes 1's slot, which is cleared and forgotten. */
	r = add(&m, 4);
	CHECK_EQ(cleared, 1);
	k = 1;
	CHECK(!fifo_map_lookup(&m, &k), "the oldest record is gone");
	CHECK(r->key == 4 && r->value == 40, "the new record is zeroed but for its key");
	CHECK_EQ(fifo_map_size(&m), 3);

	/* Slots now hold 4, 2, 3, and 2's is next. 3 is removed, then added again:
	 * into 2's slot. Reusing 3's old slot next must keep the new 3. */
	k = 3;
	fifo_map_remove(&m, fifo_map_lookup(&m, &k));
	CHECK(!fifo_map_lookup(&m, &k), "a removed record is not found");
	r = add(&m, 3);
	add(&m, 6);
	CHECK(fifo_map_lookup(&m, &k) == r, "the new record 3 survives its old slot's reuse");
	k = 2;
	CHECK(!fifo_map_lookup(&m, &k), "2 gave way");
	CHECK_EQ(fifo_map_size(&m), 3);
	CHECK_EQ(cleared, 3);

	fifo_map_destroy(&m);
	check_against_model();
	/* Every record ever made has its owned memory released once: ASan checks the rest. */
	CHECK_EQ(cleared, 6);
	return check_summary("fifo_map");
}

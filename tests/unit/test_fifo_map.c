// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extcap/fifo_map.c: records found by key; the oldest gives way once the map
 * is full, its owned memory released; a removed record's key may come back
 * without the old slot's reuse forgetting the new record.
 */
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
	/* Every record ever made has its owned memory released once: ASan checks the rest. */
	CHECK_EQ(cleared, 6);
	return check_summary("fifo_map");
}

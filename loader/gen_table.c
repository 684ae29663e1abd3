// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "gen_table.h"

static GHashTable *new_generation(const struct gen_table *t)
{
	return g_hash_table_new_full(t->hash, t->equal, t->free_key, t->free_value);
}

void gen_table_init(struct gen_table *t, guint max, GHashFunc hash, GEqualFunc equal,
		    GDestroyNotify free_key, GDestroyNotify free_value)
{
	*t = (struct gen_table){ .half = max / 2 ? max / 2 : 1, .hash = hash, .equal = equal,
				 .free_key = free_key, .free_value = free_value };
	t->young = new_generation(t);
	t->old = new_generation(t);
}

void gen_table_destroy(struct gen_table *t)
{
	if (t->young)
		g_hash_table_destroy(t->young);
	if (t->old)
		g_hash_table_destroy(t->old);
	t->young = t->old = NULL;
}

static void age(struct gen_table *t)
{
	g_hash_table_destroy(t->old);
	t->old = t->young;
	t->young = new_generation(t);
}

void gen_table_insert(struct gen_table *t, gpointer key, gpointer value)
{
	g_hash_table_remove(t->old, key);
	if (g_hash_table_size(t->young) >= t->half && !g_hash_table_contains(t->young, key))
		age(t);
	g_hash_table_replace(t->young, key, value);
}

gpointer gen_table_lookup(struct gen_table *t, gconstpointer key)
{
	gpointer old_key, value = g_hash_table_lookup(t->young, key);

	if (value || !g_hash_table_steal_extended(t->old, key, &old_key, &value))
		return value;
	/* Used again: young. Moved, not copied, so the value's address holds. */
	g_hash_table_replace(t->young, old_key, value);
	return value;
}

guint gen_table_size(const struct gen_table *t)
{
	return g_hash_table_size(t->young) + g_hash_table_size(t->old);
}

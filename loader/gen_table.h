/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded hash table that forgets what is no longer used, in O(1): two
 * GHashTables, a young and an old generation. New entries go into the young
 * one; once it holds half the bound, the old one is dropped (its values
 * destroyed) and the young one becomes old. A lookup that finds an entry in
 * the old generation moves it to the young one, so an entry used at least
 * once per generation stays. Flushing a whole table when it was full made a
 * busy server's long-lived connections lose their owners every few seconds.
 *
 * Lookups never drop anything: pointers to values stay valid until the next
 * insert.
 */
#ifndef ECAP_GEN_TABLE_H
#define ECAP_GEN_TABLE_H

#include <glib.h>

struct gen_table {
	GHashTable *young, *old;
	guint half; /* entries the young generation takes before it ages */
	GHashFunc hash;
	GEqualFunc equal;
	GDestroyNotify free_key, free_value;
};

void gen_table_init(struct gen_table *t, guint max, GHashFunc hash, GEqualFunc equal,
		    GDestroyNotify free_key, GDestroyNotify free_value);
void gen_table_destroy(struct gen_table *t);

/* Takes ownership of @key and @value; replaces (and destroys) an entry of @key. */
void gen_table_insert(struct gen_table *t, gpointer key, gpointer value);

gpointer gen_table_lookup(struct gen_table *t, gconstpointer key);

guint gen_table_size(const struct gen_table *t);

#endif

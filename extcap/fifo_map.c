// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fifo_map.h"

int fifo_map_init(struct fifo_map *m, size_t capacity, size_t record_size, size_t key_size,
		  GHashFunc hash, GEqualFunc equal, void (*clear)(void *record))
{
	memset(m, 0, sizeof(*m));
	m->slots = calloc(capacity, record_size);
	if (!m->slots)
		return -ENOMEM;
	m->record_size = record_size;
	m->key_size = key_size;
	m->capacity = capacity;
	m->clear = clear;
	m->index = g_hash_table_new(hash, equal);
	return 0;
}

void fifo_map_destroy(struct fifo_map *m)
{
	if (!m->slots)
		return;
	g_hash_table_destroy(m->index);
	for (size_t i = 0; m->clear && i < m->used; i++)
		m->clear(m->slots + i * m->record_size);
	free(m->slots);
	m->slots = NULL;
}

void *fifo_map_lookup(const struct fifo_map *m, const void *key)
{
	return g_hash_table_lookup(m->index, key);
}

void fifo_map_remove(struct fifo_map *m, void *record)
{
	/* Only if it is the record its key names: a removed one's key may be in use again. */
	if (g_hash_table_lookup(m->index, record) == record)
		g_hash_table_remove(m->index, record);
}

void *fifo_map_add(struct fifo_map *m, const void *key)
{
	unsigned char *slot = m->slots + m->head * m->record_size;

	if (m->used == m->capacity) {
		fifo_map_remove(m, slot);
		if (m->clear)
			m->clear(slot);
	} else {
		m->used++;
	}
	memset(slot, 0, m->record_size);
	memcpy(slot, key, m->key_size);
	g_hash_table_insert(m->index, slot, slot);
	m->head = (m->head + 1) % m->capacity;
	return slot;
}

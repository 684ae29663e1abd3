// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "fifo_map.h"

/*
 * Pages of their own, zeroed and mapped at once (MAP_POPULATE): a table fills
 * within seconds of a busy capture and stays full, and a page fault per page
 * as it fills cost more CPU than its records (11 us a fault on a virtual
 * machine, 2 ms at start for the ~10 MiB of a capture's tables).
 */
static void *zeroed_pages(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void free_pages(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

static size_t slots_size(const struct fifo_map *m)
{
	return m->capacity * m->record_size;
}

static size_t index_size(const struct fifo_map *m)
{
	return (m->index_mask + 1) * sizeof(*m->index);
}

int fifo_map_init(struct fifo_map *m, size_t capacity, size_t record_size, size_t key_size,
		  GHashFunc hash, GEqualFunc equal, void (*clear)(void *record))
{
	size_t entries = 2;

	memset(m, 0, sizeof(*m));
	while (entries < 2 * capacity)
		entries *= 2;
	m->index_mask = entries - 1;
	m->record_size = record_size;
	m->capacity = capacity;
	m->slots = zeroed_pages(slots_size(m));
	m->index = zeroed_pages(index_size(m));
	if (!m->slots || !m->index) {
		free_pages(m->slots, slots_size(m));
		free_pages(m->index, index_size(m));
		m->slots = NULL;
		return -ENOMEM;
	}
	m->key_size = key_size;
	m->hash = hash;
	m->equal = equal;
	m->clear = clear;
	return 0;
}

void fifo_map_destroy(struct fifo_map *m)
{
	if (!m->slots)
		return;
	for (size_t i = 0; m->clear && i < m->used; i++)
		m->clear(m->slots + i * m->record_size);
	free_pages(m->slots, slots_size(m));
	free_pages(m->index, index_size(m));
	m->slots = NULL;
}

static void *record_at(const struct fifo_map *m, const struct fifo_map_entry *e)
{
	return m->slots + (e->slot - 1) * m->record_size;
}

void *fifo_map_lookup(const struct fifo_map *m, const void *key)
{
	uint32_t hash = m->hash(key);

	for (size_t i = hash & m->index_mask;; i = (i + 1) & m->index_mask) {
		const struct fifo_map_entry *e = &m->index[i];

		if (!e->slot)
			return NULL;
		if (e->hash == hash && m->equal(record_at(m, e), key))
			return record_at(m, e);
	}
}

/* Whether the entry at @home belongs at or before @hole in a run that reaches @i. */
static bool may_fill(size_t home, size_t hole, size_t i)
{
	/* Cyclically, home is not in (hole, i]. */
	return hole <= i ? home <= hole || home > i : home <= hole && home > i;
}

/* Empties entry @hole, moving back the entries of its run that may take its place. */
static void index_delete(struct fifo_map *m, size_t hole)
{
	for (size_t i = (hole + 1) & m->index_mask; m->index[i].slot;
	     i = (i + 1) & m->index_mask) {
		if (may_fill(m->index[i].hash & m->index_mask, hole, i)) {
			m->index[hole] = m->index[i];
			hole = i;
		}
	}
	m->index[hole].slot = 0;
	m->count--;
}

void fifo_map_remove(struct fifo_map *m, void *record)
{
	uint32_t slot = (uint32_t)(((unsigned char *)record - m->slots) / m->record_size) + 1;

	/* By slot, not key: a removed record's key may be in use again in another slot. */
	for (size_t i = m->hash(record) & m->index_mask; m->index[i].slot;
	     i = (i + 1) & m->index_mask) {
		if (m->index[i].slot == slot) {
			index_delete(m, i);
			return;
		}
	}
}

void *fifo_map_add(struct fifo_map *m, const void *key)
{
	unsigned char *slot = m->slots + m->head * m->record_size;
	uint32_t hash = m->hash(key);
	size_t i;

	if (m->used == m->capacity) {
		fifo_map_remove(m, slot);
		if (m->clear)
			m->clear(slot);
	} else {
		m->used++;
	}
	memset(slot, 0, m->record_size);
	memcpy(slot, key, m->key_size);
	for (i = hash & m->index_mask; m->index[i].slot; i = (i + 1) & m->index_mask)
		;
	m->index[i] = (struct fifo_map_entry){ .hash = hash, .slot = (uint32_t)m->head + 1 };
	m->count++;
	m->head = (m->head + 1) % m->capacity;
	return slot;
}

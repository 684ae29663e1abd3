/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A bounded table of fixed-size records, each keyed by its first bytes: when
 * it is full, a new record takes the oldest one's slot (first in, first out).
 * The dedupe of secrets, the TLS gate's labels per client random and the
 * secret check's handshakes and pending connections keep their last N this
 * way, so that a long capture's memory stays flat.
 *
 * Each of those runs for every secret, on tables too large to stay in cache
 * between the capture loop's reads: what counts is cache lines touched. The
 * index is open addressing with linear probing over (hash, slot) pairs, eight
 * to a line, at most half full: a lookup reads one index line and the record
 * it names. It is sized once, so it never rehashes; a removal shifts the rest
 * of its run back instead of leaving a tombstone.
 *
 * Slots and index are mapped, and their pages faulted in, once at init.
 */
#ifndef ECAP_FIFO_MAP_H
#define ECAP_FIFO_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

struct fifo_map_entry {
	uint32_t hash;
	uint32_t slot; /* the record's slot + 1; 0 for an empty entry */
};

struct fifo_map {
	struct fifo_map_entry *index;
	size_t index_mask;
	unsigned char *slots;
	size_t record_size, key_size, capacity;
	size_t head;  /* the next slot to fill, the oldest once all are used */
	size_t used;  /* slots ever filled */
	size_t count; /* records in the index */
	GHashFunc hash;
	GEqualFunc equal;
	void (*clear)(void *record); /* releases what a record owns; may be NULL */
};

/*
 * @capacity records of @record_size bytes, keyed by their first @key_size
 * bytes through @hash and @equal. @clear runs on a record before its slot is
 * reused and on every record at destroy. Returns 0 or -ENOMEM.
 */
int fifo_map_init(struct fifo_map *m, size_t capacity, size_t record_size, size_t key_size,
		  GHashFunc hash, GEqualFunc equal, void (*clear)(void *record));
void fifo_map_destroy(struct fifo_map *m);

/* The record keyed @key, or NULL. */
void *fifo_map_lookup(const struct fifo_map *m, const void *key);

/*
 * A new record for @key, which must not be in the map: zeroed but for its
 * key, in the oldest slot once the map is full (that record is forgotten).
 */
void *fifo_map_add(struct fifo_map *m, const void *key);

/* Forgets @record; its slot is reused in turn. */
void fifo_map_remove(struct fifo_map *m, void *record);

/* How many records the map holds. */
static inline size_t fifo_map_size(const struct fifo_map *m)
{
	return m->count;
}

#endif

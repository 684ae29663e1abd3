// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <string.h>
#include "seeded_hash.h"

static uint64_t hash_seed;

/* Each word mixed in by a multiply and a fold (the murmur finalizer's constant). */
guint seeded_hash(const void *key, size_t len)
{
	const uint8_t *b = key;
	uint64_t h, w;

	/* Odd, so never 0: drawn at the first lookup and kept. */
	if (!hash_seed)
		hash_seed = ((uint64_t)g_random_int() << 32 | g_random_int()) | 1;
	h = hash_seed ^ len;
	for (; len; b += sizeof(w), len -= MIN(len, sizeof(w))) {
		w = 0;
		memcpy(&w, b, MIN(len, sizeof(w)));
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (guint)h;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <string.h>
#include "seeded_hash.h"

static uint64_t hash_seed;

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

/*
 * Each word mixed in by a multiply and a fold (the murmur finalizer's
 * constant); a short last word is padded with zeros. Whole words are loaded
 * by a copy of constant size, which the compiler makes one load: a copy of
 * variable size was a call to memcpy() per word.
 */
guint seeded_hash(const void *key, size_t len)
{
	const uint8_t *b = key;
	uint64_t h, w;

	/* Odd, so never 0: drawn at the first lookup and kept. */
	if (!hash_seed)
		hash_seed = ((uint64_t)g_random_int() << 32 | g_random_int()) | 1;
	h = hash_seed ^ len;
	for (; len >= sizeof(w); b += sizeof(w), len -= sizeof(w)) {
		memcpy(&w, b, sizeof(w));
		h = mix(h, w);
	}
	if (len) {
		w = 0;
		memcpy(&w, b, len);
		h = mix(h, w);
	}
	return (guint)h;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Seeded hashes for the TLS tables (see tls_hash.h). */
#include <stdint.h>
#include <string.h>

#include "tls_hash.h"
#include "tls_hello.h"

static uint64_t hash_seed;

/*
 * Eight bytes a step, each mixed in by a multiply and a fold (the murmur
 * finalizer's constant): keys are 32-40 bytes and hashed for every packet
 * of a handshake, where byte-wise FNV-1a showed in the profile.
 */
static guint hash_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
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

guint tls_flow_key_hash(gconstpointer key)
{
	return hash_bytes(key, sizeof(struct tls_flow_key));
}

gboolean tls_flow_key_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct tls_flow_key));
}

guint tls_random_hash(gconstpointer random)
{
	return hash_bytes(random, TLS_RANDOM_SIZE);
}

gboolean tls_random_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, TLS_RANDOM_SIZE);
}

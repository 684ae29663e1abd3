// SPDX-License-Identifier: GPL-2.0-or-later
/* Seeded hashes for the TLS tables (see tls_hash.h). */
#include <stdint.h>
#include <string.h>

#include "tls_hash.h"
#include "tls_hello.h"

static guint32 hash_seed;

static guint hash_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	guint32 h;

	/* Odd, so never 0: drawn at the first lookup and kept. */
	if (!hash_seed)
		hash_seed = g_random_int() | 1;
	h = 2166136261u ^ hash_seed; /* FNV-1a, seeded */
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
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

// SPDX-License-Identifier: GPL-2.0-or-later
/* Seeded hashes for the TLS tables (see tls_hash.h). */
#include <string.h>

#include "seeded_hash.h"
#include "tls_hash.h"
#include "tls_hello.h"

guint tls_flow_key_hash(gconstpointer key)
{
	return seeded_hash(key, sizeof(struct tls_flow_key));
}

gboolean tls_flow_key_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct tls_flow_key));
}

guint tls_random_hash(gconstpointer random)
{
	return seeded_hash(random, TLS_RANDOM_SIZE);
}

gboolean tls_random_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, TLS_RANDOM_SIZE);
}

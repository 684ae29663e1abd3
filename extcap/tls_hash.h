/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GHashTable callbacks for the TLS gate's and the secret check's tables,
 * keyed by connection (struct tls_flow_key) or by ClientHello random.
 *
 * Both keys are what the network sends: seeded_hash() hashes them.
 */
#ifndef ECAP_TLS_HASH_H
#define ECAP_TLS_HASH_H

#include <glib.h>

guint tls_flow_key_hash(gconstpointer key);
gboolean tls_flow_key_equal(gconstpointer a, gconstpointer b);

/* TLS_RANDOM_SIZE bytes. */
guint tls_random_hash(gconstpointer random);
gboolean tls_random_equal(gconstpointer a, gconstpointer b);

#endif

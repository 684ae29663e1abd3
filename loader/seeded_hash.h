/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A hash for GHashTable keys that come from the network (addresses, ports,
 * TLS randoms): seeded once per process, so that crafted keys cannot turn
 * lookups linear, and eight bytes a step, because keys of 32-44 bytes are
 * hashed for packets, where byte-wise FNV-1a showed in the profile.
 */
#ifndef ECAP_SEEDED_HASH_H
#define ECAP_SEEDED_HASH_H

#include <stddef.h>
#include <glib.h>

guint seeded_hash(const void *key, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-256 and SHA-384, plain and as HMAC, from libcrypto, for the TLS 1.3
 * key schedule (the check of a handshake's secrets). It runs at the rate of
 * new connections, where GLib's portable SHA-2 and its allocating HMAC took a
 * fifth of the capture's CPU. The algorithms are fetched from libcrypto once,
 * not by name on every call, and one context serves every call: not for use
 * from several threads.
 *
 * @hash_len picks the hash: 32 for SHA-256, 48 for SHA-384.
 */
#ifndef ECAP_DIGEST_H
#define ECAP_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_MAX 48

/* Hash(@a | @b) into @out (@hash_len bytes). Returns 0, or -1 if libcrypto failed. */
int digest(size_t hash_len, const void *a, size_t a_len, const void *b, size_t b_len,
	   uint8_t *out);

/* HMAC-Hash(@key, @a | @b) into @out (@hash_len bytes). Returns 0 or -1. */
int digest_hmac(size_t hash_len, const uint8_t *key, size_t key_len, const void *a, size_t a_len,
		const void *b, size_t b_len, uint8_t *out);

#endif

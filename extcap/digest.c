// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"

#define MAX_BLOCK 128 /* SHA-384's */

/*
 * Fetched on first use and kept for the process's life, as is the one
 * digest context every call reuses: the capture is a single thread.
 */
static EVP_MD_CTX *context(void)
{
	static EVP_MD_CTX *ctx;

	if (!ctx)
		ctx = EVP_MD_CTX_new();
	return ctx;
}

static const EVP_MD *algorithm(size_t hash_len)
{
	static EVP_MD *sha256, *sha384;
	EVP_MD **md = hash_len == 48 ? &sha384 : &sha256;

	if (hash_len != 32 && hash_len != 48)
		return NULL;
	if (!*md)
		*md = EVP_MD_fetch(NULL, hash_len == 48 ? "SHA2-384" : "SHA2-256", NULL);
	return *md;
}

/* Hash(@a | @b | @c) with @ctx; any part may be empty. */
static int hash3(EVP_MD_CTX *ctx, const EVP_MD *md, const void *a, size_t a_len, const void *b,
		 size_t b_len, const void *c, size_t c_len, uint8_t *out)
{
	return EVP_DigestInit_ex2(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, a, a_len) == 1 &&
			       EVP_DigestUpdate(ctx, b, b_len) == 1 &&
			       EVP_DigestUpdate(ctx, c, c_len) == 1 &&
			       EVP_DigestFinal_ex(ctx, out, NULL) == 1
		       ? 0
		       : -1;
}

int digest(size_t hash_len, const void *a, size_t a_len, const void *b, size_t b_len,
	   uint8_t *out)
{
	const EVP_MD *md = algorithm(hash_len);
	EVP_MD_CTX *ctx = context();

	if (!md || !ctx)
		return -1;
	return hash3(ctx, md, a, a_len, b, b_len, NULL, 0, out);
}

/*
 * An HMAC key with its two padded blocks hashed: HKDF signs several messages
 * with one key (a handshake's secrets derive two and three at a time from
 * one secret), and each message then costs a copy of a context instead of
 * two compressions (SHA-384's take ~190 ns each here).
 */
struct hmac_key {
	const EVP_MD *md;
	size_t len;
	uint8_t bytes[MAX_BLOCK];
	EVP_MD_CTX *inner, *outer; /* the hash of (K ^ ipad), of (K ^ opad) */
};

/* @key, at most a block long, zero-padded to the block as RFC 2104 has it. */
static int hmac_key_set(struct hmac_key *k, const EVP_MD *md, const uint8_t *key, size_t key_len)
{
	size_t block = (size_t)EVP_MD_get_block_size(md);
	uint8_t pad[MAX_BLOCK] = { 0 };

	k->md = NULL;
	if (!k->inner)
		k->inner = EVP_MD_CTX_new();
	if (!k->outer)
		k->outer = EVP_MD_CTX_new();
	if (!k->inner || !k->outer || key_len > block)
		return -1;
	memcpy(pad, key, key_len);
	for (size_t i = 0; i < block; i++)
		pad[i] ^= 0x36;
	if (EVP_DigestInit_ex2(k->inner, md, NULL) != 1 ||
	    EVP_DigestUpdate(k->inner, pad, block) != 1)
		return -1;
	for (size_t i = 0; i < block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	if (EVP_DigestInit_ex2(k->outer, md, NULL) != 1 ||
	    EVP_DigestUpdate(k->outer, pad, block) != 1)
		return -1;
	k->md = md;
	k->len = key_len;
	memcpy(k->bytes, key, key_len);
	return 0;
}

/* The last two keys, prepared; which one goes next. */
static struct hmac_key keys[2];
static unsigned int next_key;

static struct hmac_key *hmac_key(const EVP_MD *md, const uint8_t *key, size_t key_len)
{
	struct hmac_key *k;

	for (size_t i = 0; i < 2; i++) {
		k = &keys[i];
		if (k->md == md && k->len == key_len && !memcmp(k->bytes, key, key_len))
			return k;
	}
	k = &keys[next_key++ % 2];
	return hmac_key_set(k, md, key, key_len) ? NULL : k;
}

int digest_hmac(size_t hash_len, const uint8_t *key, size_t key_len, const void *a, size_t a_len,
		const void *b, size_t b_len, uint8_t *out)
{
	const EVP_MD *md = algorithm(hash_len);
	EVP_MD_CTX *ctx = context();
	uint8_t inner[DIGEST_MAX], hashed_key[DIGEST_MAX];
	struct hmac_key *k;

	if (!md || !ctx)
		return -1;
	/* RFC 2104: H((K ^ opad) | H((K ^ ipad) | text)), a K longer than a block hashed first. */
	if (key_len > (size_t)EVP_MD_get_block_size(md)) {
		if (hash3(ctx, md, key, key_len, NULL, 0, NULL, 0, hashed_key))
			return -1;
		key = hashed_key;
		key_len = hash_len;
	}
	k = hmac_key(md, key, key_len);
	if (!k)
		return -1;
	if (EVP_MD_CTX_copy_ex(ctx, k->inner) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
	    EVP_DigestUpdate(ctx, b, b_len) != 1 || EVP_DigestFinal_ex(ctx, inner, NULL) != 1)
		return -1;
	if (EVP_MD_CTX_copy_ex(ctx, k->outer) != 1 || EVP_DigestUpdate(ctx, inner, hash_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return -1;
	return 0;
}

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

/* RFC 2104: H((K ^ opad) | H((K ^ ipad) | text)), K zero-padded to the block. */
int digest_hmac(size_t hash_len, const uint8_t *key, size_t key_len, const void *a, size_t a_len,
		const void *b, size_t b_len, uint8_t *out)
{
	const EVP_MD *md = algorithm(hash_len);
	EVP_MD_CTX *ctx = context();
	uint8_t pad[MAX_BLOCK] = { 0 }, inner[DIGEST_MAX];
	size_t block;

	if (!md || !ctx)
		return -1;
	block = (size_t)EVP_MD_get_block_size(md);
	if (key_len > block) {
		if (hash3(ctx, md, key, key_len, NULL, 0, NULL, 0, pad))
			return -1;
	} else {
		memcpy(pad, key, key_len);
	}
	for (size_t i = 0; i < block; i++)
		pad[i] ^= 0x36;
	if (hash3(ctx, md, pad, block, a, a_len, b, b_len, inner))
		return -1;
	for (size_t i = 0; i < block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	return hash3(ctx, md, pad, block, inner, hash_len, NULL, 0, out);
}

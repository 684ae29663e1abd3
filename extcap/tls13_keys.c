// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS 1.3 key schedule and the server handshake secret check (see
 * tls13_keys.h). Lengths are bounded by the suites' hashes; nothing here
 * allocates but libcrypto's digest and cipher contexts.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

#include "digest.h"
#include "tls13_keys.h"

#define LABEL_PREFIX	 "tls13 "
#define HS_ENCRYPTED_EXT 8
#define CT_APP_DATA	 0x17
/* A TLSCiphertext's payload is at most 2^14 + 256 bytes (RFC 8446 section 5.2). */
#define MAX_CIPHERTEXT (16384 + 256)

static const struct tls13_suite suites[] = {
    {.id = 0x1301, .hash_len = 32, .key_len = 16, .tag_len = 16, .cipher = TLS13_AES_GCM},
    {.id = 0x1302, .hash_len = 48, .key_len = 32, .tag_len = 16, .cipher = TLS13_AES_GCM},
    {.id = 0x1303, .hash_len = 32, .key_len = 32, .tag_len = 16, .cipher = TLS13_CHACHA20_POLY1305},
    {.id = 0x1304, .hash_len = 32, .key_len = 16, .tag_len = 16, .cipher = TLS13_AES_CCM},
    {.id = 0x1305, .hash_len = 32, .key_len = 16, .tag_len = 8, .cipher = TLS13_AES_CCM},
};

const struct tls13_suite *tls13_suite(uint16_t id)
{
	for (size_t i = 0; i < G_N_ELEMENTS(suites); i++) {
		if (suites[i].id == id)
			return &suites[i];
	}
	return NULL;
}

int tls13_hkdf_extract(const struct tls13_suite *s, const uint8_t *salt, size_t salt_len,
		       const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	/* HMAC pads its key with zeros: an empty salt is the hash_len zeros RFC 5869 asks for. */
	static const uint8_t zero;

	return digest_hmac(s->hash_len, salt_len ? salt : &zero, salt_len, ikm, ikm_len, NULL, 0,
			   prk);
}

/* HKDF-Expand (RFC 5869 section 2.3): T(i) = HMAC(PRK, T(i-1) | info | i). */
static int hkdf_expand(const struct tls13_suite *s, const uint8_t *prk, const uint8_t *info,
		       size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t t[TLS13_MAX_HASH], block[TLS13_MAX_HASH + 512];
	size_t t_len = 0, done = 0;

	if (out_len > 255u * s->hash_len || info_len + 1 > sizeof(block) - TLS13_MAX_HASH)
		return -1;
	for (uint8_t i = 1; done < out_len; i++) {
		size_t n = MIN(out_len - done, s->hash_len);

		/* T(i-1) | info | i, as one message after the key. */
		memcpy(block, t, t_len);
		memcpy(block + t_len, info, info_len);
		block[t_len + info_len] = i;
		if (digest_hmac(s->hash_len, prk, s->hash_len, block, t_len + info_len + 1, NULL,
				0, t))
			return -1;
		t_len = s->hash_len;
		memcpy(out + done, t, n);
		done += n;
	}
	return 0;
}

int tls13_hkdf_expand_label(const struct tls13_suite *s, const uint8_t *secret, const char *label,
			    const uint8_t *context, size_t context_len, uint8_t *out,
			    size_t out_len)
{
	size_t label_len = strlen(LABEL_PREFIX) + strlen(label), n = 0;
	uint8_t info[2 + 1 + 255 + 1 + 255];

	/* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel */
	if (label_len > 255 || context_len > 255 || out_len > 0xffff)
		return -1;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)label_len;
	memcpy(info + n, LABEL_PREFIX, strlen(LABEL_PREFIX));
	n += strlen(LABEL_PREFIX);
	memcpy(info + n, label, strlen(label));
	n += strlen(label);
	info[n++] = (uint8_t)context_len;
	if (context_len)
		memcpy(info + n, context, context_len);
	n += context_len;
	return hkdf_expand(s, secret, info, n, out, out_len);
}

int tls13_derive_secret(const struct tls13_suite *s, const uint8_t *secret, const char *label,
			const uint8_t *transcript_hash, uint8_t *out)
{
	return tls13_hkdf_expand_label(s, secret, label, transcript_hash, s->hash_len, out,
				       s->hash_len);
}

int tls13_empty_hash(const struct tls13_suite *s, uint8_t *out)
{
	return digest(s->hash_len, NULL, 0, NULL, 0, out);
}

int tls13_traffic_keys(const struct tls13_suite *s, const uint8_t *secret, uint8_t *key,
		       uint8_t *iv)
{
	if (tls13_hkdf_expand_label(s, secret, "key", NULL, 0, key, s->key_len))
		return -1;
	return tls13_hkdf_expand_label(s, secret, "iv", NULL, 0, iv, TLS13_IV_LEN);
}

/*
 * The cipher and 16-byte counter block that produce the AEAD's keystream for
 * the record's first plaintext block, nonce = iv XOR seq (RFC 8446 5.3):
 * - AES-GCM encrypts plaintext from inc32(J0), J0 = nonce | 00000001, so
 *   CTR mode from nonce | 00000002 (NIST SP 800-38D);
 * - AES-CCM with a 12-byte nonce has a 3-byte counter: block A_i is the
 *   flags byte L - 1 = 2, the nonce, then i; A_0 masks the tag, so the
 *   plaintext starts at A_1 (RFC 3610 section 2.3);
 * - ChaCha20-Poly1305 spends block 0 on the Poly1305 key and encrypts from
 *   block 1 (RFC 8439 2.8); EVP_chacha20 takes a little-endian 32-bit
 *   counter followed by the nonce.
 */
static const EVP_CIPHER *keystream(const struct tls13_suite *s, const uint8_t *iv, uint64_t seq,
				   uint8_t block[16])
{
	/* Fetched once: EVP_aes_128_ctr() and the like look theirs up by name at every init. */
	static EVP_CIPHER *chacha20, *aes128, *aes256;
	uint8_t nonce[TLS13_IV_LEN];

	memcpy(nonce, iv, TLS13_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[TLS13_IV_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
	memset(block, 0, 16);
	if (s->cipher == TLS13_CHACHA20_POLY1305) {
		block[0] = 1;
		memcpy(block + 4, nonce, TLS13_IV_LEN);
		return chacha20 ? chacha20 : (chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL));
	}
	if (s->cipher == TLS13_AES_CCM) {
		block[0] = 2;
		memcpy(block + 1, nonce, TLS13_IV_LEN);
		block[15] = 1;
	} else {
		memcpy(block, nonce, TLS13_IV_LEN);
		block[15] = 2;
	}
	if (s->key_len == 32)
		return aes256 ? aes256 : (aes256 = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL));
	return aes128 ? aes128 : (aes128 = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL));
}

int tls13_decrypt_first_block(const struct tls13_suite *s, const uint8_t *key, const uint8_t *iv,
			      uint64_t seq, const uint8_t *ciphertext, uint8_t *plaintext)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t counter[16];
	const EVP_CIPHER *cipher = keystream(s, iv, seq, counter);
	int len = 0, ok;

	if (!ctx || !cipher) {
		EVP_CIPHER_CTX_free(ctx);
		return -1;
	}
	ok = EVP_DecryptInit_ex(ctx, cipher, NULL, key, counter) == 1 &&
	     EVP_DecryptUpdate(ctx, plaintext, &len, ciphertext, TLS13_BLOCK) == 1 &&
	     len == TLS13_BLOCK;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/*
 * EncryptedExtensions: type 8, a 24-bit length, then extensions<0..2^16-1>
 * whose own length is two less. The whole message, the inner content type
 * and the tag must fit in the record; padding may follow.
 */
static bool starts_encrypted_extensions(const struct tls13_suite *s, const uint8_t *pt,
					uint32_t record_len)
{
	uint32_t len = be24(pt + 1);

	if (pt[0] != HS_ENCRYPTED_EXT || len < 2)
		return false;
	if (4 + len + 1 + s->tag_len > record_len)
		return false;
	return be16(pt + 4) == len - 2;
}

enum tls13_fit tls13_check_server_handshake(const struct tls13_suite *s, const uint8_t *secret,
					    size_t secret_len, const uint8_t record[TLS13_PEEK_LEN])
{
	uint8_t key[TLS13_MAX_KEY], iv[TLS13_IV_LEN], pt[TLS13_BLOCK];
	uint32_t record_len = be16(record + 3);
	enum tls13_fit fit;

	if (record[0] != CT_APP_DATA || record[1] != 3 || record[2] != 3)
		return TLS13_UNKNOWN;
	/* The smallest EncryptedExtensions (no extensions) is 6 bytes. */
	if (record_len < 6u + 1 + s->tag_len || record_len > MAX_CIPHERTEXT)
		return TLS13_UNKNOWN;
	/* The suite fixes the secret's length: another length is another connection's. */
	if (secret_len != s->hash_len)
		return TLS13_MISFITS;
	if (tls13_traffic_keys(s, secret, key, iv) ||
	    tls13_decrypt_first_block(s, key, iv, 0, record + 5, pt))
		return TLS13_UNKNOWN;
	fit = starts_encrypted_extensions(s, pt, record_len) ? TLS13_FITS : TLS13_MISFITS;
	memset(key, 0, sizeof(key));
	return fit;
}

/* The exporter's HKDF label: the stored secret that tells the hash, derived once. */
static const char exporter_schedule[] = "exp master";

/* Each secret a key-log callback gets, and where in the key schedule it is. */
static const struct {
	const char *label;	/* key-log label */
	const char *schedule;	/* HKDF label */
	bool from_handshake;	/* from the handshake secret, else from the master secret */
} logged_secrets[TLS13_LOGGED] = {
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "c hs traffic", true },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", "s hs traffic", true },
	{ "CLIENT_TRAFFIC_SECRET_0", "c ap traffic", false },
	{ "SERVER_TRAFFIC_SECRET_0", "s ap traffic", false },
	{ "EXPORTER_SECRET", exporter_schedule, false },
};

/*
 * The hash of @in's suite: the one with which the stored exporter secret
 * derives from the master secret (left in @exporter); NULL if neither does.
 * The hash that fitted last is tried first: a process's handshakes mostly
 * agree on their suite.
 */
static const struct tls13_suite *stored_suite(const struct tls13_stored *in, uint8_t *exporter)
{
	/* Every suite hashes with SHA-256 but TLS_AES_256_GCM_SHA384. */
	static uint16_t last = 0x1301;
	const uint16_t ids[] = { last, last == 0x1301 ? 0x1302 : 0x1301 };

	for (int i = 0; i < 2; i++) {
		const struct tls13_suite *s = tls13_suite(ids[i]);

		if (!tls13_derive_secret(s, in->master, exporter_schedule, in->finished_hash,
					 exporter) &&
		    !memcmp(exporter, in->exporter, s->hash_len)) {
			last = s->id;
			return s;
		}
	}
	return NULL;
}

bool tls13_expand_stored(const struct tls13_stored *in, struct tls_secret out[TLS13_LOGGED])
{
	uint8_t exporter[TLS13_MAX_HASH];
	const struct tls13_suite *s = stored_suite(in, exporter);

	if (!s)
		return false;
	for (int i = 0; i < TLS13_LOGGED; i++) {
		bool hs = logged_secrets[i].from_handshake;

		snprintf(out[i].label, sizeof(out[i].label), "%s", logged_secrets[i].label);
		out[i].secret_len = s->hash_len;
		if (logged_secrets[i].schedule == exporter_schedule)
			memcpy(out[i].secret, exporter, s->hash_len);
		else if (tls13_derive_secret(s, hs ? in->hs_secret : in->master,
					     logged_secrets[i].schedule,
					     hs ? in->hs_hash : in->finished_hash, out[i].secret))
			return false;
	}
	return true;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS 1.3 key schedule (RFC 8446 section 7.1), and a check that a
 * SERVER_HANDSHAKE_TRAFFIC_SECRET fits the connection it was reported for.
 *
 * We never decrypt traffic: Wireshark does. The key schedule is here so that
 * the secrets a library hands us can be held against what the connection
 * really sent. The server's first encrypted record always carries
 * EncryptedExtensions (handshake type 8), protected with the key and IV
 * derived from the server handshake traffic secret at sequence number 0. Its
 * first 16 bytes of ciphertext are enough: every AEAD of TLS 1.3 is a stream
 * cipher underneath (AES in CTR mode, or ChaCha20), so they decrypt without
 * the tag, and a wrong secret turns them into noise that passes the check
 * below with probability about 2^-40.
 *
 * HMAC and the hashes come from digest.h; the ciphers from libcrypto's EVP.
 */
#ifndef ECAP_TLS13_KEYS_H
#define ECAP_TLS13_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls_source.h"

#define TLS13_MAX_HASH 48 /* SHA-384 */
#define TLS13_MAX_KEY  32
#define TLS13_IV_LEN   12
#define TLS13_BLOCK    16 /* ciphertext the check decrypts */
/* What the check needs of the server's first encrypted record: header and one block. */
#define TLS13_PEEK_LEN (5 + TLS13_BLOCK)

enum tls13_cipher {
	TLS13_AES_GCM,
	TLS13_AES_CCM, /* CCM and CCM_8: the same keystream, tags of 16 and 8 bytes */
	TLS13_CHACHA20_POLY1305,
};

struct tls13_suite {
	uint16_t id; /* 0x1301 to 0x1305 */
	uint8_t hash_len;
	uint8_t key_len;
	uint8_t tag_len;
	enum tls13_cipher cipher;
};

/* The suite @id, NULL for one TLS 1.3 does not define or we do not know. */
const struct tls13_suite *tls13_suite(uint16_t id);

/* HKDF-Extract(salt, IKM) into @prk (hash_len bytes). An empty salt means hash_len zeros. */
int tls13_hkdf_extract(const struct tls13_suite *s, const uint8_t *salt, size_t salt_len,
		       const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/*
 * HKDF-Expand-Label(secret, label, context, len), @label without its "tls13 "
 * prefix. Returns 0, or -1 when @label, @context or @out_len exceed what the
 * HkdfLabel structure or HKDF can carry.
 */
int tls13_hkdf_expand_label(const struct tls13_suite *s, const uint8_t *secret, const char *label,
			    const uint8_t *context, size_t context_len, uint8_t *out,
			    size_t out_len);

/* Derive-Secret(secret, label, messages), given Transcript-Hash(messages). */
int tls13_derive_secret(const struct tls13_suite *s, const uint8_t *secret, const char *label,
			const uint8_t *transcript_hash, uint8_t *out);

/* Transcript-Hash of no messages, as Derive-Secret(., "derived", "") needs. */
int tls13_empty_hash(const struct tls13_suite *s, uint8_t *out);

/* The write key (key_len bytes) and IV (TLS13_IV_LEN) of a traffic secret. */
int tls13_traffic_keys(const struct tls13_suite *s, const uint8_t *secret, uint8_t *key,
		       uint8_t *iv);

/*
 * Decrypts the first TLS13_BLOCK bytes of the record with sequence number
 * @seq: keystream only, the tag is not checked. Returns 0, or -1 if libcrypto
 * fails.
 */
int tls13_decrypt_first_block(const struct tls13_suite *s, const uint8_t *key, const uint8_t *iv,
			      uint64_t seq, const uint8_t *ciphertext, uint8_t *plaintext);

/*
 * The five secrets a key-log callback gets for a TLS 1.3 handshake, derived
 * from what OpenSSL stores of it (tls13_expand_fn in tls_source.h).
 */
bool tls13_expand_stored(const struct tls13_stored *in, struct tls_secret out[TLS13_LOGGED]);

enum tls13_fit {
	TLS13_FITS,    /* the record decrypts to the start of EncryptedExtensions */
	TLS13_MISFITS, /* it does not: the secret is not this connection's */
	TLS13_UNKNOWN, /* cannot tell: not an application_data record, bad lengths, errors */
};

/*
 * Whether @secret (@secret_len bytes, the suite's hash length) is the server
 * handshake traffic secret of the connection whose server sent @record first
 * after its ServerHello (and ChangeCipherSpec): an application_data record
 * header and the first TLS13_BLOCK bytes of its payload.
 */
enum tls13_fit tls13_check_server_handshake(const struct tls13_suite *s, const uint8_t *secret,
					    size_t secret_len,
					    const uint8_t record[TLS13_PEEK_LEN]);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS 1.3 key schedule against RFC 8448 section 3 (Simple 1-RTT
 * Handshake, TLS_AES_128_GCM_SHA256): every secret from the (EC)DHE shared
 * secret and the transcript hashes the RFC prints, the server handshake key
 * and IV, and the check of the server handshake traffic secret against the
 * start of the RFC's encrypted server flight.
 *
 * RFC 8448 has no SHA-384, ChaCha20 or CCM trace, so those suites get
 * self-consistent tests: libcrypto's own AEADs (EVP_aes_256_gcm,
 * EVP_chacha20_poly1305, EVP_aes_128_ccm with 16- and 8-byte tags) seal an
 * EncryptedExtensions with the key and IV we
 * derive, and the check must accept the record under the right secret and
 * reject it under a wrong one. That proves the keystream positions we use
 * against the real AEADs; the SHA-384 expansion itself is cross-checked with
 * libcrypto's TLS13-KDF.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "check.h"
#include "tls13_keys.h"

/* ---- RFC 8448 section 3 ---- */

/* {server} extract secret "handshake": IKM, the x25519 shared secret */
static const char rfc_ecdhe[] = "8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d"
				"35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d";
static const char rfc_early[] = "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2"
				"10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a";
/* derive secret for handshake "tls13 derived" */
static const char rfc_derived_hs[] = "6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97"
				     "16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba";
static const char rfc_handshake[] = "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01"
				    "04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac";
/* hash of ClientHello..ServerHello */
static const char rfc_hash_sh[] = "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed"
				  "d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8";
static const char rfc_c_hs[] = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
			       "3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
static const char rfc_s_hs[] = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
			       "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
/* derive secret for master "tls13 derived" */
static const char rfc_derived_ms[] = "43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5"
				     "31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4";
static const char rfc_master[] = "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47"
				 "80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19";
/* hash of ClientHello..server Finished */
static const char rfc_hash_sf[] = "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a"
				  "00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13";
static const char rfc_c_ap[] = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
			       "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
static const char rfc_s_ap[] = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
			       "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
static const char rfc_exporter[] = "fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5"
				   "0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50";
/* {server} derive write traffic keys for handshake data */
static const char rfc_s_hs_key[] = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc";
static const char rfc_s_hs_iv[] = "5d 31 3e b2 67 12 76 ee 13 00 0b 30";
/* {server} send handshake record: the start of the complete record (679 octets) */
static const char rfc_flight[] = "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80"
				 "23 3f 50 0f 45 e4 89 e7 f3 3a f3 5e df";
/* ... whose plaintext starts with EncryptedExtensions */
static const char rfc_ee[] = "08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17";

/* Whether @got (@len bytes) is the RFC's @want. */
static bool same(const uint8_t *got, const char *want, size_t len)
{
	uint8_t w[64];

	return unhex(want, w, sizeof(w)) == len && !memcmp(got, w, len);
}

#define CHECK_HEX(got, want, len) CHECK(same(got, want, len), "%s is RFC 8448's %s", #got, #want)

static void test_rfc8448_schedule(void)
{
	const struct tls13_suite *s = tls13_suite(0x1301);
	uint8_t ecdhe[32], zeros[32] = {0}, empty[32], h_sh[32], h_sf[32];
	uint8_t early[32], derived[32], hs[32], c_hs[32], s_hs[32], master[32];
	uint8_t c_ap[32], s_ap[32], exporter[32], key[16], iv[12];

	CHECK(s && s->hash_len == 32 && s->key_len == 16, "suite 0x1301");
	if (!s)
		return;
	unhex(rfc_ecdhe, ecdhe, sizeof(ecdhe));
	unhex(rfc_hash_sh, h_sh, sizeof(h_sh));
	unhex(rfc_hash_sf, h_sf, sizeof(h_sf));

	/* Early secret: no PSK, so HKDF-Extract(0, 0...). */
	CHECK_EQ(tls13_hkdf_extract(s, NULL, 0, zeros, sizeof(zeros), early), 0);
	CHECK_HEX(early, rfc_early, 32);
	CHECK_EQ(tls13_empty_hash(s, empty), 0);
	CHECK_EQ(tls13_derive_secret(s, early, "derived", empty, derived), 0);
	CHECK_HEX(derived, rfc_derived_hs, 32);

	CHECK_EQ(tls13_hkdf_extract(s, derived, 32, ecdhe, sizeof(ecdhe), hs), 0);
	CHECK_HEX(hs, rfc_handshake, 32);
	CHECK_EQ(tls13_derive_secret(s, hs, "c hs traffic", h_sh, c_hs), 0);
	CHECK_HEX(c_hs, rfc_c_hs, 32);
	CHECK_EQ(tls13_derive_secret(s, hs, "s hs traffic", h_sh, s_hs), 0);
	CHECK_HEX(s_hs, rfc_s_hs, 32);

	CHECK_EQ(tls13_derive_secret(s, hs, "derived", empty, derived), 0);
	CHECK_HEX(derived, rfc_derived_ms, 32);
	CHECK_EQ(tls13_hkdf_extract(s, derived, 32, zeros, sizeof(zeros), master), 0);
	CHECK_HEX(master, rfc_master, 32);
	CHECK_EQ(tls13_derive_secret(s, master, "c ap traffic", h_sf, c_ap), 0);
	CHECK_HEX(c_ap, rfc_c_ap, 32);
	CHECK_EQ(tls13_derive_secret(s, master, "s ap traffic", h_sf, s_ap), 0);
	CHECK_HEX(s_ap, rfc_s_ap, 32);
	CHECK_EQ(tls13_derive_secret(s, master, "exp master", h_sf, exporter), 0);
	CHECK_HEX(exporter, rfc_exporter, 32);

	CHECK_EQ(tls13_traffic_keys(s, s_hs, key, iv), 0);
	CHECK_HEX(key, rfc_s_hs_key, 16);
	CHECK_HEX(iv, rfc_s_hs_iv, 12);
}

/* OpenSSL's stored values, each in a slot of EVP_MAX_MD_SIZE bytes. */
struct stored_slots {
	uint8_t hs[64], h_sh[64], master[64], h_sf[64], exporter[64];
};

static struct tls13_stored stored_of(const struct stored_slots *slots)
{
	return (struct tls13_stored){ slots->hs, slots->h_sh, slots->master, slots->h_sf,
				      slots->exporter };
}

/* What a key-log callback gets, from what OpenSSL stores: RFC 8448's five secrets. */
static void test_rfc8448_stored(void)
{
	static const char *const want[TLS13_LOGGED][2] = {
		{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", rfc_c_hs },
		{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", rfc_s_hs },
		{ "CLIENT_TRAFFIC_SECRET_0", rfc_c_ap },
		{ "SERVER_TRAFFIC_SECRET_0", rfc_s_ap },
		{ "EXPORTER_SECRET", rfc_exporter },
	};
	struct stored_slots slots;
	struct tls_secret out[TLS13_LOGGED];
	struct tls13_stored in;

	memset(&slots, 0x5a, sizeof(slots)); /* past the hash: whatever was there */
	unhex(rfc_handshake, slots.hs, 32);
	unhex(rfc_hash_sh, slots.h_sh, 32);
	unhex(rfc_master, slots.master, 32);
	unhex(rfc_hash_sf, slots.h_sf, 32);
	unhex(rfc_exporter, slots.exporter, 32);
	in = stored_of(&slots);
	CHECK(tls13_expand_stored(&in, out), "RFC 8448's stored secrets do not hold together");
	for (int i = 0; i < TLS13_LOGGED; i++) {
		CHECK(!strcmp(out[i].label, want[i][0]), "secret %d is %s", i, out[i].label);
		CHECK_EQ(out[i].secret_len, 32);
		CHECK(same(out[i].secret, want[i][1], 32), "%s is not RFC 8448's", want[i][0]);
	}

	/* A misread layout: the exporter secret does not derive from the master secret. */
	slots.exporter[0] ^= 1;
	in = stored_of(&slots);
	CHECK(!tls13_expand_stored(&in, out), "a wrong exporter secret passed");
}

/* TLS_AES_256_GCM_SHA384's secrets are 48 bytes, told by the exporter secret. */
static void test_stored_sha384(void)
{
	const struct tls13_suite *s = tls13_suite(0x1302);
	struct stored_slots slots;
	struct tls_secret out[TLS13_LOGGED];
	struct tls13_stored in;
	uint8_t s_ap[TLS13_MAX_HASH];

	for (size_t i = 0; i < sizeof(slots); i++)
		((uint8_t *)&slots)[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(tls13_derive_secret(s, slots.master, "exp master", slots.h_sf, slots.exporter), 0);
	CHECK_EQ(tls13_derive_secret(s, slots.master, "s ap traffic", slots.h_sf, s_ap), 0);
	in = stored_of(&slots);
	CHECK(tls13_expand_stored(&in, out), "SHA-384 stored secrets do not hold together");
	CHECK_EQ(out[3].secret_len, 48);
	CHECK(!memcmp(out[3].secret, s_ap, 48), "SERVER_TRAFFIC_SECRET_0 under SHA-384");
	CHECK(!memcmp(out[4].secret, slots.exporter, 48), "EXPORTER_SECRET under SHA-384");
}

static void test_rfc8448_flight(void)
{
	const struct tls13_suite *s = tls13_suite(0x1301);
	uint8_t s_hs[32], c_hs[32], key[16], iv[12], rec[64], pt[16];
	size_t rec_len = unhex(rfc_flight, rec, sizeof(rec));

	unhex(rfc_s_hs, s_hs, sizeof(s_hs));
	unhex(rfc_c_hs, c_hs, sizeof(c_hs));
	CHECK_EQ(rec_len, 33);
	tls13_traffic_keys(s, s_hs, key, iv);
	CHECK_EQ(tls13_decrypt_first_block(s, key, iv, 0, rec + 5, pt), 0);
	CHECK_HEX(pt, rfc_ee, 16);

	CHECK_EQ(tls13_check_server_handshake(s, s_hs, 32, rec), TLS13_FITS);
	/* Another secret of the same connection, or one bit off, does not fit. */
	CHECK_EQ(tls13_check_server_handshake(s, c_hs, 32, rec), TLS13_MISFITS);
	for (int bit = 0; bit < 256; bit += 37) {
		s_hs[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		CHECK(tls13_check_server_handshake(s, s_hs, 32, rec) == TLS13_MISFITS,
		      "bit %d flipped: misfits", bit);
		s_hs[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	/* A SHA-384-sized secret cannot be this suite's. */
	uint8_t long_secret[48] = {0};
	memcpy(long_secret, s_hs, 32);
	CHECK_EQ(tls13_check_server_handshake(s, long_secret, 48, rec), TLS13_MISFITS);

	/* Not an application_data record, or lengths no EncryptedExtensions has: no verdict. */
	rec[0] = 0x16;
	CHECK_EQ(tls13_check_server_handshake(s, s_hs, 32, rec), TLS13_UNKNOWN);
	rec[0] = 0x17;
	rec[3] = 0;
	rec[4] = 22;
	CHECK_EQ(tls13_check_server_handshake(s, s_hs, 32, rec), TLS13_UNKNOWN);
	rec[3] = 0x42;
	rec[4] = 0x01;
	CHECK_EQ(tls13_check_server_handshake(s, s_hs, 32, rec), TLS13_UNKNOWN);
	/* The record too short for the EncryptedExtensions it claims (4 + 0x24 + 1 + 16 > 56). */
	rec[3] = 0;
	rec[4] = 56;
	CHECK_EQ(tls13_check_server_handshake(s, s_hs, 32, rec), TLS13_MISFITS);
	rec[4] = 57;
	CHECK_EQ(tls13_check_server_handshake(s, s_hs, 32, rec), TLS13_FITS);
}

static void test_suites(void)
{
	CHECK(tls13_suite(0x1302) && tls13_suite(0x1302)->hash_len == 48 &&
		  tls13_suite(0x1302)->key_len == 32,
	      "0x1302 AES-256-GCM-SHA384");
	CHECK(tls13_suite(0x1303) && tls13_suite(0x1303)->hash_len == 32 &&
		  tls13_suite(0x1303)->cipher == TLS13_CHACHA20_POLY1305,
	      "0x1303 CHACHA20-POLY1305-SHA256");
	CHECK(tls13_suite(0x1304) && tls13_suite(0x1304)->tag_len == 16 &&
		  tls13_suite(0x1304)->cipher == TLS13_AES_CCM,
	      "0x1304 AES-128-CCM-SHA256");
	CHECK(tls13_suite(0x1305) && tls13_suite(0x1305)->tag_len == 8 &&
		  tls13_suite(0x1305)->key_len == 16,
	      "0x1305 AES-128-CCM-8-SHA256");
	CHECK(!tls13_suite(0x1306) && !tls13_suite(0xc02f) && !tls13_suite(0),
	      "other and TLS 1.2 suites are unknown");
}

/* HKDF-Expand-Label as libcrypto's own TLS 1.3 KDF computes it: an independent implementation. */
static bool ossl_expand_label(const char *digest, const uint8_t *secret, size_t secret_len,
			      const char *label, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label, strlen(label)),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, "", 0),
	    OSSL_PARAM_construct_end(),
	};
	bool ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* A record as a TLS 1.3 server seals its first flight: EncryptedExtensions, type 22, tag. */
static size_t seal_flight(const EVP_CIPHER *aead, int tag_len, const uint8_t *key,
			  const uint8_t *iv, uint8_t *rec)
{
	/* EncryptedExtensions with server_name (empty) and ALPN "h2": 19 bytes, then type. */
	static const uint8_t inner[] = {0x08, 0x00, 0x00, 0x0f, 0x00, 0x0d, 0x00, 0x00, 0x00,
					0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h',
					'2',  0x16};
	bool ccm = EVP_CIPHER_get_mode(aead) == EVP_CIPH_CCM_MODE;
	size_t ct_len = sizeof(inner) + tag_len;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;

	rec[0] = 0x17;
	rec[1] = rec[2] = 3;
	rec[3] = (uint8_t)(ct_len >> 8);
	rec[4] = (uint8_t)ct_len;
	/* CCM wants its tag length before the key, and the plaintext length before the AAD. */
	if (EVP_EncryptInit_ex(ctx, aead, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    (ccm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, NULL) != 1) ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, iv) != 1 || /* seq 0: nonce = iv */
	    (ccm && EVP_EncryptUpdate(ctx, NULL, &len, NULL, sizeof(inner)) != 1) ||
	    EVP_EncryptUpdate(ctx, NULL, &len, rec, 5) != 1 || /* the header is the AAD */
	    EVP_EncryptUpdate(ctx, rec + 5, &len, inner, sizeof(inner)) != 1 ||
	    EVP_EncryptFinal_ex(ctx, rec + 5 + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_len, rec + 5 + sizeof(inner)) != 1)
		ct_len = 0;
	EVP_CIPHER_CTX_free(ctx);
	return ct_len ? 5 + ct_len : 0;
}

/* The secret checked against a record libcrypto's AEAD sealed with its key and IV. */
static void check_sealed(uint16_t id, const EVP_CIPHER *aead, const char *digest)
{
	const struct tls13_suite *s = tls13_suite(id);
	uint8_t secret[48], key[32], iv[12], want[32], rec[64], pt[16];

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 7 + id);
	CHECK_EQ(tls13_traffic_keys(s, secret, key, iv), 0);
	if (digest) {
		CHECK(ossl_expand_label(digest, secret, s->hash_len, "key", want, s->key_len) &&
			  !memcmp(key, want, s->key_len),
		      "suite %#x: key as libcrypto's TLS13-KDF derives it", id);
		CHECK(ossl_expand_label(digest, secret, s->hash_len, "iv", want, 12) &&
			  !memcmp(iv, want, 12),
		      "suite %#x: iv as libcrypto's TLS13-KDF derives it", id);
	}
	CHECK(seal_flight(aead, s->tag_len, key, iv, rec) == 5u + 20 + s->tag_len,
	      "suite %#x: sealed", id);
	CHECK_EQ(tls13_decrypt_first_block(s, key, iv, 0, rec + 5, pt), 0);
	CHECK(pt[0] == 8 && pt[3] == 0x0f && pt[5] == 0x0d, "suite %#x: decrypts", id);
	CHECK(tls13_check_server_handshake(s, secret, s->hash_len, rec) == TLS13_FITS,
	      "suite %#x: right secret fits", id);
	secret[s->hash_len - 1] ^= 0x80;
	CHECK(tls13_check_server_handshake(s, secret, s->hash_len, rec) == TLS13_MISFITS,
	      "suite %#x: one bit off misfits", id);
	secret[s->hash_len - 1] ^= 0x80;
	/* Sequence number 1 is another keystream: the check must use 0. */
	CHECK_EQ(tls13_decrypt_first_block(s, key, iv, 1, rec + 5, pt), 0);
	CHECK(pt[0] != 8 || pt[3] != 0x0f, "suite %#x: seq 1 is another keystream", id);
}

static void test_self_consistent(void)
{
	check_sealed(0x1301, EVP_aes_128_gcm(), "SHA256");
	check_sealed(0x1302, EVP_aes_256_gcm(), "SHA384");
	check_sealed(0x1303, EVP_chacha20_poly1305(), "SHA256");
	check_sealed(0x1304, EVP_aes_128_ccm(), "SHA256");
	check_sealed(0x1305, EVP_aes_128_ccm(), "SHA256");
}

static void test_bounds(void)
{
	const struct tls13_suite *s = tls13_suite(0x1302);
	uint8_t secret[48] = {1}, out[64];
	char label[300];

	memset(label, 'a', sizeof(label) - 1);
	label[sizeof(label) - 1] = 0;
	CHECK_EQ(tls13_hkdf_expand_label(s, secret, label, NULL, 0, out, 16), -1);
	label[249] = 0; /* "tls13 " + 249 = 255: the longest label */
	CHECK_EQ(tls13_hkdf_expand_label(s, secret, label, NULL, 0, out, 16), 0);
	CHECK_EQ(tls13_hkdf_expand_label(s, secret, "key", out, 256, out, 16), -1);
	/* More than one block of output: T(1) | T(2). */
	CHECK_EQ(tls13_hkdf_expand_label(s, secret, "key", NULL, 0, out, 64), 0);
}

int main(void)
{
	test_rfc8448_schedule();
	test_rfc8448_stored();
	test_stored_sha384();
	/* SHA-384 fitted last, so it is tried first now: SHA-256 must still be found. */
	test_rfc8448_stored();
	test_rfc8448_flight();
	test_suites();
	test_self_consistent();
	test_bounds();
	return check_summary("tls13_keys");
}

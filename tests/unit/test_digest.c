// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extcap/digest.c against published vectors: SHA-256 and SHA-384 of "abc"
 * and of nothing (FIPS 180-2), HMAC of RFC 4231's test cases 2 (a short key)
 * and 6 (a key longer than the hash's block, hashed first), and a message
 * split across the two parts the functions take. digest_hmac() keeps the last
 * two keys prepared: the vectors are checked again in turns of three keys,
 * so that each is met both prepared and evicted, and one key with both hashes.
 */
#include "check.h"
#include "digest.h"

static void check_digest(size_t hash_len, const char *msg, const char *want_hex)
{
	uint8_t got[DIGEST_MAX], want[DIGEST_MAX];

	unhex(want_hex, want, hash_len);
	CHECK(!digest(hash_len, msg, strlen(msg), NULL, 0, got) && !memcmp(got, want, hash_len),
	      "SHA-%zu(\"%s\")", hash_len * 8, msg);
	if (strlen(msg) > 1) {
		CHECK(!digest(hash_len, msg, 1, msg + 1, strlen(msg) - 1, got) &&
			      !memcmp(got, want, hash_len),
		      "SHA-%zu(\"%s\") in two parts", hash_len * 8, msg);
	}
}

static void check_hmac(size_t hash_len, const uint8_t *key, size_t key_len, const char *msg,
		       const char *want_hex)
{
	uint8_t got[DIGEST_MAX], want[DIGEST_MAX];
	size_t half = strlen(msg) / 2;

	unhex(want_hex, want, hash_len);
	CHECK(!digest_hmac(hash_len, key, key_len, msg, strlen(msg), NULL, 0, got) &&
		      !memcmp(got, want, hash_len),
	      "HMAC-SHA-%zu, %zu-byte key", hash_len * 8, key_len);
	CHECK(!digest_hmac(hash_len, key, key_len, msg, half, msg + half, strlen(msg) - half, got) &&
		      !memcmp(got, want, hash_len),
	      "HMAC-SHA-%zu, %zu-byte key, message in two parts", hash_len * 8, key_len);
}

int main(void)
{
	static const char tc2[] = "what do ya want for nothing?";
	static const char tc6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t long_key[131], out[DIGEST_MAX];

	check_digest(32, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_digest(32, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_digest(48, "abc",
		     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
		     "8086072ba1e7cc2358baeca134c825a7");

	check_hmac(32, (const uint8_t *)"Jefe", 4, tc2,
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	check_hmac(48, (const uint8_t *)"Jefe", 4, tc2,
		   "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		   "8e2240ca5e69e2c78b3239ecfab21649");
	memset(long_key, 0xaa, sizeof(long_key));
	for (int round = 0; round < 3; round++) {
		check_hmac(32, long_key, sizeof(long_key), tc6,
			   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
		check_hmac(48, long_key, sizeof(long_key), tc6,
			   "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
			   "0c2ef6ab4030fe8296248df163f44952");
		check_hmac(32, (const uint8_t *)"Jefe", 4, tc2,
			   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
		check_hmac(32, (const uint8_t *)"Jefe", 4, tc2,
			   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	}

	CHECK(digest(20, "abc", 3, NULL, 0, out) == -1, "a hash length of 20 is refused");
	return check_summary("digest");
}

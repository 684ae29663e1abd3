/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The check that each TLS 1.3 connection's secrets are really its own: a
 * library whose memory layout we misread hands over bytes that look like
 * secrets and decrypt nothing, and it must not be trusted further.
 *
 * From the server's segment that starts with the ServerHello it keeps the
 * cipher suite and the header and first 16 bytes of the first encrypted
 * record after it, and holds them against the connection's
 * SERVER_HANDSHAKE_TRAFFIC_SECRET (tls13_keys.h), whichever comes first. A
 * secret that does not decrypt its connection's EncryptedExtensions goes to
 * the misfit callback. A record that does not start in the ServerHello's
 * segment, a ServerHello cut short or a suite we cannot decrypt leaves the
 * handshake unverified. TLS 1.2 has nothing to check.
 *
 * The gate (tls_gate.h) feeds it every packet it checks and every secret,
 * so it runs for every ClientHello that may wait, held or not.
 *
 * At most TLS_CHECKS_PER_SECOND handshakes are checked a second, the first
 * ones to show a part; the others are counted as skipped. A check costs
 * about as much CPU as everything else ecap-tls does for its connection
 * (two HKDF expansions and a cipher block through libcrypto's EVP layer,
 * ~30k instructions), and a misread library fails every handshake it
 * makes, so a sample finds it as surely.
 *
 * Memory is bounded: the connections of the last TLS_CHECK_PENDING
 * ClientHellos are watched for their ServerHello, and the gathered halves of
 * the last TLS_CHECK_RANDOMS handshakes are kept; the oldest go first. A
 * handshake's two halves meet within milliseconds, so a few seconds' worth
 * at thousands of handshakes a second is plenty, and memory stays small.
 */
#ifndef ECAP_TLS_CHECK_H
#define ECAP_TLS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "tls_hello.h"
#include "tls_source.h"

#define TLS_CHECK_PENDING 16384
#define TLS_CHECK_RANDOMS 16384
#define TLS_CHECKS_PER_SECOND 128

/* TLS 1.3 handshakes whose server handshake secret was held against their traffic */
struct tls_check_stats {
	uint64_t verified; /* ... and decrypted it */
	uint64_t failed;   /* ... and did not: the library was misread */
	/* ... or could not be: ServerHello cut short, no encrypted record in its segment */
	uint64_t unverified;
	uint64_t skipped; /* not held against anything: over TLS_CHECKS_PER_SECOND */
};

struct tls_check;

/* Called with the library index (struct tls_secret's lib) of a secret that did not fit. */
typedef void (*tls_check_misfit_fn)(void *ctx, uint32_t lib);

/* NULL on allocation failure. */
struct tls_check *tls_check_new(void);

/* NULL is fine. */
void tls_check_free(struct tls_check *c);

/* Whom to tell about a secret that did not decrypt its connection; none by default. */
void tls_check_on_misfit(struct tls_check *c, tls_check_misfit_fn fn, void *ctx);

/*
 * A parsed TCP packet captured at @ts_ns. A ClientHello starts watching its
 * connection when @may_wait (its secrets will come: see tls_gate_check());
 * the server's first segment with data then gives the check its record.
 * Seeing a packet again changes nothing.
 */
void tls_check_packet(struct tls_check *c, const struct tls_hello_pkt *pkt, bool may_wait,
		      uint64_t ts_ns);

/*
 * A new secret: a SERVER_HANDSHAKE_TRAFFIC_SECRET is checked (its ts_ns counts
 * for the budget), others are ignored.
 */
void tls_check_secret(struct tls_check *c, const struct tls_secret *secret);

void tls_check_get_stats(const struct tls_check *c, struct tls_check_stats *st);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS secrets as NSS key log lines (the SSLKEYLOGFILE format that Wireshark
 * reads): validated, deduplicated, and optionally appended to a key log file.
 *
 * The capture loop hands every struct tls_secret to secrets_add(); a new one
 * comes back as a line, which goes into a Decryption Secrets Block and to the
 * TLS gate. A repeat (client and server of one connection both on this
 * machine report the same secret) comes back as 0 and is written nowhere.
 *
 * Memory is bounded: the last SECRETS_REMEMBERED distinct secrets are
 * remembered by their client random, label and first bytes (56 bytes each,
 * 1.1 MiB with the hash table), the oldest forgotten first. A secret
 * repeated after that many newer ones is reported as new again; that costs
 * one duplicate line, which readers of key logs accept. Each end reports its
 * secrets once, when its handshake ends, so a repeat is the other end of a
 * connection on this machine, milliseconds later: 16384 secrets last 0.6 s
 * at the highest rate measured (5400 TLS 1.3 handshakes a second, both ends
 * here), six times the longest stall seen. 65536 held 3.4 MiB more of a
 * capture's resident memory for nothing (bench/where-the-time-goes.md,
 * session 37).
 */
#ifndef ECAP_SECRETS_H
#define ECAP_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "tls_source.h"

#define SECRETS_REMEMBERED 16384

/* The longest line secrets_add() makes, its newline and NUL included. */
#define SECRETS_LINE_MAX                                                                           \
	(TLS_MAX_LABEL_SIZE + 1 + 2 * TLS_RANDOM_SIZE + 1 + 2 * TLS_MAX_SECRET_SIZE + 2)

struct secrets;

struct secrets_stats {
	uint64_t added;		/* new secrets, each written once */
	uint64_t repeated;	/* dropped as already seen */
	uint64_t invalid;	/* rejected: bad label, empty or over-long secret, ... */
	uint64_t keylog_errors; /* lines the key log file did not take */
	int keylog_errno;	/* the first such error (positive errno), 0 for none */
};

/*
 * Opens the dedupe state and, unless @keylog_path is NULL, the key log file,
 * created with mode 0600 (it holds secrets) and appended to. Returns 0 or a
 * negative errno.
 */
int secrets_open(struct secrets **s, const char *keylog_path);

/* NULL is fine. */
void secrets_close(struct secrets *s);

/*
 * Formats @sec as "LABEL <client_random hex> <secret hex>\n" (lowercase hex,
 * NUL-terminated) into @line, which should hold SECRETS_LINE_MAX bytes.
 * Returns:
 *   1        a secret not seen before; the line is also in the key log file
 *   0        a repeat; @line is filled in all the same
 *   0        a label Wireshark does not read (OpenSSL 3's lines for key
 *            updates): nothing recorded, @line is ""
 *   -EINVAL  an invalid secret: a label that is empty, unterminated or not
 *            made of [A-Z0-9_], a secret_len of 0 or over TLS_MAX_SECRET_SIZE,
 *            or an all-zero secret or client_random (memory read before it was
 *            written, never a real value); @line is ""
 *   -ENOSPC  @size is too small for the line; nothing is recorded
 * A failed write to the key log file does not change the result; it is
 * counted in the stats.
 */
int secrets_add(struct secrets *s, const struct tls_secret *sec, char *line, size_t size);

void secrets_get_stats(const struct secrets *s, struct secrets_stats *st);

#endif

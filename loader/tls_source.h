/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TLS half of a capture: finds every libssl that processes map (now and
 * later), establishes for each exact file where it keeps its secrets, and
 * hooks the one function that ends each handshake, where they all are; or,
 * where that cannot be established, its own key-log code, once per secret.
 * Nothing runs per record.
 */
#ifndef ECAP_TLS_SOURCE_H
#define ECAP_TLS_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#define TLS_RANDOM_SIZE	    32
#define TLS_MAX_SECRET_SIZE 64 /* EVP_MAX_MD_SIZE */
#define TLS_MAX_LABEL_SIZE  48

struct tls_secret {
	uint64_t ts_ns; /* wall clock, ns since the epoch */
	uint32_t pid;
	uint32_t tid;
	char label[TLS_MAX_LABEL_SIZE]; /* NSS key log label, e.g. "CLIENT_RANDOM" */
	uint8_t client_random[TLS_RANDOM_SIZE];
	uint8_t secret[TLS_MAX_SECRET_SIZE];
	uint32_t secret_len;
	uint32_t lib; /* which hooked library made it, for tls_source_distrust() */
};

struct tls_source;

/*
 * A TLS 1.3 handshake as OpenSSL stores it, where the source reads it once
 * per handshake: what its five logged secrets derive from. Each field is
 * TLS_MAX_SECRET_SIZE bytes, of which the suite's hash length count.
 */
struct tls13_stored {
	const uint8_t *hs_secret;     /* handshake secret */
	const uint8_t *hs_hash;	      /* transcript hash, ClientHello to ServerHello */
	const uint8_t *master;	      /* master secret */
	const uint8_t *finished_hash; /* transcript hash, to the server's Finished */
	const uint8_t *exporter;      /* EXPORTER_SECRET, which tells the hash */
};

#define TLS13_LOGGED 5

/*
 * Fills the label, secret and secret_len of the five secrets a key-log
 * callback would have had for @in. Returns false when @in does not hold
 * together (the exporter secret derives from the master secret with neither
 * SHA-256 nor SHA-384): the library's layout was misread.
 */
typedef bool (*tls13_expand_fn)(const struct tls13_stored *in, struct tls_secret out[TLS13_LOGGED]);

struct owner_filter;
struct owner_maps;
struct tls_ahead;

struct tls_source_opts {
	char **extra_libs; /* NULL-terminated libssl files to hook besides those mapped */
	const struct owner_filter *owner_filter; /* NULL: every process's secrets */
	const struct owner_maps *owner_maps;
	tls13_expand_fn expand_tls13; /* the key schedule, which the extcap has */
	/*
	 * Every library gets the per-secret uprobe: for tests of that path, and
	 * for a build whose secrets read at the end of the handshake turn out
	 * wrong (ECAP_TLS_PER_SECRET in the environment).
	 */
	bool per_secret;
	struct tls_ahead *ahead; /* layouts probed ahead (tls_ahead.h), taken over; or NULL */
};

typedef void (*secret_fn)(void *ctx, const struct tls_secret *secret);

/*
 * Loads the programs, hooks every libssl mapped now and those named. A
 * library whose secrets cannot be located is named on stderr and skipped; an
 * extra library that fails is an error. Returns 0 or a negative errno.
 */
int tls_source_open(struct tls_source **src, const struct tls_source_opts *opts);

/* Readable when the kernel has events for us; for epoll. */
int tls_source_fd(const struct tls_source *src);

/*
 * Hands each new secret to @fn, and hooks the libssl files that processes
 * mapped since the last call. Returns 0 or a negative errno.
 */
int tls_source_consume(struct tls_source *src, secret_fn fn, void *ctx);

/*
 * Stops taking secrets from the library @lib (struct tls_secret's lib)
 * because one of them did not decrypt its connection: its layout was
 * misread. Unhooks it and every other copy of the same build, skips copies
 * met later, drops its secrets still queued, and says so once on stderr with
 * the library's path and version. Secrets already handed out stay where they
 * went. Unknown or already distrusted @lib: nothing happens.
 */
void tls_source_distrust(struct tls_source *src, uint32_t lib);

/*
 * Whether process @pid (host PID namespace) can hand over secrets of its own
 * handshakes: it maps a libssl, or we cannot tell (it is gone, or not ours to
 * read), or a --tls-lib names a file by another name. Read from /proc once
 * per process, and again after it execs or maps libraries.
 */
bool tls_source_may_report(struct tls_source *src, uint32_t pid);

/* Secrets lost in the kernel because the ring was full. */
uint64_t tls_source_lost(const struct tls_source *src);

/* Unhooks everything and frees; NULL is fine. */
void tls_source_close(struct tls_source *src);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What we must know about one libssl file to take its secrets, established by
 * experiment on that very file, never looked up by version: in a throwaway
 * child, real handshakes against the library with a key-log and an info
 * callback set (tls_probe_lab.h).
 *
 * Preferred, one uprobe per handshake (tls_probe_done.c): OpenSSL ends every
 * handshake in tls_finish_handshake(), the info callback's caller at
 * SSL_CB_HANDSHAKE_DONE, by when the SSL object holds all it needs. The
 * uprobe goes on a call in it that each side makes once per handshake with
 * the SSL object (counted with traps), and reads the version, the client
 * random, TLS 1.2's master key behind the session pointer, and TLS 1.3's
 * stored handshake secret, master secret, their transcript hashes and the
 * exporter secret, each located because the library's key schedule
 * reproduces the logged secrets from it.
 *
 * Otherwise, one uprobe per secret (tls_probe_keylog.c): OpenSSL hands every
 * secret it makes to its internal ssl_log_secret(s, label, secret, len),
 * which feeds the key-log callback when one is set and returns early when
 * not. The probe walks the stack from the callback to the direct calls that
 * led there and calls each candidate with a made-up label and secret: the
 * one whose callback line comes back exactly is ssl_log_secret, with the
 * calling convention the uprobe relies on. Where it is a one-line wrapper of
 * nss_keylog_int(), which makes the line, is reached without a callback
 * (1.1.1's compiler tests for the callback before the call) and behaves the
 * same, the uprobe goes there: its entry is a push, which the kernel
 * emulates, where ssl_log_secret() starts with a move that must be
 * single-stepped, a second trap.
 *
 * The second is looked for only where the first cannot be placed. Both need
 * the client random, found by value in the SSL object, or behind
 * one of its pointers (1.1.1 keeps its s3 state apart), in the same place in
 * the client and server objects of a TLS 1.3 and a TLS 1.2 handshake.
 */
#ifndef ECAP_TLS_PROBE_H
#define ECAP_TLS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_layout {
	uint64_t log_secret_offset;    /* file offset of ssl_log_secret()'s entry */
	uint64_t hook_offset;	       /* file offset of the uprobe, at hook's entry */
	uint32_t hook;		       /* enum tls_hook (bpf/tls.h) */
	/* s3.client_random: at client_random_offset of SSL / SSL_CONNECTION (3.x),
	 * or of the struct a pointer at client_random_via points to (1.1.1) */
	uint32_t client_random_via; /* TLS_RANDOM_INLINE (bpf/tls.h) for none */
	uint32_t client_random_offset;
	char version[64];	       /* OpenSSL_version(OPENSSL_VERSION) */

	/* Where known (not 0), the uprobe goes at the end of each handshake instead */
	uint64_t done_offset; /* file offset of tls_finish_handshake()'s probe point */
	char no_done_why[256]; /* where not, why not */
	uint32_t version_offset; /* of the negotiated version in the SSL object */
	uint32_t session_via;	 /* TLS 1.2's master key, as client_random_via/offset */
	uint32_t master_key_offset;
	/* TLS 1.3: the bytes at block_offset of the SSL object, and in them... */
	uint32_t block_offset, block_len;
	uint32_t hs_secret;	/* ...the handshake secret, */
	uint32_t hs_hash;	/* ...the transcript hash it expands with (to the ServerHello), */
	uint32_t master;	/* ...the master secret, */
	uint32_t finished_hash; /* ...the transcript hash to the server's Finished, */
	uint32_t exporter;	/* ...and the exporter secret */
};

/*
 * The probe runs in a helper program that ecap-tls carries inside
 * (tls_probe_helper.c). For a library of another root (a container), that
 * root's dynamic loader runs it with that root's C library, which may be
 * newer than ours, given these open files: the loader, and the folders of
 * the root's libc and of the libssl (where their dependencies are).
 */
struct tls_probe_root {
	int loader_fd;
	int libc_dir_fd;
	int ssl_dir_fd;
};

/*
 * Establishes @layout for the libssl open at @ssl_fd, loaded with the
 * libcrypto open at @crypto_fd (-1: the one the dynamic loader finds), in the
 * helper program, with our C library or @root's. Open files, not paths: the
 * process that mapped them may be gone already. The library runs only in the
 * helper, without privileges or network. The uprobe per
 * secret is looked for only where the one per handshake cannot be placed, or
 * with @per_secret, which skips the latter. Returns 0, or -1 with the reason
 * in @err.
 */
int tls_probe(int ssl_fd, int crypto_fd, const struct tls_probe_root *root, bool per_secret,
	      struct tls_layout *layout, char *err, size_t errlen);

/*
 * The same in two steps, so that several probes run side by side: start()
 * starts the helper, which has the files from then on (the caller may close
 * them), and finish() waits for its answer. Both return 0, or -1 with the
 * reason in @err.
 */
struct tls_probe_job {
	int child;
	int fd;
};

int tls_probe_start(int ssl_fd, int crypto_fd, const struct tls_probe_root *root,
		    bool per_secret, struct tls_probe_job *job, char *err, size_t errlen);
int tls_probe_finish(struct tls_probe_job *job, struct tls_layout *layout, char *err,
		     size_t errlen);

/* What the helper writes to ecap-tls. */
struct tls_probe_result {
	int ok;
	struct tls_layout layout;
	char err[256];
};

/*
 * The helper's side: drops privileges, loads the libraries, probes them and
 * writes the result on @out, then exits.
 */
void tls_probe_child(int out, int ssl_fd, int crypto_fd, bool per_secret)
	__attribute__((noreturn));

#endif

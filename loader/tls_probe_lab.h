/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The probe's lab: internal to the probe's own files (tls_probe*.c), not an
 * interface of the loader (that is tls_probe.h).
 *
 * In the probe's throwaway child, the lab resolves the probed library's
 * functions, runs handshakes of a client and a server against each other
 * with OpenSSL's key-log and info callbacks set, and records each key-log
 * line with the calls on its stack, and the function that called the info
 * callback at each handshake's end. It finds values by their bytes in the SSL
 * objects and turns addresses into file offsets. On its records two searches
 * establish the layout: the per-secret hook (tls_probe_keylog.c) and the
 * once-per-handshake hook (tls_probe_done.c). tls_probe.c is the child's
 * driver, which runs the handshakes and the searches in turn.
 */
#ifndef ECAP_TLS_PROBE_LAB_H
#define ECAP_TLS_PROBE_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tls_probe.h"

#define CALL_TIMEOUT_S 2
#define MAX_FRAMES     8
#define MAX_LINES      32
#define SCAN_BYTES     16384 /* larger than any SSL / SSL_CONNECTION so far (~7 KiB) */
#define RANDOM_SIZE    32

typedef void (*keylog_cb)(const void *ssl, const char *line);
typedef void (*info_cb)(const void *ssl, int where, int ret);

/* The functions of the probed library that the handshakes need. */
struct ossl {
	const void *(*TLS_client_method)(void);
	const void *(*TLS_server_method)(void);
	void *(*SSL_CTX_new)(const void *method);
	void (*SSL_CTX_free)(void *ctx);
	long (*SSL_CTX_ctrl)(void *ctx, int cmd, long larg, void *parg);
	void (*SSL_CTX_set_keylog_callback)(void *ctx, keylog_cb cb);
	void (*SSL_CTX_set_info_callback)(void *ctx, info_cb cb);
	int (*SSL_CTX_use_certificate_ASN1)(void *ctx, int len, const unsigned char *der);
	int (*SSL_CTX_use_PrivateKey_ASN1)(int type, void *ctx, const unsigned char *der, long len);
	void *(*SSL_new)(void *ctx);
	int (*SSL_set_fd)(void *ssl, int fd);
	void (*SSL_set_connect_state)(void *ssl);
	void (*SSL_set_accept_state)(void *ssl);
	int (*SSL_do_handshake)(void *ssl);
	int (*SSL_read)(void *ssl, void *buf, int len);
	int (*SSL_get_error)(const void *ssl, int ret);
	const char *(*OpenSSL_version)(int type);
	const void *(*EVP_sha256)(void);
	const void *(*EVP_sha384)(void);
	void *(*HMAC_CTX_new)(void);
	void (*HMAC_CTX_free)(void *ctx);
	int (*HMAC_Init_ex)(void *ctx, const void *key, int len, const void *md, void *engine);
	int (*HMAC_Update)(void *ctx, const uint8_t *data, size_t len);
	int (*HMAC_Final)(void *ctx, uint8_t *out, unsigned int *len);
};

/*
 * One key-log line, the entry of the function that called the callback with
 * it, and the direct calls on the stack when it was logged.
 */
struct logged {
	char line[256];
	uintptr_t maker;
	uintptr_t callees[MAX_FRAMES];
	int n_callees;
};

/* The lab's records and state, defined in tls_probe_lab.c. */
extern struct logged logged[MAX_LINES];
extern int n_logged;
/* What the child writes to its parent; probe_fail() says why in its err. */
extern struct tls_probe_result result;
/* An exported function of the library under probe, once it is loaded. */
extern const void *probed_sym;
/* The entry of the function that called the info callback at each handshake's end. */
extern uintptr_t done_fn;
extern bool done_fns_differ;
/* Whether new contexts report to the probe, as only the probe's own do. */
extern bool with_callbacks;

/* A client and a server over a socket pair, stepped in turn in this one thread. */
struct pair {
	void *client_ctx, *server_ctx;
	void *client, *server;
	int fds[2];
};

/*
 * Where a value sits: at @offset of the SSL object, or, where @via is not
 * TLS_RANDOM_INLINE, at @offset of the struct the pointer at @via points to
 * (1.1.1 keeps s3 apart; the session is always apart).
 */
struct place {
	uint32_t via, offset;
};

#define MAX_PLACES 16

/* A value looked for by its bytes. */
struct needle {
	const uint8_t *bytes;
	size_t len;
};

/* The lab (tls_probe_lab.c) */
int probe_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool in_library_of(uintptr_t addr, const void *sym);
int resolve(void *ssl_lib, void *crypto_lib, struct ossl *o);
int handshake(const struct ossl *o, struct pair *p, int server_max_version);
size_t read_self(const void *addr, void *buf, size_t len);
int logged_random(int first, uint8_t random[RANDOM_SIZE]);
int add_places(const uint8_t *mem, size_t len, struct needle want, uint32_t via,
	       struct place *places, int n);
int find_places(const void *ssl, struct needle want, struct place *places);
bool place_holds(const void *ssl, struct place pl, struct needle want);
uintptr_t probe_point(uintptr_t entry);
int file_offset(uintptr_t addr, uint64_t *offset);
bool in_function(uintptr_t addr, uintptr_t fn);

/*
 * Runs @experiment(@arg) in a grandchild, which a wrong guess may crash or
 * hang (for CALL_TIMEOUT_S at most): whether it exited with 0. A return from
 * @experiment is a failure.
 */
bool in_grandchild(void (*experiment)(const void *arg), const void *arg);

/*
 * Makes the instruction at @at fault with SIGILL, in this process only,
 * keeping its first TRAP_LEN bytes in @saved; lift_trap() puts them back.
 * Returns 0, or -1 where code cannot be made writable.
 */
#define TRAP_LEN 2 /* ud2 */
int plant_trap(uintptr_t at, uint8_t saved[TRAP_LEN]);
void lift_trap(uintptr_t at, const uint8_t saved[TRAP_LEN]);

/*
 * The client random (both hooks need it) and the per-secret hook
 * (tls_probe_keylog.c).
 */
uintptr_t find_log_secret(int first, const void *ssl_sym, void *ssl, const uint8_t *random);
uintptr_t find_line_maker(const struct ossl *o, const struct pair *p, uintptr_t log_secret,
			  const uint8_t *random);
int find_client_random(struct pair pairs[2], const uint8_t randoms[2][RANDOM_SIZE]);

/* The once-per-handshake hook (tls_probe_done.c) */
int find_handshake_done(const struct ossl *o, const struct pair pairs[2], int tls12_first);

#endif

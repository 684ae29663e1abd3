// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/types.h>
#include "hex.h"
#include "proc_parse.h"
#include "tls.h"
#include "tls_probe.h"
#include "tls_probe_identity.h"

/* From OpenSSL's public headers, stable since 1.1.0. */
#define SSL_CTRL_SET_MAX_PROTO_VERSION 124
#define SSL_ERROR_WANT_READ	       2
#define SSL_ERROR_WANT_WRITE	       3
#define EVP_PKEY_EC		       408
#define SSL_CB_HANDSHAKE_DONE	       0x20
#define OPENSSL_VERSION		       0

#define CALL_TIMEOUT_S	   2
#define MAX_FRAMES	   8
#define MAX_LINES	   32
#define MAX_CANDIDATES	   8
#define SCAN_BYTES	   16384 /* larger than any SSL / SSL_CONNECTION so far (~7 KiB) */
#define RANDOM_SIZE	   32
#define NOBODY		   65534
#define PROBE_LABEL	   "ECAP_TLS_PROBE"

typedef void (*keylog_cb)(const void *ssl, const char *line);
typedef void (*info_cb)(const void *ssl, int where, int ret);
typedef void (*log_secret_fn)(void *ssl, const char *label, const uint8_t *secret, size_t len);
typedef int (*keylog_line_fn)(const char *label, void *ssl, const uint8_t *random,
			      size_t random_len, const uint8_t *secret, size_t len);

/* libgcc's lookup in the unwind tables (.eh_frame_hdr) of every loaded object. */
struct dwarf_eh_bases {
	void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct dwarf_eh_bases *bases);

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
	void (*SSL_free)(void *ssl);
	int (*SSL_set_fd)(void *ssl, int fd);
	void (*SSL_set_connect_state)(void *ssl);
	void (*SSL_set_accept_state)(void *ssl);
	int (*SSL_do_handshake)(void *ssl);
	int (*SSL_get_error)(const void *ssl, int ret);
	const char *(*OpenSSL_version)(int type);
	const void *(*EVP_sha256)(void);
	const void *(*EVP_sha384)(void);
	uint8_t *(*HMAC)(const void *md, const void *key, int key_len, const uint8_t *data,
			 size_t len, uint8_t *out, unsigned int *out_len);
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

static struct logged logged[MAX_LINES];
static int n_logged;

static struct tls_probe_result result;

static int probe_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int probe_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(result.err, sizeof(result.err), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The function a return address returns into was entered through the call
 * just before it. On x86-64 a direct call is e8 + rel32, which names the
 * callee: the entry of the next frame inward.
 */
static uintptr_t direct_callee(uintptr_t ret)
{
#if defined(__x86_64__)
	const uint8_t *call = (const uint8_t *)ret - 5;
	int32_t rel;

	if (call[0] != 0xe8)
		return 0;
	memcpy(&rel, call + 1, sizeof(rel));
	return ret + rel;
#else
	return 0;
#endif
}

/*
 * The entry of the function holding the return address @ret. Stripped
 * libraries keep their unwind tables, which give every function's extent.
 */
static uintptr_t function_entry(uintptr_t ret)
{
	struct dwarf_eh_bases bases = { 0 };

	if (!_Unwind_Find_FDE((void *)(ret - 1), &bases))
		return 0;
	return (uintptr_t)bases.func;
}

/* Whether @addr is code of the library whose exported @sym is given: never call our own. */
static bool in_library_of(uintptr_t addr, const void *sym)
{
	Dl_info lib, at;

	return dladdr(sym, &lib) && dladdr((void *)addr, &at) && lib.dli_fbase == at.dli_fbase;
}

/* An exported function of the library under probe, once it is loaded. */
static const void *probed_sym;

static void on_keylog(const void *ssl, const char *line)
{
	void *frames[MAX_FRAMES + 1];
	struct logged *l;
	int n;

	if (n_logged >= MAX_LINES)
		return;
	l = &logged[n_logged++];
	memset(l, 0, sizeof(*l));
	snprintf(l->line, sizeof(l->line), "%s", line);
	/* frames[0] is this callback (or a sanitizer's backtrace()); its callers'
	 * return addresses follow, the first in the library being its caller's. */
	n = backtrace(frames, MAX_FRAMES + 1);
	for (int i = 1; i < n && !l->maker; i++) {
		if (in_library_of((uintptr_t)frames[i], probed_sym))
			l->maker = function_entry((uintptr_t)frames[i]);
	}
	for (int i = 1; i < n; i++) {
		uintptr_t callee = direct_callee((uintptr_t)frames[i]);

		if (callee)
			l->callees[l->n_callees++] = callee;
	}
}

/* The entry of the function that called the info callback at each handshake's end. */
static uintptr_t done_fn;
static bool done_fns_differ;

static void on_info(const void *ssl, int where, int ret)
{
	void *frames[MAX_FRAMES + 1];
	uintptr_t entry = 0;
	int n;

	(void)ssl;
	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	n = backtrace(frames, MAX_FRAMES + 1);
	for (int i = 1; i < n && !entry; i++) {
		if (in_library_of((uintptr_t)frames[i], probed_sym))
			entry = function_entry((uintptr_t)frames[i]);
	}
	done_fns_differ |= done_fn && entry != done_fn;
	done_fn = done_fn ? done_fn : entry;
}

static int resolve(void *ssl_lib, void *crypto_lib, struct ossl *o)
{
	static const struct {
		const char *name;
		size_t offset;
		bool crypto;
	} syms[] = {
#define SYM(n, c) { #n, offsetof(struct ossl, n), c }
		SYM(TLS_client_method, false), SYM(TLS_server_method, false),
		SYM(SSL_CTX_new, false), SYM(SSL_CTX_free, false), SYM(SSL_CTX_ctrl, false),
		SYM(SSL_CTX_set_keylog_callback, false), SYM(SSL_CTX_use_certificate_ASN1, false),
		SYM(SSL_CTX_use_PrivateKey_ASN1, false), SYM(SSL_new, false), SYM(SSL_free, false),
		SYM(SSL_set_fd, false), SYM(SSL_set_connect_state, false),
		SYM(SSL_set_accept_state, false), SYM(SSL_do_handshake, false),
		SYM(SSL_get_error, false), SYM(OpenSSL_version, true),
		SYM(SSL_CTX_set_info_callback, false), SYM(EVP_sha256, true),
		SYM(EVP_sha384, true), SYM(HMAC, true),
#undef SYM
	};

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(syms[i].crypto ? crypto_lib : ssl_lib, syms[i].name);

		if (!f)
			return probe_fail("it has no %s (not OpenSSL 1.1.1 or later?)", syms[i].name);
		memcpy((char *)o + syms[i].offset, &f, sizeof(f));
	}
	return 0;
}

/* Whether new contexts report to the probe, as only the probe's own do. */
static bool with_callbacks = true;

static void *new_ctx(const struct ossl *o, bool server, int max_version)
{
	void *ctx = o->SSL_CTX_new(server ? o->TLS_server_method() : o->TLS_client_method());

	if (!ctx)
		return NULL;
	if (with_callbacks) {
		o->SSL_CTX_set_keylog_callback(ctx, on_keylog);
		o->SSL_CTX_set_info_callback(ctx, on_info);
	}
	if (max_version)
		o->SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, max_version, NULL);
	if (server && (o->SSL_CTX_use_certificate_ASN1(ctx, sizeof(probe_cert_der), probe_cert_der) != 1 ||
		       o->SSL_CTX_use_PrivateKey_ASN1(EVP_PKEY_EC, ctx, probe_key_der,
						      sizeof(probe_key_der)) != 1)) {
		o->SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static bool handshake_step(const struct ossl *o, void *ssl, bool *done)
{
	int ret, err;

	if (*done)
		return true;
	ret = o->SSL_do_handshake(ssl);
	if (ret == 1) {
		*done = true;
		return true;
	}
	err = o->SSL_get_error(ssl, ret);
	return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

/* A client and a server over a socket pair, stepped in turn in this one thread. */
struct pair {
	void *client_ctx, *server_ctx;
	void *client, *server;
	int fds[2];
};

static void pair_free(const struct ossl *o, struct pair *p)
{
	if (p->client)
		o->SSL_free(p->client);
	if (p->server)
		o->SSL_free(p->server);
	if (p->client_ctx)
		o->SSL_CTX_free(p->client_ctx);
	if (p->server_ctx)
		o->SSL_CTX_free(p->server_ctx);
	close(p->fds[0]);
	close(p->fds[1]);
}

static int handshake(const struct ossl *o, struct pair *p, int server_max_version)
{
	bool client_done = false, server_done = false;

	memset(p, 0, sizeof(*p));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fds))
		return probe_fail("socketpair: %s", strerror(errno));
	p->client_ctx = new_ctx(o, false, 0);
	p->server_ctx = new_ctx(o, true, server_max_version);
	if (!p->client_ctx || !p->server_ctx)
		return probe_fail("it could not set up an SSL_CTX");
	p->client = o->SSL_new(p->client_ctx);
	p->server = o->SSL_new(p->server_ctx);
	if (!p->client || !p->server || o->SSL_set_fd(p->client, p->fds[0]) != 1 ||
	    o->SSL_set_fd(p->server, p->fds[1]) != 1)
		return probe_fail("it could not set up an SSL object");
	o->SSL_set_connect_state(p->client);
	o->SSL_set_accept_state(p->server);

	for (int i = 0; i < 100 && !(client_done && server_done); i++) {
		if (!handshake_step(o, p->client, &client_done) ||
		    !handshake_step(o, p->server, &server_done))
			return probe_fail("a handshake with itself failed");
	}
	if (!client_done || !server_done)
		return probe_fail("a handshake with itself did not finish");
	return 0;
}

/* Reads our own memory without faulting past the end of a mapping. */
static size_t read_self(const void *addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	return n > 0 ? (size_t)n : 0;
}

/* The second field of the first line logged since @first. */
static int logged_random(int first, uint8_t random[RANDOM_SIZE])
{
	const char *sp;

	if (first >= n_logged)
		return probe_fail("its key-log callback was never called");
	sp = strchr(logged[first].line, ' ');
	if (!sp || hex_get(random, sp + 1, RANDOM_SIZE))
		return probe_fail("its key-log line is malformed: %.80s", logged[first].line);
	return 0;
}

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

/* Adds each offset of @len bytes at @mem that holds @want, reached via @via. */
static int add_places(const uint8_t *mem, size_t len, struct needle want, uint32_t via,
		      struct place *places, int n)
{
	for (size_t off = 0; off + want.len <= len && n < MAX_PLACES; off++) {
		if (!memcmp(mem + off, want.bytes, want.len))
			places[n++] = (struct place){ via, (uint32_t)off };
	}
	return n;
}

/* Every place in @ssl holding @want: in the object, and behind each of its pointers. */
static int find_places(const void *ssl, struct needle want, struct place *places)
{
	static uint8_t obj[SCAN_BYTES], sub[SCAN_BYTES];
	size_t n_obj = read_self(ssl, obj, sizeof(obj));
	int n = add_places(obj, n_obj, want, TLS_RANDOM_INLINE, places, 0);

	for (size_t via = 0; via + sizeof(uintptr_t) <= n_obj; via += sizeof(uintptr_t)) {
		uintptr_t ptr;

		memcpy(&ptr, obj + via, sizeof(ptr));
		if (ptr && ptr != (uintptr_t)ssl)
			n = add_places(sub, read_self((const void *)ptr, sub, sizeof(sub)), want,
				       (uint32_t)via, places, n);
	}
	return n;
}

static bool place_holds(const void *ssl, struct place pl, struct needle want)
{
	uint8_t got[TLS_MAX_SECRET_SIZE];
	uintptr_t base = (uintptr_t)ssl;

	if (pl.via != TLS_RANDOM_INLINE &&
	    read_self((const uint8_t *)ssl + pl.via, &base, sizeof(base)) != sizeof(base))
		return false;
	return want.len <= sizeof(got) &&
	       read_self((const void *)(base + pl.offset), got, want.len) == want.len &&
	       !memcmp(got, want.bytes, want.len);
}

/*
 * The one place where the client random sits in all four SSL objects; one in
 * the object itself beats any reached through a pointer (a pointer back to
 * the object reaches it too).
 */
static int find_client_random(struct pair pairs[2], const uint8_t randoms[2][RANDOM_SIZE])
{
	struct needle r0 = { randoms[0], RANDOM_SIZE }, r1 = { randoms[1], RANDOM_SIZE };
	struct place places[MAX_PLACES], found = { 0, 0 };
	int n = find_places(pairs[0].client, r0, places), n_found = 0;

	for (int i = 0; i < n; i++) {
		if (!place_holds(pairs[0].server, places[i], r0) ||
		    !place_holds(pairs[1].client, places[i], r1) ||
		    !place_holds(pairs[1].server, places[i], r1))
			continue;
		if (n_found && found.via == TLS_RANDOM_INLINE && places[i].via != TLS_RANDOM_INLINE)
			continue;
		if (places[i].via == TLS_RANDOM_INLINE && found.via != TLS_RANDOM_INLINE)
			n_found = 0;
		found = places[i];
		n_found++;
	}
	if (!n_found)
		return probe_fail("the client random is not in one place in every SSL object");
	if (n_found > 1)
		return probe_fail("the client random sits in %d places", n_found);
	result.layout.client_random_via = found.via;
	result.layout.client_random_offset = found.offset;
	return 0;
}

/* Callees seen on the stack of every line logged since @first. */
static int common_callees(int first, uintptr_t *out)
{
	int n = 0;

	for (int i = 0; i < logged[first].n_callees && n < MAX_CANDIDATES; i++) {
		uintptr_t c = logged[first].callees[i];
		bool everywhere = true;

		for (int l = first + 1; l < n_logged && everywhere; l++) {
			everywhere = false;
			for (int j = 0; j < logged[l].n_callees; j++)
				everywhere |= logged[l].callees[j] == c;
		}
		if (everywhere)
			out[n++] = c;
	}
	return n;
}

/*
 * Calls @candidate as the @hook function (ssl_log_secret or nss_keylog_int)
 * with a made-up label and secret, in a grandchild (a wrong candidate may
 * crash), and checks that exactly that line comes back through the key-log
 * callback.
 */
static bool behaves_as(enum tls_hook hook, uintptr_t candidate, void *ssl, const uint8_t *random)
{
	uint8_t secret[48];
	char want[256], rhex[2 * RANDOM_SIZE + 1], shex[2 * sizeof(secret) + 1];
	int status;
	pid_t pid;

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = 0xa5 ^ (uint8_t)(i * 29);
	*hex_put(rhex, random, RANDOM_SIZE) = '\0';
	*hex_put(shex, secret, sizeof(secret)) = '\0';
	snprintf(want, sizeof(want), PROBE_LABEL " %s %s", rhex, shex);

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		/* A wrong candidate may crash: quietly, whatever a sanitizer would say. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		alarm(CALL_TIMEOUT_S);
		n_logged = 0;
		if (hook == TLS_HOOK_LOG_SECRET)
			((log_secret_fn)candidate)(ssl, PROBE_LABEL, secret, sizeof(secret));
		else
			((keylog_line_fn)candidate)(PROBE_LABEL, ssl, random, RANDOM_SIZE, secret,
						    sizeof(secret));
		_exit(n_logged == 1 && !strcmp(logged[0].line, want) ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The one candidate on the path of every line logged since @first that behaves as ssl_log_secret. */
static uintptr_t find_log_secret(int first, const void *ssl_sym, void *ssl,
				 const uint8_t *random)
{
	uintptr_t candidates[MAX_CANDIDATES], found = 0;
	int n = common_callees(first, candidates);

	for (int i = 0; i < n; i++) {
		if (!in_library_of(candidates[i], ssl_sym) ||
		    !behaves_as(TLS_HOOK_LOG_SECRET, candidates[i], ssl, random))
			continue;
		if (found && found != candidates[i]) {
			probe_fail("two functions behave as ssl_log_secret");
			return 0;
		}
		found = candidates[i];
	}
	if (!found)
		probe_fail("none of the %d functions on its key-log path behaves as ssl_log_secret",
			   n);
	return found;
}

/* Whether every line logged since @first passed through @fn. */
static bool logged_through(int first, uintptr_t fn)
{
	uintptr_t callees[MAX_CANDIDATES];
	int n = common_callees(first, callees);

	while (n-- > 0) {
		if (callees[n] == fn)
			return true;
	}
	return false;
}

static void on_trap(int sig)
{
	(void)sig;
	_exit(0);
}

/*
 * Whether ssl_log_secret reaches @maker when no key-log callback is set, as
 * in the processes we capture. A compiler may test for the callback before
 * the call (1.1.1's nss_keylog_int is split so): then the experiment above
 * saw @maker only because the probe had set one. Answered in a grandchild
 * whose copy of @maker starts with a breakpoint; where code cannot be made
 * writable, the answer is no.
 */
static bool reached_without_callback(const struct ossl *o, void *ctx, void *ssl,
				     uintptr_t log_secret, uintptr_t maker)
{
	uintptr_t page = maker & ~(uintptr_t)(getpagesize() - 1);
	uint8_t secret[48] = { 0 };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		alarm(CALL_TIMEOUT_S);
		o->SSL_CTX_set_keylog_callback(ctx, NULL);
		if (mprotect((void *)page, getpagesize(), PROT_READ | PROT_WRITE | PROT_EXEC))
			_exit(1);
		signal(SIGTRAP, on_trap);
		*(volatile uint8_t *)maker = 0xcc; /* int3 */
		((log_secret_fn)log_secret)(ssl, PROBE_LABEL, secret, sizeof(secret));
		_exit(1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The function that called the callback with every line logged so far, if it
 * is one of the library's own, not ssl_log_secret itself, behaves as
 * nss_keylog_int and runs without a callback too; 0 otherwise.
 */
static uintptr_t find_line_maker(const struct ossl *o, const struct pair *p, uintptr_t log_secret,
				 const uint8_t *random)
{
	uintptr_t maker = logged[0].maker;

	for (int l = 1; l < n_logged; l++) {
		if (logged[l].maker != maker)
			return 0;
	}
	if (!maker || maker == log_secret || !in_library_of(maker, (const void *)o->SSL_new) ||
	    !behaves_as(TLS_HOOK_KEYLOG_LINE, maker, p->client, random) ||
	    !reached_without_callback(o, p->client_ctx, p->client, log_secret, maker))
		return 0;
	return maker;
}

/*
 * Where the uprobe goes in the function at @entry. With control-flow
 * protection a function starts with endbr64, which the kernel single-steps;
 * the instruction after it sees the same arguments, since a function is only
 * ever entered at its start, and is often one the kernel emulates.
 */
static uintptr_t probe_point(uintptr_t entry)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	return memcmp((const void *)entry, endbr64, sizeof(endbr64)) ? entry
								      : entry + sizeof(endbr64);
}

/* The file offset behind @addr, from our own mappings of the library. */
static int file_offset(uintptr_t addr, uint64_t *offset)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t size = 0;
	int ret = -1;

	if (!maps)
		return probe_fail("cannot read /proc/self/maps: %s", strerror(errno));
	/* Whole lines: a piece of a long library path must not pass for a mapping. */
	while (ret && getline(&line, &size, maps) > 0) {
		struct proc_map map;

		if (!proc_parse_maps(line, &map) && addr >= map.start && addr < map.end) {
			*offset = addr - map.start + map.offset;
			ret = 0;
		}
	}
	free(line);
	fclose(maps);
	return ret ? probe_fail("its key-log function is in no mapping") : 0;
}

/* A secret as a key-log line gave it. */
struct logged_secret {
	uint8_t bytes[TLS_MAX_SECRET_SIZE];
	size_t len;
};

/* The secret of the line labelled @label among the lines [@first, @last). */
static bool logged_secret(int first, int last, const char *label, struct logged_secret *out)
{
	size_t label_len = strlen(label);

	for (int l = first; l < last; l++) {
		const char *line = logged[l].line, *sp;

		if (strncmp(line, label, label_len) || line[label_len] != ' ')
			continue;
		sp = strchr(line + label_len + 1, ' ');
		out->len = sp ? strlen(sp + 1) / 2 : 0;
		return out->len && out->len <= sizeof(out->bytes) &&
		       !hex_get(out->bytes, sp + 1, out->len);
	}
	return false;
}

/*
 * Whether HKDF-Expand-Label(@secret, @label, @context) of @want's length is
 * @want (RFC 8446, section 7.1), with the hash of that length: the library's
 * own HMAC, in this throwaway child.
 */
static bool expands_to(const struct ossl *o, const uint8_t *secret, const char *label,
		       const uint8_t *context, const struct logged_secret *want)
{
	uint8_t info[4 + 32 + TLS_MAX_SECRET_SIZE + 1], out[TLS_MAX_SECRET_SIZE];
	const void *md = want->len == 48 ? o->EVP_sha384() : o->EVP_sha256();
	unsigned int out_len = 0;
	size_t n = 0;

	info[n++] = 0;
	info[n++] = (uint8_t)want->len;
	info[n] = (uint8_t)snprintf((char *)info + n + 1, 32, "tls13 %s", label);
	n += 1 + info[n];
	info[n++] = (uint8_t)want->len;
	memcpy(info + n, context, want->len);
	n += want->len;
	info[n++] = 1;
	return o->HMAC(md, secret, (int)want->len, info, n, out, &out_len) &&
	       out_len >= want->len && !memcmp(out, want->bytes, want->len);
}

/*
 * OpenSSL keeps TLS 1.3's secrets and transcript hashes in arrays of
 * EVP_MAX_MD_SIZE bytes side by side. Which slots hold what is not assumed:
 * the key schedule tells, by reproducing a logged secret.
 */
#define SLOT_SIZE  TLS_MAX_SECRET_SIZE
#define SLOT_REACH 10

/*
 * The one pair of slots around @anchor of @obj, a secret and a transcript
 * hash, that expands with @label to @want.
 */
static int find_expansion(const struct ossl *o, const uint8_t *obj, size_t n_obj, long anchor,
			  const char *label, const struct logged_secret *want, uint32_t *secret,
			  uint32_t *hash)
{
	int found = 0;

	for (int i = -SLOT_REACH; i <= SLOT_REACH; i++) {
		long s = anchor + i * SLOT_SIZE;

		for (int j = -SLOT_REACH; j <= SLOT_REACH && s >= 0 && s + SLOT_SIZE <= (long)n_obj;
		     j++) {
			long h = anchor + j * SLOT_SIZE;

			if (h < 0 || h + SLOT_SIZE > (long)n_obj || h == s ||
			    !expands_to(o, obj + s, label, obj + h, want))
				continue;
			*secret = (uint32_t)s;
			*hash = (uint32_t)h;
			found++;
		}
	}
	if (found != 1)
		return probe_fail("%d pairs of its slots derive \"%s\"", found, label);
	return 0;
}

/* The fields the uprobe at the end of a handshake reads, in the order of the search. */
enum { HS_SECRET, HS_HASH, MASTER, FINISHED_HASH, EXPORTER, N_FIELDS };

/*
 * Where a TLS 1.3 client and server keep what their five secrets derive from:
 * the handshake secret and the transcript hash it expands with, the master
 * secret and the hash at the server's Finished, and the exporter secret: the
 * anchor, found by value, and in every capture the check of the hash length
 * (unlike the traffic secrets, a key update leaves it as it was). The same
 * offsets must reproduce both objects' secrets.
 */
static int find_tls13_block(const struct ossl *o, const struct pair *p, int last)
{
	static uint8_t client[SCAN_BYTES], server[SCAN_BYTES];
	size_t n_client = read_self(p->client, client, sizeof(client));
	size_t n_server = read_self(p->server, server, sizeof(server));
	struct logged_secret hs, exp;
	struct place anchors[MAX_PLACES];
	uint32_t off[N_FIELDS], lo = UINT32_MAX, hi = 0;
	struct tls_layout *layout = &result.layout;
	int n, i;

	if (!logged_secret(0, last, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", &hs) ||
	    !logged_secret(0, last, "EXPORTER_SECRET", &exp) || hs.len != exp.len)
		return probe_fail("its TLS 1.3 handshake logged no handshake or exporter secret");
	n = add_places(client, n_client, (struct needle){ exp.bytes, exp.len }, TLS_RANDOM_INLINE,
		       anchors, 0);
	/* The secret may have copies: the server's is at the same place. */
	for (i = 0; i < n; i++) {
		off[EXPORTER] = anchors[i].offset;
		if (off[EXPORTER] + exp.len <= n_server &&
		    !memcmp(server + off[EXPORTER], exp.bytes, exp.len) &&
		    !find_expansion(o, client, n_client, off[EXPORTER], "c hs traffic", &hs,
				    &off[HS_SECRET], &off[HS_HASH]) &&
		    !find_expansion(o, client, n_client, off[EXPORTER], "exp master", &exp,
				    &off[MASTER], &off[FINISHED_HASH]))
			break;
	}
	if (i == n)
		return probe_fail("its exporter secret is in %d places, none among the secrets "
				  "it derives from", n);
	for (int f = 0; f < N_FIELDS; f++) {
		if (off[f] + SLOT_SIZE > n_server)
			return probe_fail("its server object is shorter than its client's");
		lo = off[f] < lo ? off[f] : lo;
		hi = off[f] + SLOT_SIZE > hi ? off[f] + SLOT_SIZE : hi;
	}
	if (!expands_to(o, server + off[HS_SECRET], "c hs traffic", server + off[HS_HASH], &hs) ||
	    !expands_to(o, server + off[MASTER], "exp master", server + off[FINISHED_HASH], &exp))
		return probe_fail("its server keeps its TLS 1.3 secrets elsewhere than its client");
	if (hi - lo > TLS_MAX_BLOCK_SIZE)
		return probe_fail("its TLS 1.3 secrets span %u bytes", hi - lo);
	layout->block_offset = lo;
	layout->block_len = hi - lo;
	layout->hs_secret = off[HS_SECRET] - lo;
	layout->hs_hash = off[HS_HASH] - lo;
	layout->master = off[MASTER] - lo;
	layout->finished_hash = off[FINISHED_HASH] - lo;
	layout->exporter = off[EXPORTER] - lo;
	return 0;
}

/* Where the TLS 1.2 handshake's client and server keep its master key: one place. */
static int find_master_key(const struct pair *p, int first, int last)
{
	struct logged_secret key;
	struct place places[MAX_PLACES], found = { 0, 0 };
	struct needle want;
	int n, n_found = 0;

	if (!logged_secret(first, last, "CLIENT_RANDOM", &key) || key.len != TLS_MASTER_KEY_SIZE)
		return probe_fail("its TLS 1.2 handshake logged no master key");
	want = (struct needle){ key.bytes, key.len };
	n = find_places(p->client, want, places);
	for (int i = 0; i < n; i++) {
		if (place_holds(p->server, places[i], want)) {
			found = places[i];
			n_found++;
		}
	}
	if (n_found != 1)
		return probe_fail("its TLS 1.2 master key is in %d places", n_found);
	result.layout.session_via = found.via;
	result.layout.master_key_offset = found.offset;
	return 0;
}

/* The first word of all four objects that holds the version each negotiated. */
static int find_version(const struct pair pairs[2])
{
	const void *objs[] = { pairs[0].client, pairs[0].server, pairs[1].client, pairs[1].server };
	static const uint32_t want[] = { TLS1_3_VERSION, TLS1_3_VERSION, TLS1_2_VERSION,
					 TLS1_2_VERSION };

	for (uint32_t off = 0; off < SCAN_BYTES; off += sizeof(uint32_t)) {
		bool all = true;

		for (int i = 0; i < 4 && all; i++) {
			uint32_t v;

			all = read_self((const uint8_t *)objs[i] + off, &v, sizeof(v)) == sizeof(v) &&
			      v == want[i];
		}
		if (all) {
			result.layout.version_offset = off;
			return 0;
		}
	}
	return probe_fail("its SSL objects hold their version nowhere");
}

/* The pair a breakpoint at the handshake's end must find in its first argument. */
static const struct pair *trapped_pair;

static void on_done_trap(int sig, siginfo_t *info, void *ucontext)
{
	(void)sig;
	(void)info;
#if defined(__x86_64__)
	const void *arg1 = (const void *)((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RDI];

	_exit(arg1 == trapped_pair->client || arg1 == trapped_pair->server ? 0 : 1);
#else
	(void)ucontext;
	_exit(1);
#endif
}

/*
 * Whether a handshake of contexts without callbacks, as in the processes we
 * capture, reaches @at with its SSL object as the first argument: answered in
 * a grandchild whose copy of @at is a breakpoint.
 */
static bool done_reached(const struct ossl *o, uintptr_t at)
{
	uintptr_t page = at & ~(uintptr_t)(getpagesize() - 1);
	struct sigaction sa = { .sa_sigaction = on_done_trap, .sa_flags = SA_SIGINFO };
	struct pair p;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		alarm(CALL_TIMEOUT_S);
		with_callbacks = false;
		trapped_pair = &p;
		if (mprotect((void *)page, getpagesize(), PROT_READ | PROT_WRITE | PROT_EXEC) ||
		    sigaction(SIGTRAP, &sa, NULL))
			_exit(1);
		*(volatile uint8_t *)at = 0xcc; /* int3 */
		handshake(o, &p, 0);
		_exit(1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Everything a uprobe at the end of each handshake needs, from the two done:
 * the function that ends a handshake (the info callback's caller at
 * SSL_CB_HANDSHAKE_DONE, tls_finish_handshake()), and where the version and
 * the secrets of both versions sit. Any failure leaves the per-secret hook.
 */
static int find_handshake_done(const struct ossl *o, const struct pair pairs[2], int tls12_first)
{
	struct tls_layout *layout = &result.layout;

	if (!done_fn || done_fns_differ || !in_library_of(done_fn, (const void *)o->SSL_new))
		return probe_fail("no one function of its own ends every handshake");
	if (find_version(pairs) || find_tls13_block(o, &pairs[0], tls12_first) ||
	    find_master_key(&pairs[1], tls12_first, n_logged))
		return -1;
	if (!done_reached(o, probe_point(done_fn)))
		return probe_fail("its handshakes do not end through the function its callback saw");
	return file_offset(probe_point(done_fn), &layout->done_offset);
}

static int run_probe(void *ssl_lib, void *crypto_lib)
{
	struct tls_layout *layout = &result.layout;
	uint8_t randoms[2][RANDOM_SIZE];
	struct pair pairs[2];
	uintptr_t log_secret, maker;
	struct ossl o;
	int tls12_first;

	if (resolve(ssl_lib, crypto_lib, &o))
		return -1;
	probed_sym = (const void *)o.SSL_new;
	snprintf(layout->version, sizeof(layout->version), "%s",
		 o.OpenSSL_version(OPENSSL_VERSION));

	/* TLS 1.3: all five secrets must pass through one function. */
	if (handshake(&o, &pairs[0], 0) || logged_random(0, randoms[0]))
		return -1;
	log_secret = find_log_secret(0, (const void *)o.SSL_new, pairs[0].client, randoms[0]);
	if (!log_secret)
		return -1;

	/* TLS 1.2's CLIENT_RANDOM, from fresh objects, through that same function. */
	tls12_first = n_logged;
	if (handshake(&o, &pairs[1], TLS1_2_VERSION) || logged_random(tls12_first, randoms[1]))
		return -1;
	if (!logged_through(tls12_first, log_secret))
		return probe_fail("its TLS 1.2 secret takes another path than TLS 1.3's");

	maker = find_line_maker(&o, &pairs[0], log_secret, randoms[0]);
	layout->hook = maker ? TLS_HOOK_KEYLOG_LINE : TLS_HOOK_LOG_SECRET;
	if (find_client_random(pairs, (const uint8_t(*)[RANDOM_SIZE])randoms))
		return -1;
	if (file_offset(log_secret, &layout->log_secret_offset) ||
	    file_offset(probe_point(maker ? maker : log_secret), &layout->hook_offset))
		return -1;
	if (find_handshake_done(&o, pairs, tls12_first)) {
		layout->done_offset = 0;
		snprintf(layout->no_done_why, sizeof(layout->no_done_why), "%s", result.err);
	}
	pair_free(&o, &pairs[0]);
	pair_free(&o, &pairs[1]);
	return 0;
}

/*
 * The capture's descriptors (BPF maps, rings, links) are not the library's to
 * touch: only stdio and @keep (-1 for none) stay open.
 */
static void close_all_but(const int *keep, int n)
{
	int last = 2;

	for (int i = 0; i < n; i++)
		last = keep[i] > last ? keep[i] : last;
	for (int fd = 3; fd < last; fd++) {
		bool kept = false;

		for (int i = 0; i < n; i++)
			kept |= keep[i] == fd;
		if (!kept)
			close(fd);
	}
	close_range(last + 1, ~0U, 0);
}

/*
 * Root becomes nobody in an empty network namespace. A user other than root,
 * whom file capabilities let capture, stays that user without them, in a
 * network namespace of their own where the kernel lets users make one (inside
 * a user namespace): the library runs with no more than they have anyway.
 */
static int become_unprivileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (getuid() == 0) {
		if (unshare(CLONE_NEWNET))
			return probe_fail("cannot leave the network namespace: %s",
					  strerror(errno));
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			return probe_fail("cannot drop privileges: %s", strerror(errno));
		return 0;
	}
	/* Where refused, the probe keeps a network the user has anyway: not worth failing. */
	unshare(CLONE_NEWUSER | CLONE_NEWNET);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ||
	    syscall(SYS_capset, &hdr, none))
		return probe_fail("cannot drop capabilities: %s", strerror(errno));
	return 0;
}

/*
 * Whatever a library's constructors do, they do it without privileges or
 * network, for a few seconds of CPU at most. The files were opened by our
 * caller, while it could.
 */
static int drop_privileges(void)
{
	struct rlimit cpu = { 5, 5 };

	if (become_unprivileged())
		return -1;
	/* Dumpable again, so that /proc/self/fd stays ours to open. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ||
	    setrlimit(RLIMIT_CPU, &cpu))
		return probe_fail("cannot restrict the probe: %s", strerror(errno));
	return 0;
}

static void *load(int fd, int flags)
{
	char path[64];
	void *lib;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	lib = dlopen(path, RTLD_NOW | flags);
	if (!lib)
		probe_fail("dlopen: %s", dlerror());
	return lib;
}

void tls_probe_child(int out, int ssl_fd, int crypto_fd)
{
	void *ssl_lib = NULL, *crypto_lib = NULL;
	const int keep[] = { out, ssl_fd, crypto_fd };

	close_all_but(keep, 3);
	if (!drop_privileges()) {
		/* libcrypto first, by path, so that libssl's DT_NEEDED finds this one. */
		if (crypto_fd >= 0)
			crypto_lib = load(crypto_fd, RTLD_GLOBAL);
		if (crypto_fd < 0 || crypto_lib)
			ssl_lib = load(ssl_fd, RTLD_LOCAL);
		if (ssl_lib)
			result.ok = !run_probe(ssl_lib, crypto_lib ? crypto_lib : ssl_lib);
	}
	if (write(out, &result, sizeof(result)) != sizeof(result))
		_exit(2);
	_exit(0);
}

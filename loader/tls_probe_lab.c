// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The probe's lab (tls_probe_lab.h): the probed library's functions, the
 * handshakes with its callbacks set and what they record, and the search
 * for values in its SSL objects.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/types.h>
#include "hex.h"
#include "proc_parse.h"
#include "tls.h"
#include "tls_probe_identity.h"
#include "tls_probe_lab.h"

/* From OpenSSL's public headers, stable since 1.1.0. */
#define SSL_CTRL_SET_MAX_PROTO_VERSION 124
#define SSL_ERROR_WANT_READ	       2
#define SSL_ERROR_WANT_WRITE	       3
#define EVP_PKEY_EC		       408
#define SSL_CB_HANDSHAKE_DONE	       0x20

/* libgcc's lookup in the unwind tables (.eh_frame_hdr) of every loaded object. */
struct dwarf_eh_bases {
	void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct dwarf_eh_bases *bases);

struct logged logged[MAX_LINES];
int n_logged;

struct tls_probe_result result;

int probe_fail(const char *fmt, ...)
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
bool in_library_of(uintptr_t addr, const void *sym)
{
	Dl_info lib, at;

	return dladdr(sym, &lib) && dladdr((void *)addr, &at) && lib.dli_fbase == at.dli_fbase;
}

/* An exported function of the library under probe, once it is loaded. */
const void *probed_sym;

/*
 * The entry of the library's function that called a callback, from the
 * callback's backtrace(): frames[0] is the callback (or a sanitizer's
 * backtrace()); its callers' return addresses follow, the first in the
 * library whose function the unwind tables know being its caller's. 0 if
 * none is.
 */
static uintptr_t library_caller(void *const *frames, int n)
{
	for (int i = 1; i < n; i++) {
		uintptr_t entry = in_library_of((uintptr_t)frames[i], probed_sym) ?
					  function_entry((uintptr_t)frames[i]) : 0;

		if (entry)
			return entry;
	}
	return 0;
}

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
	n = backtrace(frames, MAX_FRAMES + 1);
	l->maker = library_caller(frames, n);
	for (int i = 1; i < n; i++) {
		uintptr_t callee = direct_callee((uintptr_t)frames[i]);

		if (callee)
			l->callees[l->n_callees++] = callee;
	}
}

/* The entry of the function that called the info callback at each handshake's end. */
uintptr_t done_fn;
bool done_fns_differ;

static void on_info(const void *ssl, int where, int ret)
{
	void *frames[MAX_FRAMES + 1];
	uintptr_t entry;

	(void)ssl;
	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	entry = library_caller(frames, backtrace(frames, MAX_FRAMES + 1));
	done_fns_differ |= done_fn && entry != done_fn;
	done_fn = done_fn ? done_fn : entry;
}

int resolve(void *ssl_lib, void *crypto_lib, struct ossl *o)
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
		SYM(SSL_CTX_use_PrivateKey_ASN1, false), SYM(SSL_new, false),
		SYM(SSL_set_fd, false), SYM(SSL_set_connect_state, false),
		SYM(SSL_set_accept_state, false), SYM(SSL_do_handshake, false), SYM(SSL_read, false),
		SYM(SSL_get_error, false), SYM(OpenSSL_version, true),
		SYM(SSL_CTX_set_info_callback, false), SYM(EVP_sha256, true),
		SYM(EVP_sha384, true), SYM(HMAC_CTX_new, true), SYM(HMAC_CTX_free, true),
		SYM(HMAC_Init_ex, true), SYM(HMAC_Update, true), SYM(HMAC_Final, true),
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
bool with_callbacks = true;

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

int handshake(const struct ossl *o, struct pair *p, int server_max_version)
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
size_t read_self(const void *addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	return n > 0 ? (size_t)n : 0;
}

/* The second field of the first line logged since @first. */
int logged_random(int first, uint8_t random[RANDOM_SIZE])
{
	const char *sp;

	if (first >= n_logged)
		return probe_fail("its key-log callback was never called");
	sp = strchr(logged[first].line, ' ');
	if (!sp || hex_get(random, sp + 1, RANDOM_SIZE))
		return probe_fail("its key-log line is malformed: %.80s", logged[first].line);
	return 0;
}

/* Adds each offset of @len bytes at @mem that holds @want, reached via @via. */
int add_places(const uint8_t *mem, size_t len, struct needle want, uint32_t via,
	       struct place *places, int n)
{
	const uint8_t *at = mem, *end = mem + len;

	/* memmem(): this runs over 16 KiB behind each of an object's pointers. */
	while (n < MAX_PLACES && at < end && (at = memmem(at, end - at, want.bytes, want.len))) {
		places[n++] = (struct place){ via, (uint32_t)(at - mem) };
		at++;
	}
	return n;
}

/* Every place in @ssl holding @want: in the object, and behind each of its pointers. */
int find_places(const void *ssl, struct needle want, struct place *places)
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

bool place_holds(const void *ssl, struct place pl, struct needle want)
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
 * Where the uprobe goes in the function at @entry. With control-flow
 * protection a function starts with endbr64, which the kernel single-steps;
 * the instruction after it sees the same arguments, since a function is only
 * ever entered at its start, and is often one the kernel emulates.
 */
uintptr_t probe_point(uintptr_t entry)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	return memcmp((const void *)entry, endbr64, sizeof(endbr64)) ? entry
								      : entry + sizeof(endbr64);
}

/* The file offset behind @addr, from our own mappings of the library. */
int file_offset(uintptr_t addr, uint64_t *offset)
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

/* Whether @addr is code of the function whose entry is @fn, by the unwind tables. */
bool in_function(uintptr_t addr, uintptr_t fn)
{
	struct dwarf_eh_bases bases = { 0 };

	return _Unwind_Find_FDE((void *)addr, &bases) && (uintptr_t)bases.func == fn;
}

bool in_grandchild(void (*experiment)(const void *arg), const void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		/* A wrong guess may crash: quietly, whatever a sanitizer would say. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		alarm(CALL_TIMEOUT_S);
		experiment(arg);
		_exit(1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * ud2, not int3: a uprobe on the same file (another capture's, on this very
 * function) turns the page's byte into int3 already, and the kernel would
 * take our breakpoint for it and never pass it on.
 */
int plant_trap(uintptr_t at, uint8_t saved[TRAP_LEN])
{
	static const uint8_t ud2[TRAP_LEN] = { 0x0f, 0x0b };
	uintptr_t page = at & ~(uintptr_t)(getpagesize() - 1);

	/* Two pages: the instruction may end on the next one. */
	if (mprotect((void *)page, 2 * getpagesize(), PROT_READ | PROT_WRITE | PROT_EXEC))
		return -1;
	memcpy(saved, (const void *)at, TRAP_LEN);
	memcpy((void *)at, ud2, TRAP_LEN);
	return 0;
}

void lift_trap(uintptr_t at, const uint8_t saved[TRAP_LEN])
{
	memcpy((void *)at, saved, TRAP_LEN);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The once-per-handshake hook (tls_probe.h): the function that ends each
 * handshake, and where the SSL object keeps the negotiated version and what
 * the handshake's secrets derive from.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>
#include "hex.h"
#include "tls.h"
#include "tls_probe_lab.h"

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
 * Whether HKDF-Expand-Label(secret, @label, @context) of @want's length is
 * @want (RFC 8446, section 7.1), with the hash of that length: the library's
 * own HMAC, in this throwaway child, keyed with the secret by key_hmac().
 */
static bool expands_to(const struct ossl *o, void *hmac, const char *label,
		       const uint8_t *context, const struct logged_secret *want)
{
	uint8_t info[4 + 32 + TLS_MAX_SECRET_SIZE + 1], out[TLS_MAX_SECRET_SIZE];
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
	/* No key: the last one again, without hashing it anew for every context. */
	return o->HMAC_Init_ex(hmac, NULL, 0, NULL, NULL) && o->HMAC_Update(hmac, info, n) &&
	       o->HMAC_Final(hmac, out, &out_len) && out_len >= want->len &&
	       !memcmp(out, want->bytes, want->len);
}

static bool key_hmac(const struct ossl *o, void *hmac, const uint8_t *secret, size_t len)
{
	return o->HMAC_Init_ex(hmac, secret, (int)len, len == 48 ? o->EVP_sha384() : o->EVP_sha256(),
			       NULL);
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
static int find_expansion(const struct ossl *o, void *hmac, const uint8_t *obj, size_t n_obj,
			  long anchor, const char *label, const struct logged_secret *want,
			  uint32_t *secret, uint32_t *hash)
{
	int found = 0;

	for (int i = -SLOT_REACH; i <= SLOT_REACH; i++) {
		long s = anchor + i * SLOT_SIZE;

		if (s < 0 || s + SLOT_SIZE > (long)n_obj || !key_hmac(o, hmac, obj + s, want->len))
			continue;
		for (int j = -SLOT_REACH; j <= SLOT_REACH; j++) {
			long h = anchor + j * SLOT_SIZE;

			if (h < 0 || h + SLOT_SIZE > (long)n_obj || h == s ||
			    !expands_to(o, hmac, label, obj + h, want))
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

/* Whether @obj's slots at @secret and @hash expand with @label to @want. */
static bool slots_expand_to(const struct ossl *o, void *hmac, const uint8_t *obj, uint32_t secret,
			    uint32_t hash, const char *label, const struct logged_secret *want)
{
	return key_hmac(o, hmac, obj + secret, want->len) &&
	       expands_to(o, hmac, label, obj + hash, want);
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
	void *hmac;
	int n, i;

	if (!logged_secret(0, last, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", &hs) ||
	    !logged_secret(0, last, "EXPORTER_SECRET", &exp) || hs.len != exp.len)
		return probe_fail("its TLS 1.3 handshake logged no handshake or exporter secret");
	hmac = o->HMAC_CTX_new();
	if (!hmac)
		return probe_fail("it has no memory for an HMAC");
	n = add_places(client, n_client, (struct needle){ exp.bytes, exp.len }, TLS_RANDOM_INLINE,
		       anchors, 0);
	/* The secret may have copies: the server's is at the same place, among the others. */
	for (i = 0; i < n; i++) {
		off[EXPORTER] = anchors[i].offset;
		if (off[EXPORTER] + exp.len <= n_server &&
		    !memcmp(server + off[EXPORTER], exp.bytes, exp.len) &&
		    !find_expansion(o, hmac, client, n_client, off[EXPORTER], "c hs traffic", &hs,
				    &off[HS_SECRET], &off[HS_HASH]) &&
		    !find_expansion(o, hmac, client, n_client, off[EXPORTER], "exp master", &exp,
				    &off[MASTER], &off[FINISHED_HASH]) &&
		    slots_expand_to(o, hmac, server, off[HS_SECRET], off[HS_HASH], "c hs traffic",
				    &hs) &&
		    slots_expand_to(o, hmac, server, off[MASTER], off[FINISHED_HASH], "exp master",
				    &exp))
			break;
	}
	o->HMAC_CTX_free(hmac);
	if (i == n)
		return probe_fail("its exporter secret is in %d places, none among the secrets "
				  "it derives from in both SSL objects", n);
	for (int f = 0; f < N_FIELDS; f++) {
		lo = off[f] < lo ? off[f] : lo;
		hi = off[f] + SLOT_SIZE > hi ? off[f] + SLOT_SIZE : hi;
	}
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

/*
 * Where the TLS 1.2 handshake's client and server keep its master key: the
 * place at the lowest offset that holds it in both objects. The search reads
 * far past each pointer's target, into whatever the heap put next to it (a
 * copy of the session, under a sanitizer's allocator): the field of the
 * target itself comes first.
 */
static int find_master_key(const struct pair *p, int first, int last)
{
	struct logged_secret key;
	struct place places[MAX_PLACES], found = { 0, UINT32_MAX };
	struct needle want;
	int n;

	if (!logged_secret(first, last, "CLIENT_RANDOM", &key) || key.len != TLS_MASTER_KEY_SIZE)
		return probe_fail("its TLS 1.2 handshake logged no master key");
	want = (struct needle){ key.bytes, key.len };
	n = find_places(p->client, want, places);
	for (int i = 0; i < n; i++) {
		if (places[i].offset < found.offset && place_holds(p->server, places[i], want))
			found = places[i];
	}
	if (found.offset == UINT32_MAX)
		return probe_fail("its TLS 1.2 master key is not in one place in both SSL objects");
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

/*
 * tls_finish_handshake() runs again after each TLS 1.3 session ticket, on
 * both sides: with OpenSSL's default of two tickets, two traps per handshake
 * and side. The branch it takes only the first time calls a function of the
 * library with the SSL object (ssl3_cleanup_key_block()): a uprobe on that
 * call, an instruction the kernel emulates, traps once. The call is found by
 * experiment: a trap on every direct call in the function, hits counted by
 * first argument over a TLS 1.3 handshake whose client reads its tickets and
 * a TLS 1.2 handshake, of contexts without callbacks as in the processes we
 * capture. Where no call is made once by each side of both, the uprobe goes
 * on the function's entry, which every handshake must reach with its
 * SSL object.
 */
#define MAX_CALLS    32
#define MAX_FN_BYTES 4096
#define EFLAGS_TF    0x100

/* Whose SSL object a call had for its first argument. */
enum { CLIENT_13, SERVER_13, CLIENT_12, SERVER_12, OTHER, N_WHO };

struct trap_sites {
	int n;
	uintptr_t at[MAX_CALLS];
	uint8_t saved[MAX_CALLS][TRAP_LEN];
	int (*hits)[N_WHO]; /* shared with the parent */
};

static struct trap_sites sites;
static const struct pair *counted_pair; /* the handshake under way */
static int counted_client;		/* CLIENT_13 or CLIENT_12 */
static int stepping = -1;		/* the trap to plant again after one step */

/* The direct calls (e8 rel32) in the function at @fn to the entries of others. */
static void find_calls(uintptr_t fn)
{
	sites.n = 0;
	for (uintptr_t a = fn; a < fn + MAX_FN_BYTES && sites.n < MAX_CALLS; a++) {
		uintptr_t target;
		int32_t rel;

		if (!in_function(a, fn))
			break;
		if (*(const uint8_t *)a != 0xe8 || !in_function(a + 4, fn))
			continue;
		memcpy(&rel, (const void *)(a + 1), sizeof(rel));
		target = a + 5 + rel;
		if (target == fn || !in_function(target, target))
			continue;
		sites.at[sites.n++] = a;
		a += 4; /* an e8 within this call is none */
	}
}

#if defined(__x86_64__)
static int whose(const void *arg1)
{
	if (arg1 == counted_pair->client)
		return counted_client;
	return arg1 == counted_pair->server ? counted_client + 1 : OTHER;
}

/* A trap at a call counts it, which then runs as it was, one step, and is trapped again. */
static void on_call_trap(int sig, siginfo_t *info, void *ucontext)
{
	greg_t *regs = ((ucontext_t *)ucontext)->uc_mcontext.gregs;

	(void)info;
	if (sig == SIGTRAP && stepping >= 0) {
		plant_trap(sites.at[stepping], sites.saved[stepping]);
		stepping = -1;
		regs[REG_EFL] &= ~EFLAGS_TF;
		return;
	}
	for (int i = 0; sig == SIGILL && i < sites.n; i++) {
		if (sites.at[i] != (uintptr_t)regs[REG_RIP])
			continue;
		sites.hits[i][whose((const void *)regs[REG_RDI])]++;
		lift_trap(sites.at[i], sites.saved[i]);
		regs[REG_EFL] |= EFLAGS_TF;
		stepping = i;
		return;
	}
	_exit(1);
}

/* A handshake of the highest version or of @max_version, its tickets read by the client. */
static void counted_handshake(const struct ossl *o, struct pair *p, int max_version, int client)
{
	char byte;

	counted_pair = p;
	counted_client = client;
	if (handshake(o, p, max_version))
		_exit(1);
	for (int i = 0; i < 4; i++)
		o->SSL_read(p->client, &byte, 1);
}

static void count_calls(const void *arg)
{
	const struct ossl *o = arg;
	struct sigaction sa = { .sa_sigaction = on_call_trap, .sa_flags = SA_SIGINFO };
	struct pair p13, p12;

	with_callbacks = false;
	if (sigaction(SIGILL, &sa, NULL) || sigaction(SIGTRAP, &sa, NULL))
		_exit(1);
	for (int i = 0; i < sites.n; i++) {
		if (plant_trap(sites.at[i], sites.saved[i]))
			_exit(1);
	}
	counted_handshake(o, &p13, 0, CLIENT_13);
	counted_handshake(o, &p12, TLS1_2_VERSION, CLIENT_12);
	_exit(0);
}

/*
 * The first call in @fn that each side of each handshake makes once, with its
 * SSL object; 0 if none does. Any such call is as good: the secrets are in
 * place by the function's entry.
 */
static uintptr_t once_per_handshake_call(const struct ossl *o, uintptr_t fn)
{
	size_t size = MAX_CALLS * sizeof(*sites.hits);
	uintptr_t found = 0;

	find_calls(fn);
	sites.hits = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sites.hits == MAP_FAILED)
		return 0;
	if (!sites.n || !in_grandchild(count_calls, o))
		sites.n = 0;
	for (int i = 0; i < sites.n && !found; i++) {
		bool once = !sites.hits[i][OTHER];

		for (int w = CLIENT_13; w < OTHER; w++)
			once &= sites.hits[i][w] == 1;
		found = once ? sites.at[i] : 0;
	}
	munmap(sites.hits, size);
	return found;
}

/* The entry's trap, which must find one of the pair's objects in the first argument. */
static void on_entry_trap(int sig, siginfo_t *info, void *ucontext)
{
	const void *arg1 = (const void *)((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_RDI];

	(void)sig;
	(void)info;
	_exit(whose(arg1) == OTHER ? 1 : 0);
}

static void reach_entry(const void *arg)
{
	const struct ossl *o = arg;
	struct sigaction sa = { .sa_sigaction = on_entry_trap, .sa_flags = SA_SIGINFO };
	uint8_t saved[TRAP_LEN];
	struct pair p;

	with_callbacks = false;
	counted_pair = &p;
	counted_client = CLIENT_13;
	if (sigaction(SIGILL, &sa, NULL) || plant_trap(probe_point(done_fn), saved))
		_exit(1);
	handshake(o, &p, 0);
}

/* Where the uprobe goes in tls_finish_handshake() (done_fn); 0 if nowhere. */
static uintptr_t done_probe_point(const struct ossl *o)
{
	uintptr_t call = once_per_handshake_call(o, done_fn);

	if (call)
		return call;
	return in_grandchild(reach_entry, o) ? probe_point(done_fn) : 0;
}
#else
static uintptr_t done_probe_point(const struct ossl *o)
{
	(void)o;
	return 0; /* the traps read x86-64's registers */
}
#endif

/*
 * Everything a uprobe at the end of each handshake needs, from the two done:
 * the function that ends a handshake (the info callback's caller at
 * SSL_CB_HANDSHAKE_DONE, tls_finish_handshake()), where in it the uprobe
 * goes, and where the version and the secrets of both versions sit. Any
 * failure leaves the per-secret hook.
 */
int find_handshake_done(const struct ossl *o, const struct pair pairs[2], int tls12_first)
{
	uintptr_t at;

	if (!done_fn || done_fns_differ || !in_library_of(done_fn, (const void *)o->SSL_new))
		return probe_fail("no one function of its own ends every handshake");
	if (find_version(pairs) || find_tls13_block(o, &pairs[0], tls12_first) ||
	    find_master_key(&pairs[1], tls12_first, n_logged))
		return -1;
	at = done_probe_point(o);
	if (!at)
		return probe_fail("its handshakes do not end through the function its callback saw");
	return file_offset(at, &result.layout.done_offset);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-secret hook (tls_probe.h): ssl_log_secret(), or nss_keylog_int()
 * where that is a function of its own, and where the SSL object keeps the
 * client random.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "hex.h"
#include "tls.h"
#include "tls_probe_lab.h"

#define MAX_CANDIDATES 8
#define PROBE_LABEL    "ECAP_TLS_PROBE"

typedef void (*log_secret_fn)(void *ssl, const char *label, const uint8_t *secret, size_t len);
typedef int (*keylog_line_fn)(const char *label, void *ssl, const uint8_t *random,
			      size_t random_len, const uint8_t *secret, size_t len);

/*
 * The one place where the client random sits in all four SSL objects; one in
 * the object itself beats any reached through a pointer (a pointer back to
 * the object reaches it too).
 */
int find_client_random(struct pair pairs[2], const uint8_t randoms[2][RANDOM_SIZE])
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

/* A call of a candidate for the @hook function, and the line it must log. */
struct candidate_call {
	enum tls_hook hook;
	uintptr_t candidate;
	void *ssl;
	const uint8_t *random;
	uint8_t secret[48];
	char want[256];
};

static void call_candidate(const void *arg)
{
	const struct candidate_call *c = arg;

	n_logged = 0;
	if (c->hook == TLS_HOOK_LOG_SECRET)
		((log_secret_fn)c->candidate)(c->ssl, PROBE_LABEL, c->secret, sizeof(c->secret));
	else
		((keylog_line_fn)c->candidate)(PROBE_LABEL, c->ssl, c->random, RANDOM_SIZE,
					       c->secret, sizeof(c->secret));
	_exit(n_logged == 1 && !strcmp(logged[0].line, c->want) ? 0 : 1);
}

/*
 * Calls @candidate as the @hook function (ssl_log_secret or nss_keylog_int)
 * with a made-up label and secret, in a grandchild (a wrong candidate may
 * crash), and checks that exactly that line comes back through the key-log
 * callback.
 */
static bool behaves_as(enum tls_hook hook, uintptr_t candidate, void *ssl, const uint8_t *random)
{
	struct candidate_call c = { hook, candidate, ssl, random };
	char rhex[2 * RANDOM_SIZE + 1], shex[2 * sizeof(c.secret) + 1];

	for (size_t i = 0; i < sizeof(c.secret); i++)
		c.secret[i] = 0xa5 ^ (uint8_t)(i * 29);
	*hex_put(rhex, random, RANDOM_SIZE) = '\0';
	*hex_put(shex, c.secret, sizeof(c.secret)) = '\0';
	snprintf(c.want, sizeof(c.want), PROBE_LABEL " %s %s", rhex, shex);
	return in_grandchild(call_candidate, &c);
}

/* The one candidate on the path of every line logged since @first that behaves as ssl_log_secret. */
uintptr_t find_log_secret(int first, const void *ssl_sym, void *ssl, const uint8_t *random)
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

static void on_trap(int sig)
{
	(void)sig;
	_exit(0);
}

/* An ssl_log_secret() call, without a key-log callback, that must reach a trap. */
struct secret_without_callback {
	const struct ossl *o;
	void *ctx, *ssl;
	uintptr_t log_secret, maker;
};

static void log_without_callback(const void *arg)
{
	const struct secret_without_callback *c = arg;
	uint8_t secret[48] = { 0 }, saved[TRAP_LEN];

	c->o->SSL_CTX_set_keylog_callback(c->ctx, NULL);
	signal(SIGILL, on_trap);
	if (plant_trap(c->maker, saved))
		_exit(1);
	((log_secret_fn)c->log_secret)(c->ssl, PROBE_LABEL, secret, sizeof(secret));
}

/*
 * Whether ssl_log_secret reaches @maker when no key-log callback is set, as
 * in the processes we capture. A compiler may test for the callback before
 * the call (1.1.1's nss_keylog_int is split so): then the experiment above
 * saw @maker only because the probe had set one. Answered in a grandchild
 * whose copy of @maker starts with a trap; where code cannot be made
 * writable, the answer is no.
 */
static bool reached_without_callback(const struct ossl *o, void *ctx, void *ssl,
				     uintptr_t log_secret, uintptr_t maker)
{
	struct secret_without_callback c = { o, ctx, ssl, log_secret, maker };

	return in_grandchild(log_without_callback, &c);
}

/*
 * The function that called the callback with every line logged so far, if it
 * is one of the library's own, not ssl_log_secret itself, behaves as
 * nss_keylog_int and runs without a callback too; 0 otherwise.
 */
uintptr_t find_line_maker(const struct ossl *o, const struct pair *p, uintptr_t log_secret,
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

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The probe's child (tls_probe.h): gives up privileges, loads the library,
 * runs the handshakes of the lab (tls_probe_lab.h) and the two hook searches
 * on them, and writes the result to its parent.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/types.h>
#include "tls.h"
#include "tls_probe.h"
#include "tls_probe_lab.h"

/* From OpenSSL's public headers, stable since 1.1.0. */
#define OPENSSL_VERSION 0

#define NOBODY 65534

/*
 * The uprobe per secret: on the one function that every secret of both
 * handshakes, TLS 1.3's five and TLS 1.2's one, passed through.
 */
static int find_per_secret_hook(const struct ossl *o, const struct pair *tls13,
				const uint8_t *random)
{
	struct tls_layout *layout = &result.layout;
	uintptr_t log_secret, maker;

	log_secret = find_log_secret(0, (const void *)o->SSL_new, tls13->client, random);
	if (!log_secret)
		return -1;
	maker = find_line_maker(o, tls13, log_secret, random);
	layout->hook = maker ? TLS_HOOK_KEYLOG_LINE : TLS_HOOK_LOG_SECRET;
	if (file_offset(log_secret, &layout->log_secret_offset) ||
	    file_offset(probe_point(maker ? maker : log_secret), &layout->hook_offset))
		return -1;
	return 0;
}

/*
 * The uprobe per handshake where it can be placed, unless @per_secret; else
 * per secret. The objects are left to the child's exit.
 */
static int run_probe(void *ssl_lib, void *crypto_lib, bool per_secret)
{
	struct tls_layout *layout = &result.layout;
	uint8_t randoms[2][RANDOM_SIZE];
	struct pair pairs[2];
	struct ossl o;
	int tls12_first;

	if (resolve(ssl_lib, crypto_lib, &o))
		return -1;
	probed_sym = (const void *)o.SSL_new;
	snprintf(layout->version, sizeof(layout->version), "%s",
		 o.OpenSSL_version(OPENSSL_VERSION));

	/* A TLS 1.3 handshake, then TLS 1.2's from fresh objects. */
	if (handshake(&o, &pairs[0], 0) || logged_random(0, randoms[0]))
		return -1;
	tls12_first = n_logged;
	if (handshake(&o, &pairs[1], TLS1_2_VERSION) || logged_random(tls12_first, randoms[1]) ||
	    find_client_random(pairs, (const uint8_t(*)[RANDOM_SIZE])randoms))
		return -1;
	if (per_secret)
		snprintf(layout->no_done_why, sizeof(layout->no_done_why), "not looked for");
	else if (find_handshake_done(&o, pairs, tls12_first))
		snprintf(layout->no_done_why, sizeof(layout->no_done_why), "%s", result.err);
	else
		return 0;
	layout->done_offset = 0;
	return find_per_secret_hook(&o, &pairs[0], randoms[0]);
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

void tls_probe_child(int out, int ssl_fd, int crypto_fd, bool per_secret)
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
			result.ok = !run_probe(ssl_lib, crypto_lib ? crypto_lib : ssl_lib, per_secret);
	}
	if (write(out, &result, sizeof(result)) != sizeof(result))
		_exit(2);
	_exit(0);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "build_id.h"
#include "tls_ahead.h"
#include "tls_libs.h"
#include "tls_probe.h"

#define MAX_AHEAD 32

struct tls_ahead {
	pthread_t thread;
	bool per_secret;
	GHashTable *layouts; /* build ID -> struct tls_layout */
	struct tls_probe_job jobs[MAX_AHEAD];
	char ids[MAX_AHEAD][2 * BUILD_ID_MAX + 1];
	bool running[MAX_AHEAD];
	int started, n_running;
};

static void finish_job(struct tls_ahead *a, int i)
{
	struct tls_layout layout;
	char err[256];

	a->running[i] = false;
	a->n_running--;
	if (!tls_probe_finish(&a->jobs[i], &layout, err, sizeof(err)))
		g_hash_table_insert(a->layouts, g_strdup(a->ids[i]),
				    g_memdup2(&layout, sizeof(layout)));
}

/* Finishes the first running probe to answer, whichever it is. */
static void finish_one(struct tls_ahead *a)
{
	struct pollfd pfds[MAX_AHEAD];
	int idx[MAX_AHEAD], n = 0, ready = 0;

	for (int i = 0; i < a->started; i++) {
		if (a->running[i]) {
			pfds[n] = (struct pollfd){ .fd = a->jobs[i].fd, .events = POLLIN };
			idx[n++] = i;
		}
	}
	/* With none ready in a second, the oldest: tls_probe_finish() has its own time-out. */
	if (poll(pfds, (nfds_t)n, 1000) > 0) {
		while (ready < n - 1 && !pfds[ready].revents)
			ready++;
	}
	finish_job(a, idx[ready]);
}

static bool build_started(const struct tls_ahead *a, const char *id)
{
	for (int i = 0; i < a->started; i++) {
		if (!strcmp(a->ids[i], id))
			return true;
	}
	return false;
}

/* Probes the libssl at @path, loaded with @crypto, unless its build is under way. */
static void start_job(struct tls_ahead *a, const char *path, const char *crypto)
{
	char *id = a->ids[a->started], err[256];
	int ssl_fd = tls_libs_open(path), crypto_fd;

	if (ssl_fd < 0)
		return;
	if (!build_id_hex(ssl_fd, id) && id[0] && !build_started(a, id)) {
		crypto_fd = tls_libs_open(crypto);
		if (!tls_probe_start(ssl_fd, crypto_fd, NULL, a->per_secret, &a->jobs[a->started],
				     err, sizeof(err))) {
			a->running[a->started++] = true;
			a->n_running++;
		}
		if (crypto_fd >= 0)
			close(crypto_fd);
	}
	close(ssl_fd);
}

static void *probe_ahead(void *arg)
{
	struct tls_ahead *a = arg;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	DIR *proc = opendir("/proc");
	struct dirent *d;

	while (proc && (d = readdir(proc)) && a->started < MAX_AHEAD) {
		int pid = atoi(d->d_name);
		struct tls_libs libs;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (!tls_libs_read(pid, &libs) && tls_libs_loadable(&libs) &&
		    !tls_libs_other_root(pid, &libs)) {
			for (guint i = 0; i < libs.libssl->len && a->started < MAX_AHEAD; i++) {
				if (a->n_running >= cpus)
					finish_one(a);
				start_job(a, g_ptr_array_index(libs.libssl, i), libs.crypto);
			}
		}
		tls_libs_free(&libs);
	}
	while (a->n_running)
		finish_one(a);
	if (proc)
		closedir(proc);
	return NULL;
}

struct tls_ahead *tls_ahead_start(bool per_secret)
{
	struct tls_ahead *a = g_new0(struct tls_ahead, 1);
	sigset_t all, old;
	int err;

	a->per_secret = per_secret;
	a->layouts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* Signals are the capture's to handle: the thread starts with them all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&a->thread, NULL, probe_ahead, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		g_hash_table_destroy(a->layouts);
		g_free(a);
		return NULL;
	}
	return a;
}

void tls_ahead_finish(struct tls_ahead *a, GHashTable *layouts)
{
	GHashTableIter it;
	gpointer id, layout;

	if (!a)
		return;
	pthread_join(a->thread, NULL);
	g_hash_table_iter_init(&it, a->layouts);
	while (layouts && g_hash_table_iter_next(&it, &id, &layout)) {
		g_hash_table_iter_steal(&it);
		g_hash_table_insert(layouts, id, layout);
	}
	g_hash_table_destroy(a->layouts);
	g_free(a);
}

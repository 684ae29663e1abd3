/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The libraries a process maps that matter for taking its TLS secrets (each
 * libssl, the libcrypto, the dynamic loader and the C library), as paths that
 * we can open: in the process's root (a container's mount namespace), or in
 * ours for a process chrooted within it.
 */
#ifndef ECAP_TLS_LIBS_H
#define ECAP_TLS_LIBS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "tls_probe.h"

struct tls_libs {
	GPtrArray *libssl; /* of paths, each once */
	char crypto[PATH_MAX];
	char loader[PATH_MAX];
	char libc[PATH_MAX];
};

/*
 * Reads /proc/@pid/maps into @libs. Returns 0 or a negative errno; either
 * way, tls_libs_free() frees what it holds.
 */
int tls_libs_read(int pid, struct tls_libs *libs);
void tls_libs_free(struct tls_libs *libs);

/*
 * Whether the probe can load @libs' libssl files: a process caught between
 * the loader's mapping of libssl and of the libcrypto and C library it needs
 * has none for the probe to load them with, nor tells which C library that is.
 */
bool tls_libs_loadable(const struct tls_libs *libs);

/*
 * Whether @pid has a root of its own (a container) whose glibc our probe
 * helper can run with: its libraries are probed there (tls_probe.h).
 */
bool tls_libs_other_root(int pid, const struct tls_libs *libs);

/* Opens what the probe helper needs in @libs' root for the libssl at @ssl_path. */
int tls_libs_open_root(const struct tls_libs *libs, const char *ssl_path,
		       struct tls_probe_root *root);
void tls_libs_close_root(struct tls_probe_root *root);

/* Opens @path to read; -1 for NULL or "". */
int tls_libs_open(const char *path);

/* The libcrypto file beside the libssl at @ssl_path, in @buf; NULL if none. */
const char *tls_libs_sibling_crypto(const char *ssl_path, char *buf, size_t size);

#endif

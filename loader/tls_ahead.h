/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Probing ahead: at start-up, while the capture loads its eBPF programs, a
 * thread probes the libssl builds that processes of our root map, side by
 * side, as many at once as there are CPUs (each probe takes ~40 ms of CPU in
 * a child of its own). The scan that follows finds their layouts by build
 * ID. A library without one, of another root (probed with that root's C
 * library), or whose probe failed is left to the scan, which probes it again
 * and says why it is skipped.
 */
#ifndef ECAP_TLS_AHEAD_H
#define ECAP_TLS_AHEAD_H

#include <stdbool.h>
#include <glib.h>

struct tls_ahead;

/* Starts the thread; NULL where it cannot (the scan then probes every build). */
struct tls_ahead *tls_ahead_start(bool per_secret);

/*
 * Waits for the thread and moves the layouts it established into @layouts
 * (build ID -> struct tls_layout; NULL: drops them), then frees @ahead.
 * NULL is fine.
 */
void tls_ahead_finish(struct tls_ahead *ahead, GHashTable *layouts);

#endif

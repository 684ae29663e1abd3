/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keeps the thread that reads the packet rings on the CPUs that fill them,
 * while they fill fast, once it has been read late. The kernel wakes the
 * reader from the filling CPU and the scheduler runs it on an idle one: the
 * better place, since the filling CPU may be saturated by the very traffic
 * the reader would slow (UDP as fast as one CPU sends: 0.96 of tcpdump's
 * traffic on the filling CPU, 1.00 elsewhere; bench/where-the-time-goes.md,
 * session 33). But a virtual machine's host may keep an idle vCPU stopped
 * for ~100 ms, longer than a busy ring lasts (session 23). Once a ring has
 * taken half of itself between two reads, the reader follows the rings that
 * fill fast: there the wake-up stays local, as a socket's wakes tcpdump, and
 * the records are still in that CPU's caches. It moves at once after a late
 * read, not at the end of the window: the next stall may come before then.
 */
#ifndef ECAP_READER_CPUS_H
#define ECAP_READER_CPUS_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

struct reader_cpus {
	cpu_set_t *allowed; /* the affinity we started with: the user's */
	cpu_set_t *chosen;  /* where the reader runs now */
	cpu_set_t *wanted;  /* where it should, by the last window */
	size_t set_size;
	uint64_t *filled; /* bytes per CPU ring since window_start */
	uint64_t window_start;
	uint64_t busy_bytes; /* what a ring takes in a window when it fills fast */
	uint64_t late_bytes; /* what a ring takes between two reads when it is read late */
	bool follows;	     /* a ring was read late: the reader follows those that fill fast */
	bool late;	     /* a ring was read late since the last update */
	int ncpus;
};

/* For @ncpus rings of @ring_size bytes each; the reader is the calling thread. */
int reader_cpus_init(struct reader_cpus *rc, int ncpus, uint64_t ring_size);

/* @bytes more went into one of @cpu's rings since the read before. */
static inline void reader_cpus_filled(struct reader_cpus *rc, int cpu, uint64_t bytes)
{
	rc->filled[cpu] += bytes;
	if (bytes >= rc->late_bytes)
		rc->late = true;
}

/*
 * At the end of a window (@now: monotonic ns), or at once after a late read,
 * moves a reader that follows the rings if their busy CPUs changed.
 */
void reader_cpus_update(struct reader_cpus *rc, uint64_t now);

/* The calling thread back where it started. */
void reader_cpus_free(struct reader_cpus *rc);

#endif

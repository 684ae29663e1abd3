/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keeps the thread that reads the packet rings on the CPUs that fill them,
 * while they fill fast. The kernel wakes the reader from the filling CPU;
 * left to itself, the scheduler runs it on an idle CPU instead, and a
 * virtual machine's idle vCPU may take ~100 ms to run it, longer than a busy
 * ring lasts (bench/where-the-time-goes.md, session 24). On the filling CPU
 * the wake-up stays local, as a socket's wakes tcpdump, and the records are
 * still in that CPU's caches.
 */
#ifndef ECAP_READER_CPUS_H
#define ECAP_READER_CPUS_H

#include <sched.h>
#include <stdint.h>

struct reader_cpus {
	cpu_set_t *allowed; /* the affinity we started with: the user's */
	cpu_set_t *chosen;  /* where the reader runs now */
	cpu_set_t *wanted;  /* where it should, by the last window */
	size_t set_size;
	uint64_t *filled; /* bytes per CPU ring since window_start */
	uint64_t window_start;
	uint64_t busy_bytes; /* what a ring takes in a window when it fills fast */
	int ncpus;
};

/* For @ncpus rings of @ring_size bytes each; the reader is the calling thread. */
int reader_cpus_init(struct reader_cpus *rc, int ncpus, uint64_t ring_size);

/* @bytes more went into @cpu's ring. */
static inline void reader_cpus_filled(struct reader_cpus *rc, int cpu, uint64_t bytes)
{
	rc->filled[cpu] += bytes;
}

/* At the end of a window (@now: monotonic ns), moves the reader if its busy CPUs changed. */
void reader_cpus_update(struct reader_cpus *rc, uint64_t now);

/* The calling thread back where it started. */
void reader_cpus_free(struct reader_cpus *rc);

#endif

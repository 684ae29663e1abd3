// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "reader_cpus.h"

/* Long enough to see where the traffic is, short next to a ring's life under load. */
#define WINDOW_NS (100 * 1000 * 1000ULL)

/*
 * A ring that takes this share of itself in a window would not outlast twice
 * the longest stalls seen (~100 ms). Below that the reader stays where the
 * scheduler puts it: on the busy CPU it cost ecap-tls ~40% more CPU a packet
 * at 100000 packets/s (bench/where-the-time-goes.md, session 24).
 */
#define FAST_FILL 2

/*
 * A ring that takes this share of itself between two reads was read late:
 * a stall twice as long would lose packets. Where the scheduler put it, the
 * reader kept up with UDP at 600000 packets/s on an Intel guest (a quarter
 * of a ring at most); an AMD guest stopped its idle vCPUs for ~100 ms.
 */
#define LATE_FILL 2

/*
 * A ring that takes less than this share of the busiest one's bytes is
 * quiet, as a TCP receiver's acknowledgements can be next to its sender's
 * segments. When every ring is busy, the scheduler places the reader.
 */
#define BUSY_SHARE 8

int reader_cpus_init(struct reader_cpus *rc, int ncpus, uint64_t ring_size)
{
	*rc = (struct reader_cpus){ .ncpus = ncpus, .busy_bytes = ring_size / FAST_FILL,
				  .late_bytes = ring_size / LATE_FILL };
	rc->set_size = CPU_ALLOC_SIZE(ncpus);
	rc->allowed = CPU_ALLOC(ncpus);
	rc->chosen = CPU_ALLOC(ncpus);
	rc->wanted = CPU_ALLOC(ncpus);
	rc->filled = calloc(ncpus, sizeof(*rc->filled));
	if (!rc->allowed || !rc->chosen || !rc->wanted || !rc->filled) {
		reader_cpus_free(rc);
		return -ENOMEM;
	}
	if (sched_getaffinity(0, rc->set_size, rc->allowed)) {
		int err = -errno;

		reader_cpus_free(rc);
		return err;
	}
	memcpy(rc->chosen, rc->allowed, rc->set_size);
	return 0;
}

/* The allowed CPUs whose rings filled with at least a busy share of the busiest's bytes. */
static void busy_cpus(const struct reader_cpus *rc, cpu_set_t *busy)
{
	uint64_t most = 0;

	for (int cpu = 0; cpu < rc->ncpus; cpu++)
		if (CPU_ISSET_S(cpu, rc->set_size, rc->allowed) && rc->filled[cpu] > most)
			most = rc->filled[cpu];
	if (most < rc->busy_bytes) {
		memcpy(busy, rc->allowed, rc->set_size);
		return;
	}
	CPU_ZERO_S(rc->set_size, busy);
	for (int cpu = 0; cpu < rc->ncpus; cpu++)
		if (CPU_ISSET_S(cpu, rc->set_size, rc->allowed) &&
		    rc->filled[cpu] * BUSY_SHARE >= most)
			CPU_SET_S(cpu, rc->set_size, busy);
}

static void move_to(struct reader_cpus *rc, const cpu_set_t *cpus)
{
	if (CPU_EQUAL_S(rc->set_size, cpus, rc->chosen))
		return;
	if (sched_setaffinity(0, rc->set_size, cpus)) {
		log_debug("cannot move the packet reader to the CPUs that fill its rings: %s",
			  strerror(errno));
		return;
	}
	memcpy(rc->chosen, cpus, rc->set_size);
}

void reader_cpus_update(struct reader_cpus *rc, uint64_t now)
{
	if (now - rc->window_start < WINDOW_NS && !rc->late)
		return;
	rc->follows |= rc->late;
	rc->late = false;
	if (rc->follows) {
		busy_cpus(rc, rc->wanted);
		move_to(rc, rc->wanted);
	}
	memset(rc->filled, 0, rc->ncpus * sizeof(*rc->filled));
	rc->window_start = now;
}

void reader_cpus_free(struct reader_cpus *rc)
{
	if (rc->allowed && rc->chosen && !CPU_EQUAL_S(rc->set_size, rc->allowed, rc->chosen))
		sched_setaffinity(0, rc->set_size, rc->allowed);
	if (rc->allowed)
		CPU_FREE(rc->allowed);
	if (rc->chosen)
		CPU_FREE(rc->chosen);
	if (rc->wanted)
		CPU_FREE(rc->wanted);
	free(rc->filled);
	*rc = (struct reader_cpus){ 0 };
}

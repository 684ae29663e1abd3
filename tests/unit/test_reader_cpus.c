// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader/reader_cpus.c moving this very thread: nowhere until a ring has
 * been read late, however fast it fills; then at once to that ring's CPU;
 * then nowhere while the rings are quiet or the window is still open (unless
 * a ring is read late again), to the one CPU whose ring filled, to both when
 * the other had an eighth of its bytes or more, and back where it started
 * when the traffic stops and when it is freed.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include "check.h"
#include "reader_cpus.h"

#define RING   (4 << 20)
#define BUSY   (RING / 2) /* reader_cpus.c's fast fill */
#define LATE   (RING / 2) /* reader_cpus.c's late fill */
#define READS  8	  /* a window's bytes come in this many reads, none of them late */
#define WINDOW (100 * 1000 * 1000ULL) /* reader_cpus.c's */

static int ncpus;
static cpu_set_t started;

/* Whether this thread may run on exactly @a and @b (the same CPU twice: on it alone). */
static bool runs_on(int a, int b)
{
	cpu_set_t now, want;

	CPU_ZERO(&want);
	CPU_SET(a, &want);
	CPU_SET(b, &want);
	return !sched_getaffinity(0, sizeof(now), &now) && CPU_EQUAL(&now, &want);
}

static bool runs_where_started(void)
{
	cpu_set_t now;

	return !sched_getaffinity(0, sizeof(now), &now) && CPU_EQUAL(&now, &started);
}

/* One window in which CPU @a's ring took @bytes_a and @b's @bytes_b, read in time. */
static void window(struct reader_cpus *rc, uint64_t *now, int a, uint64_t bytes_a, int b,
		   uint64_t bytes_b)
{
	for (int i = 0; i < READS; i++) {
		reader_cpus_filled(rc, a, bytes_a / READS + (i == 0 ? bytes_a % READS : 0));
		reader_cpus_filled(rc, b, bytes_b / READS + (i == 0 ? bytes_b % READS : 0));
	}
	*now += WINDOW;
	reader_cpus_update(rc, *now);
}

static void test_follows_the_filling_rings(int a, int b)
{
	struct reader_cpus rc;
	uint64_t now = 0;

	CHECK(!reader_cpus_init(&rc, ncpus, RING), "init");
	window(&rc, &now, a, 0, b, 2 * BUSY);
	CHECK(runs_where_started(), "a busy ring read in time moves nothing");
	reader_cpus_filled(&rc, b, LATE - 1);
	window(&rc, &now, a, 0, b, BUSY);
	CHECK(runs_where_started(), "nor one read a byte short of late");
	reader_cpus_filled(&rc, a, LATE);
	reader_cpus_update(&rc, ++now);
	CHECK(runs_on(a, a), "one read late takes the reader to its CPU %d at once", a);

	window(&rc, &now, a, 0, b, BUSY - 1);
	CHECK(runs_where_started(), "a quiet ring moves nothing");

	window(&rc, &now, a, 0, b, BUSY);
	CHECK(runs_on(b, b), "a busy ring of CPU %d takes the reader there", b);

	for (int i = 0; i < 10; i++)
		reader_cpus_filled(&rc, a, LATE - 1);
	reader_cpus_update(&rc, now + WINDOW - 1);
	CHECK(runs_on(b, b), "nothing moves before the window ends");
	now += WINDOW;
	reader_cpus_update(&rc, now);
	CHECK(runs_on(a, a), "then to CPU %d, which filled now", a);

	reader_cpus_filled(&rc, b, LATE);
	reader_cpus_update(&rc, ++now);
	CHECK(runs_on(b, b), "a read late ends the window: to CPU %d at once", b);

	window(&rc, &now, a, BUSY / 8, b, BUSY);
	CHECK(runs_on(a, b), "an eighth of the busiest ring's bytes is busy too");
	window(&rc, &now, a, BUSY / 8 - 8, b, BUSY);
	CHECK(runs_on(b, b), "less is quiet");

	window(&rc, &now, a, 0, b, 0);
	CHECK(runs_where_started(), "no traffic, no restriction");

	window(&rc, &now, a, BUSY, b, 0);
	reader_cpus_free(&rc);
	CHECK(runs_where_started(), "freed, back where it started");
}

int main(void)
{
	int a = -1, b = -1;

	ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	CHECK(!sched_getaffinity(0, sizeof(started), &started), "sched_getaffinity");
	for (int cpu = 0; cpu < ncpus && cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &started))
			continue;
		if (a < 0)
			a = cpu;
		else if (b < 0)
			b = cpu;
	}
	if (b < 0) {
		fprintf(stderr, "one CPU only: nothing to move between\n");
		return check_summary("reader_cpus");
	}
	test_follows_the_filling_rings(a, b);
	return check_summary("reader_cpus");
}

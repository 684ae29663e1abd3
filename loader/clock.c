// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "clock.h"

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + ts->tv_nsec;
}

uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return timespec_ns(&ts);
}

/* The wall clock read between two monotonic reads; the tightest of a few tries wins. */
int64_t clock_mono_to_real(void)
{
	uint64_t best = UINT64_MAX;
	int64_t offset = 0;

	for (int i = 0; i < 5; i++) {
		struct timespec m1, r, m2;

		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		if (timespec_ns(&m2) - timespec_ns(&m1) < best) {
			best = timespec_ns(&m2) - timespec_ns(&m1);
			offset = (int64_t)(timespec_ns(&r) - (timespec_ns(&m1) + timespec_ns(&m2)) / 2);
		}
	}
	return offset;
}

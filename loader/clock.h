/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel stamps events with CLOCK_MONOTONIC; pcapng wants wall-clock time. */
#ifndef ECAP_CLOCK_H
#define ECAP_CLOCK_H

#include <stdint.h>
#include <time.h>

uint64_t clock_ns(clockid_t clock);

/* What to add to a CLOCK_MONOTONIC time to get CLOCK_REALTIME, to well under a microsecond. */
int64_t clock_mono_to_real(void);

#endif

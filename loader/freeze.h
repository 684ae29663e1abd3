/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Holding a process still for the few milliseconds it takes to hook a library
 * it has just mapped, so that its first handshake cannot outrun us. ptrace's
 * seize and interrupt, unlike SIGSTOP, are invisible to the process, its
 * parent and its terminal; a process we may not trace just runs on.
 */
#ifndef ECAP_FREEZE_H
#define ECAP_FREEZE_H

#include <sys/types.h>

struct frozen {
	pid_t *tids;
	int n;
};

/* Stops every thread of @pid that can be stopped. Never fails; @f says which. */
void freeze(pid_t pid, struct frozen *f);

/* Lets them run on. */
void thaw(struct frozen *f);

#endif

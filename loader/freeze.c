// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "freeze.h"

/* Seizes and interrupts one thread, and waits until it has stopped. */
static int stop_thread(pid_t tid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0))
		return -1;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) || waitpid(tid, &status, __WALL) != tid) {
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return -1;
	}
	return 0;
}

void freeze(pid_t pid, struct frozen *f)
{
	char path[64];
	struct dirent *d;
	DIR *tasks;
	int cap = 0;

	f->tids = NULL;
	f->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	tasks = opendir(path);
	while (tasks && (d = readdir(tasks))) {
		pid_t tid;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		tid = atoi(d->d_name);
		if (f->n == cap) {
			pid_t *tids = realloc(f->tids, (cap = cap ? 2 * cap : 8) * sizeof(*tids));

			if (!tids)
				break;
			f->tids = tids;
		}
		if (!stop_thread(tid))
			f->tids[f->n++] = tid;
	}
	if (tasks)
		closedir(tasks);
}

void thaw(struct frozen *f)
{
	for (int i = 0; i < f->n; i++)
		ptrace(PTRACE_DETACH, f->tids[i], 0, 0);
	free(f->tids);
	f->tids = NULL;
	f->n = 0;
}

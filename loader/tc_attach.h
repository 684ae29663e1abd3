/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attaching a TC program to one hook of one interface, and removing exactly
 * what was attached: a tcx link (Linux 6.6+), which the kernel removes itself
 * when our process dies, or else a cls_bpf filter on a clsact qdisc.
 */
#ifndef ECAP_TC_ATTACH_H
#define ECAP_TC_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

/* Where to stop looking for a free clsact filter priority. */
#define MAX_CLSACT_PRIORITY 64

/* A clsact filter of ours always has this handle: the first of its own priority. */
#define CLSACT_HANDLE 1

enum attach_mode {
	ATTACH_AUTO,   /* tcx where the kernel has it, else clsact */
	ATTACH_TCX,    /* kernel-owned tcx links */
	ATTACH_CLSACT, /* cls_bpf filters on a clsact qdisc */
};

struct tc_hook {
	int ifindex;
	bool egress;
	enum attach_mode mode; /* what was used: ATTACH_TCX or ATTACH_CLSACT */
	int link_fd;	       /* tcx */
	uint32_t handle;       /* clsact */
	uint32_t priority;     /* clsact */
	bool created_qdisc;    /* clsact: we created it, so we remove it */
};

/* Attaches @prog_fd; fills @hook. Returns 0 or a negative errno. */
int tc_attach(int prog_fd, int ifindex, bool egress, enum attach_mode mode, struct tc_hook *hook);

/* Removes what tc_attach() attached; a hook that was never attached is fine. */
void tc_detach(struct tc_hook *hook);

#endif

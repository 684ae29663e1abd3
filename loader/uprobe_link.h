/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uprobes for a capture without CAP_SYS_ADMIN. Recent kernels (6.18 measured)
 * ask for CAP_SYS_ADMIN to make a uprobe through perf's uprobe PMU, as libbpf
 * 1.1 does; a uprobe_multi link (Linux 6.6 and later) asks only for what
 * loading the program took, CAP_BPF and CAP_PERFMON. libbpf 1.1 cannot make
 * one yet.
 */
#ifndef ECAP_UPROBE_LINK_H
#define ECAP_UPROBE_LINK_H

#include <stdbool.h>
#include <stdint.h>

/* The expected attach type a program needs before load to be attached here. */
#define UPROBE_LINK_ATTACH_TYPE 48 /* BPF_TRACE_UPROBE_MULTI */

/* Whether uprobes must go through uprobe_multi links: we lack CAP_SYS_ADMIN. */
bool uprobe_link_needed(void);

/*
 * Attaches @prog_fd at @offset in the file at @path, or at the entry of its
 * function @func if not NULL; bpf_get_attach_cookie() gives @cookie. Returns
 * the link's descriptor, or a negative errno.
 */
int uprobe_link_attach(int prog_fd, const char *path, uint64_t offset, const char *func,
		       uint64_t cookie);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a capture killed by SIGKILL leaves in the kernel, and its removal.
 *
 * tcx links, uprobes, tracing programs and cgroup links belong to their
 * process and vanish with it. A cls_bpf filter on a clsact qdisc (--attach
 * clsact, or kernels without tcx) does not: it keeps its program running
 * until someone removes it. Ours are told apart by program name, dead ones
 * by no process holding the program open (a running capture holds its
 * programs until it has detached them), so a capture running beside us is
 * never touched, nor is anyone else's filter. A clsact qdisc the dead run
 * created stays: nothing tells it from another's, and empty it costs nothing.
 */
#ifndef ECAP_LEFTOVERS_H
#define ECAP_LEFTOVERS_H

/*
 * Removes the TC filters of dead captures from the interfaces of the current
 * network namespace, each named in a warning. Returns how many, or a negative
 * errno (-EPERM: not allowed to list the kernel's programs).
 */
int leftovers_remove(void);

#endif

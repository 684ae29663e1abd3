/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TCP and UDP sockets open before the capture, and the process that holds
 * each, from /proc: the cgroup hooks only see sockets from the moment they
 * are attached, and a long-lived connection must be attributed too.
 */
#ifndef ECAP_PROC_SOCKETS_H
#define ECAP_PROC_SOCKETS_H

#include "proc_parse.h"

struct proc_socket {
	struct proc_net_sock sock;
	int family;   /* AF_INET or AF_INET6 */
	int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	int pid;      /* the first process found holding it */
};

/*
 * Calls @fn for every socket of /proc/net/{tcp,tcp6,udp,udp6} of this network
 * namespace that a process holds open. Files it cannot read are skipped: a
 * process may exit meanwhile, and a kernel may lack IPv6.
 */
void proc_sockets_each(void (*fn)(const struct proc_socket *s, void *ctx), void *ctx);

#endif

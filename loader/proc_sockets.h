/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The TCP and UDP sockets open before the capture, and the process that holds
 * each: the cgroup hooks only see sockets from the moment they are attached,
 * and a long-lived connection must be attributed too. The kernel lists the
 * sockets (sock_diag, as ss does); /proc/PID/fd says who holds them.
 */
#ifndef ECAP_PROC_SOCKETS_H
#define ECAP_PROC_SOCKETS_H

#include <stdint.h>

struct proc_socket {
	uint8_t laddr[16]; /* as the kernel holds it: network order, IPv4 in 4 bytes */
	uint8_t raddr[16];
	uint16_t lport; /* host order */
	uint16_t rport;
	uint32_t uid;
	int family;   /* AF_INET or AF_INET6 */
	int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	int pid;      /* the first process found holding it */
};

/*
 * Calls @fn for every TCP and UDP socket of this network namespace that a
 * process holds open. What cannot be listed is skipped: a process may exit
 * meanwhile, and a kernel may lack IPv6.
 */
void proc_sockets_each(void (*fn)(const struct proc_socket *s, void *ctx), void *ctx);

#endif

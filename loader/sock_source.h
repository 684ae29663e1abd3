/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process attribution: which process owns the socket of each packet. The
 * kernel reports sockets as processes use them (bpf/sockets.bpf.c); sockets
 * that were open before the capture come from /proc. A packet is matched by
 * its socket cookie where TC knows it (egress), else by its addresses and
 * ports in this network namespace.
 */
#ifndef ECAP_SOCK_SOURCE_H
#define ECAP_SOCK_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include "owner_filter.h"
#include "packet_source.h"
#include "pkt_tuple.h"

struct sock_source;

struct owner {
	uint32_t pid;
	uint32_t tid; /* 0: unknown */
	uint32_t uid;
	char comm[16];
	const char *exe;       /* NULL: unknown */
	const char *cgroup;    /* cgroup v2 path, NULL: unknown */
	const char *container; /* container id found in the cgroup path, NULL: none */
	/*
	 * Where the caller may keep something it made for this owner (a g_malloc'ed
	 * string, freed with the owner): its packets then need it made only once.
	 * Once it is set, exe, cgroup and container are left NULL.
	 */
	char **note;
};

/*
 * Loads and attaches the socket hooks with the process filter @filter (NULL:
 * none), and reads the sockets open now. Returns 0 or a negative errno.
 */
int sock_source_open(struct sock_source **src, const struct owner_filter *filter);

/* The socket-owner maps, for the objects that filter on them. */
void sock_source_maps(const struct sock_source *src, struct owner_maps *maps);

/* Readable when the kernel has events for us; for epoll. */
int sock_source_fd(const struct sock_source *src);

/* Takes in what the kernel reported. Returns 0 or a negative errno. */
int sock_source_consume(struct sock_source *src);

/*
 * The owner of @pkt, or NULL; @t is its parsed addresses, NULL where it has
 * none (not TCP or UDP). What it points to stays valid until the next
 * sock_source_consume().
 */
const struct owner *sock_source_owner(struct sock_source *src, const struct packet *pkt,
				      const struct pkt_tuple *t);

/* Detaches everything and frees; NULL is fine. */
/* Socket events lost in the kernel because the ring was full. */
uint64_t sock_source_lost(const struct sock_source *src);

void sock_source_close(struct sock_source *src);

#endif

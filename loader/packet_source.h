/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The packet half of a capture: loads packets.bpf.c, attaches it to TC on the
 * chosen interfaces, and hands out their packets in timestamp order.
 */
#ifndef ECAP_PACKET_SOURCE_H
#define ECAP_PACKET_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include "netdev.h"
#include "owner_filter.h"
#include "tc_attach.h"

struct packet_source;

struct packet_source_opts {
	const struct netdev *devs;
	int n_devs;
	const char *filter; /* pcap syntax, NULL for none */
	uint32_t snaplen;
	uint32_t ring_kib;
	enum attach_mode attach;
	const struct owner_filter *owner_filter; /* NULL: every process */
	const struct owner_maps *owner_maps;	 /* NULL: no attribution */
};

struct packet {
	uint64_t ts_ns; /* wall clock, ns since the epoch */
	uint64_t sock_cookie;
	int dev;	/* index into packet_source_opts.devs */
	uint32_t len;
	uint32_t cap_len;
	uint8_t dir; /* enum pkt_dir */
	const uint8_t *data;
};

struct packet_counts {
	uint64_t seen;	   /* reached the hook */
	uint64_t accepted; /* passed the capture filter */
	uint64_t lost;	   /* accepted, but no room in the ring buffer */
};

/*
 * Loads and attaches. On failure logs one line naming what failed, detaches
 * whatever was attached and returns a negative errno.
 */
int packet_source_open(struct packet_source **src, const struct packet_source_opts *opts);

/* Readable when the kernel has packets for us; for epoll. */
int packet_source_fd(const struct packet_source *src);

/* Takes in what the kernel has. Returns 0 or a negative errno. */
int packet_source_consume(struct packet_source *src);

/*
 * After writing what may go: copies out what the writer holds of a ring past
 * half full, so that the kernel has room. Returns 0 or -ENOMEM.
 */
int packet_source_spill(struct packet_source *src);

/* A ring has more for us, and no wake-up may come for it: consume before sleeping. */
bool packet_source_due(const struct packet_source *src);

/*
 * The earliest packet taken in, if no event still on its way from another CPU
 * can precede it (@all: for a stop, the earliest regardless). NULL if none,
 * and then the kernel gets back the ring space of the packets passed. The
 * packet and its data (still in the kernel's ring, as a rule) stay valid
 * until packet_source_next(), packet_source_consume() or packet_source_spill().
 */
const struct packet *packet_source_peek(struct packet_source *src, bool all);

/* Done with the packet peek() returned. */
void packet_source_next(struct packet_source *src);

/* Counts since open for devs[@dev], summed over CPUs. */
int packet_source_counts(struct packet_source *src, int dev, struct packet_counts *counts);

/*
 * Takes no more packets: the hooks are detached, so the counts are final and
 * what the rings hold is all there is to read.
 */
void packet_source_stop(struct packet_source *src);

/* Detaches everything and frees; NULL is fine. */
void packet_source_close(struct packet_source *src);

#endif

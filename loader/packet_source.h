/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The packet half of a capture: loads packets.bpf.c, attaches it to TC on the
 * chosen interfaces, and hands out their packets in timestamp order.
 */
#ifndef ECAP_PACKET_SOURCE_H
#define ECAP_PACKET_SOURCE_H

#include <stdint.h>
#include "netdev.h"
#include "tc_attach.h"

struct packet_source;

struct packet_source_opts {
	const struct netdev *devs;
	int n_devs;
	const char *filter; /* pcap syntax, NULL for none */
	uint32_t snaplen;
	uint32_t ring_kib;
	enum attach_mode attach;
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

/* Returns 0 to go on, non-zero to stop handing out packets for now. */
typedef int (*packet_fn)(void *ctx, const struct packet *pkt);

/*
 * Loads and attaches. On failure logs one line naming what failed, detaches
 * whatever was attached and returns a negative errno.
 */
int packet_source_open(struct packet_source **src, const struct packet_source_opts *opts);

/*
 * Waits up to @timeout_ms for packets, then hands to @fn those that no later
 * event can precede. Returns how many it handed out, or a negative errno.
 */
int packet_source_poll(struct packet_source *src, int timeout_ms, packet_fn fn, void *ctx);

/* Hands out every packet still held, for a stop. */
int packet_source_drain(struct packet_source *src, packet_fn fn, void *ctx);

/* Counts since open for devs[@dev], summed over CPUs. */
int packet_source_counts(struct packet_source *src, int dev, struct packet_counts *counts);

/* Detaches everything and frees; NULL is fine. */
void packet_source_close(struct packet_source *src);

#endif

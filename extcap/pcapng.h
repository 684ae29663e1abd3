/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pcapng writer with a small API: open (writes the Section Header Block),
 * add_interface (an Interface Description Block), packets, decryption
 * secrets, interface statistics, flush, close.
 *
 * Blocks are buffered whole and written whole, so the file is valid pcapng at
 * every flush point, whatever happens afterwards.
 *
 * Notes on the implementation (pcapng.c):
 * - Nothing reaches the file until pcapng_flush() or pcapng_close(), or until
 *   the buffer is full (256 KiB; 2 MiB for a file written around the page
 *   cache); a block bigger than it goes out at once, after what is
 *   buffered. Until the first interface is added, pcapng_flush() keeps the
 *   SHB back, because libpcap refuses a section without one; pcapng_close()
 *   writes it anyway. The writer is not thread-safe.
 * - Bad arguments (unknown iface_id, cap_len > len, a string option longer than
 *   65535 bytes, empty secrets) return -EINVAL and leave the writer usable.
 *   A write error (-EPIPE, -ENOSPC, ...) is sticky: every later call returns it.
 * - Empty strings are treated like NULL: the option is left out.
 * - A packet is cut to its interface's snaplen, and to 262144 bytes whatever
 *   the snaplen (0 included), because readers stop at a longer one: libpcap
 *   at cap_len > snaplen, Wireshark 4.0 at cap_len > 262144 for Ethernet and
 *   RAW. len keeps the original size.
 */
#ifndef ECAP_PCAPNG_H
#define ECAP_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>

/* epb_flags direction bits */
#define PCAPNG_EPB_INBOUND  1
#define PCAPNG_EPB_OUTBOUND 2

/* Decryption Secrets Block secrets types */
#define PCAPNG_DSB_TLS_KEYLOG 0x544c534b

/* Statistics left out of the Interface Statistics Block. */
#define PCAPNG_STAT_UNKNOWN UINT64_MAX

struct pcapng_writer;

struct pcapng_iface {
	const char *name;	 /* if_name */
	const char *description; /* if_description, NULL for none */
	const char *filter;	 /* if_filter in pcap syntax, NULL for none */
	uint16_t linktype;
	uint32_t snaplen;
	/* if_tsresol is always nanoseconds */
};

struct pcapng_packet {
	uint32_t iface_id;
	uint64_t ts_ns; /* wall clock, ns since the epoch */
	const void *data;
	uint32_t cap_len;
	uint32_t len;	     /* original length */
	uint32_t flags;	     /* epb_flags, 0 for none */
	const char *comment; /* opt_comment, NULL for none */
};

struct pcapng_iface_stats {
	uint64_t ts_ns;		/* when they were taken */
	uint64_t start_ns;	/* isb_starttime */
	uint64_t end_ns;	/* isb_endtime */
	uint64_t if_recv;	/* isb_ifrecv */
	uint64_t if_drop;	/* isb_ifdrop */
	uint64_t filter_accept; /* isb_filteraccept */
	uint64_t os_drop;	/* isb_osdrop */
	uint64_t usr_deliv;	/* isb_usrdeliv */
	const char *comment;	/* opt_comment, NULL for none: what has no field of its own */
};

/*
 * Creates @path ("-" is standard output; a FIFO is opened for writing) and
 * writes the Section Header Block with shb_userappl @appl. Returns 0 or a
 * negative errno.
 */
int pcapng_open(struct pcapng_writer **w, const char *path, const char *appl);

/* Returns the new interface's id (0, 1, ...) or a negative errno. */
int pcapng_add_interface(struct pcapng_writer *w, const struct pcapng_iface *iface);

int pcapng_write_packet(struct pcapng_writer *w, const struct pcapng_packet *pkt);
int pcapng_write_secrets(struct pcapng_writer *w, uint32_t type, const void *data, uint32_t len);
/* Fields set to PCAPNG_STAT_UNKNOWN are left out. */
int pcapng_write_stats(struct pcapng_writer *w, uint32_t iface_id,
		       const struct pcapng_iface_stats *stats);

/*
 * Writes out every complete block buffered so far. Returns 0 or a negative
 * errno (-EPIPE). To a regular file it opened, the writer's thread writes
 * (direct_out.h): the file has it a disk write later, and always ends with
 * a whole block.
 */
int pcapng_flush(struct pcapng_writer *w);

/* Whether the stream goes to a regular file, not a pipe or a terminal. */
bool pcapng_to_file(const struct pcapng_writer *w);

/* Flushes, and waits until the file has it all. */
int pcapng_sync(struct pcapng_writer *w);

/* Flushes, closes and frees; NULL is fine. Returns 0 or the first error seen. */
int pcapng_close(struct pcapng_writer *w);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pcapng writer (draft-ietf-opsawg-pcapng), host byte order.
 *
 * Every block is built complete in one buffer (its total length is computed
 * first) and only whole blocks are handed to write(2). A reader that sees the
 * stream up to any flush point therefore sees a valid pcapng file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "direct_out.h"
#include "pcapng.h"
#include "write_all.h"
#include "write_behind.h"

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 0x00000001
#define BT_ISB 0x00000005
#define BT_EPB 0x00000006
#define BT_DSB 0x0000000A

#define BYTE_ORDER_MAGIC 0x1A2B3C4D

#define OPT_ENDOFOPT 0
#define OPT_COMMENT  1

#define SHB_HARDWARE 2
#define SHB_OS	     3
#define SHB_USERAPPL 4

#define IF_NAME	       2
#define IF_DESCRIPTION 3
#define IF_TSRESOL     9
#define IF_FILTER      11

#define EPB_FLAGS 2

#define ISB_STARTTIME	 2
#define ISB_ENDTIME	 3
#define ISB_IFRECV	 4
#define ISB_IFDROP	 5
#define ISB_FILTERACCEPT 6
#define ISB_OSDROP	 7
#define ISB_USRDELIV	 8

/* Block type, total length ... total length again. */
#define BLOCK_OVERHEAD 12
/* An option's code and length. */
#define OPT_HDR 4
/* if_filter's first byte: the filter is a libpcap filter string. */
#define IF_FILTER_PCAP 0
/* if_tsresol: 10^-9 s. */
#define TSRESOL_NS 9

/*
 * The longest packet readers accept for Ethernet and RAW: Wireshark refuses a bigger cap_len
 * whatever the snaplen says, and libpcap takes a snaplen of 0 to mean this.
 */
#define MAX_CAP_LEN 262144

/*
 * Big enough to batch hundreds of packets per write(2), small enough to stay
 * in a core's cache between fills: with 1 MiB every block went to memory no
 * longer cached (A/B, keep-alive HTTPS: user cycles per packet 300 -> 279 at
 * 256 KiB; at 64 KiB the extra writes cost more in the kernel than it saved).
 */
#define BUF_SIZE (256 * 1024)
/*
 * To a file written around the page cache a full buffer goes as one disk
 * request, and in the benchmarks' VM each costs ~20 us of CPU whatever its
 * size. Under keep-alive HTTPS, with the loop's flushes spaced out
 * (capture.c), buffers of 256 KiB made ~660 requests a second (the tails'
 * write-back included) and ecap-tls took 0.28 s of CPU a 5 s run; of 1 MiB,
 * ~190 and 0.24 s (bench/where-the-time-goes.md, session 34). Of 2 MiB, a
 * buffer can be one huge page (direct_out.c). No copy reads the buffer back,
 * so its size costs the cache nothing.
 */
#define DIRECT_BUF_SIZE (2 * 1024 * 1024)

struct pcapng_writer {
	int fd;
	bool own_fd; /* false for standard output */
	int err;     /* first write error; every later call returns it */
	uint32_t n_ifaces;
	uint32_t *max_caplens; /* per interface: snaplen, at most MAX_CAP_LEN */
	uint8_t *buf; /* the direct_out's while it has one */
	size_t used;
	size_t carried; /* of used: the file's last block, handed back by direct_out */
	struct direct_out *direct; /* a file we opened, where O_DIRECT works */
	struct write_behind behind; /* otherwise */
};

/* One block being built, either in the writer's buffer or, if too big, on the heap. */
struct block {
	uint8_t *start;
	uint8_t *p;
	uint32_t total;
	bool heap;
};

static size_t buf_size(const struct pcapng_writer *w)
{
	return w->direct ? DIRECT_BUF_SIZE : BUF_SIZE;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t opt_size(size_t len)
{
	return OPT_HDR + pad4(len);
}

/* An option whose value is at most 65535 bytes, as its 16-bit length field demands. */
static bool opt_fits(size_t len)
{
	return len <= UINT16_MAX;
}

static size_t str_len(const char *s)
{
	return s ? strlen(s) : 0;
}

static void put_u16(struct block *b, uint16_t v)
{
	memcpy(b->p, &v, sizeof(v));
	b->p += sizeof(v);
}

static void put_u32(struct block *b, uint32_t v)
{
	memcpy(b->p, &v, sizeof(v));
	b->p += sizeof(v);
}

static void put_u64(struct block *b, uint64_t v)
{
	memcpy(b->p, &v, sizeof(v));
	b->p += sizeof(v);
}

/* pcapng timestamps are two 32-bit words, high first, not one 64-bit integer. */
static void put_ts(struct block *b, uint64_t ts)
{
	put_u32(b, ts >> 32);
	put_u32(b, (uint32_t)ts);
}

/*
 * Copies @len bytes and zeroes the padding up to the next 32-bit boundary:
 * a zero word under the data's last bytes, stored first, costs one move where
 * a memset() of 1 to 3 bytes is a call (twice per packet).
 */
static void put_padded(struct block *b, const void *data, size_t len)
{
	size_t padded = pad4(len);

	if (padded != len)
		memset(b->p + padded - 4, 0, 4);
	if (len)
		memcpy(b->p, data, len);
	b->p += padded;
}

static void put_opt(struct block *b, uint16_t code, const void *data, size_t len)
{
	put_u16(b, code);
	put_u16(b, len);
	put_padded(b, data, len);
}

/* Empty strings are left out like NULL ones: an empty option carries nothing. */
static void put_opt_str(struct block *b, uint16_t code, const char *s)
{
	if (s && *s)
		put_opt(b, code, s, strlen(s));
}

static size_t opt_str_size(const char *s)
{
	return s && *s ? opt_size(strlen(s)) : 0;
}

/* if_filter: a type byte, then the filter, padded as one value. */
static void put_opt_filter(struct block *b, const char *filter, size_t len)
{
	size_t value = 1 + len;

	put_u16(b, IF_FILTER);
	put_u16(b, value);
	*b->p++ = IF_FILTER_PCAP;
	memcpy(b->p, filter, len);
	memset(b->p + len, 0, pad4(value) - value);
	b->p += pad4(value) - 1;
}

static void put_opt_u64(struct block *b, uint16_t code, uint64_t v)
{
	put_opt(b, code, &v, sizeof(v));
}

static void put_opt_ts(struct block *b, uint16_t code, uint64_t ts)
{
	put_u16(b, code);
	put_u16(b, 8);
	put_ts(b, ts);
}

static void put_endofopt(struct block *b)
{
	put_u16(b, OPT_ENDOFOPT);
	put_u16(b, 0);
}

/* @len bytes to the file, of which the page cache keeps only the last (write_behind.h). */
static int write_out(struct pcapng_writer *w, const uint8_t *data, size_t len)
{
	int err = write_all_at(w->fd, data, len, -1);

	if (!err)
		write_behind_wrote(&w->behind, len);
	return err;
}

/* Remembers the first write error: after it the stream is cut mid-block. */
static int fail(struct pcapng_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

/* Writes out the whole buffer. */
static int drain(struct pcapng_writer *w)
{
	int err;

	if (w->err)
		return w->err;
	if (w->used == w->carried)
		return 0;
	if (w->direct) {
		/* What comes back is the start of the next block of the file, not yet full. */
		err = direct_out_submit(w->direct, &w->buf, &w->used);
		w->carried = w->used;
	} else {
		err = write_out(w, w->buf, w->used);
		w->used = 0;
	}
	if (err)
		return fail(w, err);
	return 0;
}

int pcapng_flush(struct pcapng_writer *w)
{
	if (!w)
		return -EINVAL;
	/* libpcap refuses a section without an interface: hold the SHB back until one is in. */
	if (!w->n_ifaces)
		return w->err;
	return drain(w);
}

bool pcapng_to_file(const struct pcapng_writer *w)
{
	return w && w->behind.on;
}

int pcapng_sync(struct pcapng_writer *w)
{
	int err = pcapng_flush(w);

	if (!w)
		return err;
	if (!err && w->direct)
		err = direct_out_wait(w->direct);
	return err ? fail(w, err) : 0;
}

/*
 * Starts a block of @body bytes (everything between the total length fields, options and
 * padding included). Buffered blocks keep their order: whatever is buffered goes out before
 * a block that does not fit behind it.
 */
static int block_begin(struct pcapng_writer *w, struct block *b, uint32_t type, uint64_t body)
{
	uint64_t total = body + BLOCK_OVERHEAD;
	int err;

	if (w->err)
		return w->err;
	if (total > UINT32_MAX)
		return -EINVAL;

	b->total = total;
	b->heap = false;
	if (w->used + total > buf_size(w)) {
		err = drain(w);
		if (err)
			return err;
	}
	if (w->used + total > buf_size(w)) {
		b->start = malloc(total);
		if (!b->start)
			return -ENOMEM;
		b->heap = true;
	} else {
		b->start = w->buf + w->used;
	}
	b->p = b->start;
	put_u32(b, type);
	put_u32(b, b->total);
	return 0;
}

/* @len bytes through direct_out's buffers, as many as they take. */
static int append_direct(struct pcapng_writer *w, const uint8_t *data, size_t len)
{
	while (len) {
		size_t n = MIN(len, buf_size(w) - w->used);
		int err;

		memcpy(w->buf + w->used, data, n);
		w->used += n;
		data += n;
		len -= n;
		err = len ? drain(w) : 0;
		if (err)
			return err;
	}
	return 0;
}

static int block_end(struct pcapng_writer *w, struct block *b)
{
	int err;

	put_u32(b, b->total);
	if (!b->heap) {
		w->used += b->total;
		return 0;
	}
	/* Too big for the buffer, which block_begin() emptied: straight to the file. */
	err = w->direct ? append_direct(w, b->start, b->total) : write_out(w, b->start, b->total);
	free(b->start);
	if (err)
		return fail(w, err);
	return 0;
}

static int write_shb(struct pcapng_writer *w, const char *appl)
{
	struct utsname uts;
	char os[sizeof(uts.sysname) + sizeof(uts.release) + 1] = "";
	const char *hw = NULL;
	struct block b;
	uint64_t body;
	size_t opts;
	int err;

	if (uname(&uts) == 0) {
		strcpy(os, uts.sysname);
		strcat(os, " ");
		strcat(os, uts.release);
		hw = uts.machine;
	}
	if (str_len(appl) > UINT16_MAX)
		return -EINVAL;

	opts = opt_str_size(hw) + opt_str_size(os) + opt_str_size(appl);
	if (opts)
		opts += OPT_HDR;
	/* byte-order magic, major, minor, section length */
	body = 4 + 2 + 2 + 8 + opts;

	err = block_begin(w, &b, BT_SHB, body);
	if (err)
		return err;
	put_u32(&b, BYTE_ORDER_MAGIC);
	put_u16(&b, 1);
	put_u16(&b, 0);
	/* -1: the section length is not known, as it cannot be for a stream. */
	put_u64(&b, UINT64_MAX);
	put_opt_str(&b, SHB_HARDWARE, hw);
	put_opt_str(&b, SHB_OS, os);
	put_opt_str(&b, SHB_USERAPPL, appl);
	if (opts)
		put_endofopt(&b);
	return block_end(w, &b);
}

int pcapng_open(struct pcapng_writer **wp, const char *path, const char *appl)
{
	struct pcapng_writer *w;
	int err;

	if (!wp)
		return -EINVAL;
	*wp = NULL;
	if (!path)
		return -EINVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;

	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		/* On a FIFO this blocks until a reader opens it, which is what the caller wants. */
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			err = -errno;
			free(w);
			return err;
		}
		w->own_fd = true;
	}
	/*
	 * Around the page cache only a regular file we opened: standard output may be a
	 * file opened for appending, or not at its start.
	 */
	write_behind_init(&w->behind, w->fd);
	if (!w->own_fd || !w->behind.on ||
	    direct_out_open(&w->direct, w->fd, DIRECT_BUF_SIZE, &w->buf)) {
		w->buf = malloc(BUF_SIZE);
		if (!w->buf) {
			pcapng_close(w);
			return -ENOMEM;
		}
	}

	err = write_shb(w, appl);
	if (err) {
		pcapng_close(w);
		return err;
	}
	*wp = w;
	return 0;
}

int pcapng_add_interface(struct pcapng_writer *w, const struct pcapng_iface *iface)
{
	uint8_t tsresol = TSRESOL_NS;
	size_t filter_len = str_len(iface ? iface->filter : NULL);
	uint32_t *caps;
	struct block b;
	uint64_t body;
	size_t opts;
	int err;

	if (!w || !iface)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (w->n_ifaces >= INT32_MAX)
		return -ENOSPC;
	if (!opt_fits(str_len(iface->name)) || !opt_fits(str_len(iface->description)) ||
	    !opt_fits(filter_len + 1))
		return -EINVAL;

	caps = realloc(w->max_caplens, (w->n_ifaces + 1) * sizeof(*caps));
	if (!caps)
		return -ENOMEM;
	w->max_caplens = caps;

	opts = opt_str_size(iface->name) + opt_str_size(iface->description) +
	       opt_size(sizeof(tsresol)) + OPT_HDR;
	if (filter_len)
		opts += opt_size(1 + filter_len);
	/* link type, reserved, snaplen */
	body = 2 + 2 + 4 + opts;

	err = block_begin(w, &b, BT_IDB, body);
	if (err)
		return err;
	put_u16(&b, iface->linktype);
	put_u16(&b, 0);
	put_u32(&b, iface->snaplen);
	put_opt_str(&b, IF_NAME, iface->name);
	put_opt_str(&b, IF_DESCRIPTION, iface->description);
	if (filter_len)
		put_opt_filter(&b, iface->filter, filter_len);
	put_opt(&b, IF_TSRESOL, &tsresol, sizeof(tsresol));
	put_endofopt(&b);
	err = block_end(w, &b);
	if (err)
		return err;

	caps[w->n_ifaces] =
	    iface->snaplen && iface->snaplen < MAX_CAP_LEN ? iface->snaplen : MAX_CAP_LEN;
	return w->n_ifaces++;
}

int pcapng_write_packet(struct pcapng_writer *w, const struct pcapng_packet *pkt)
{
	size_t comment_len = str_len(pkt ? pkt->comment : NULL);
	uint32_t cap_len;
	struct block b;
	uint64_t body;
	size_t opts = 0;
	int err;

	if (!w || !pkt)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (pkt->iface_id >= w->n_ifaces || pkt->cap_len > pkt->len || !opt_fits(comment_len))
		return -EINVAL;
	if (pkt->cap_len && !pkt->data)
		return -EINVAL;

	/* Readers stop at a packet longer than they accept: keep its head, as a snaplen does. */
	cap_len = pkt->cap_len;
	if (cap_len > w->max_caplens[pkt->iface_id])
		cap_len = w->max_caplens[pkt->iface_id];

	if (comment_len)
		opts += opt_size(comment_len);
	if (pkt->flags)
		opts += opt_size(sizeof(pkt->flags));
	if (opts)
		opts += OPT_HDR;
	/* interface id, timestamp (2 words), captured length, original length, data */
	body = 4 + 8 + 4 + 4 + (uint64_t)pad4(cap_len) + opts;

	err = block_begin(w, &b, BT_EPB, body);
	if (err)
		return err;
	put_u32(&b, pkt->iface_id);
	put_ts(&b, pkt->ts_ns);
	put_u32(&b, cap_len);
	put_u32(&b, pkt->len);
	put_padded(&b, pkt->data, cap_len);
	if (comment_len)
		put_opt(&b, OPT_COMMENT, pkt->comment, comment_len);
	if (pkt->flags)
		put_opt(&b, EPB_FLAGS, &pkt->flags, sizeof(pkt->flags));
	if (opts)
		put_endofopt(&b);
	return block_end(w, &b);
}

int pcapng_write_secrets(struct pcapng_writer *w, uint32_t type, const void *data, uint32_t len)
{
	struct block b;
	int err;

	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* An empty DSB is legal pcapng, but Contract 2 promises none. */
	if (!len || !data)
		return -EINVAL;

	/* secrets type, secrets length, data; no options */
	err = block_begin(w, &b, BT_DSB, 4 + 4 + (uint64_t)pad4(len));
	if (err)
		return err;
	put_u32(&b, type);
	put_u32(&b, len);
	put_padded(&b, data, len);
	return block_end(w, &b);
}

static int write_isb(struct pcapng_writer *w, uint32_t iface_id,
		     const struct pcapng_iface_stats *st)
{
	const struct {
		uint16_t code;
		uint64_t value;
	} counters[] = {
	    {ISB_IFRECV, st->if_recv},
	    {ISB_IFDROP, st->if_drop},
	    {ISB_FILTERACCEPT, st->filter_accept},
	    {ISB_OSDROP, st->os_drop},
	    {ISB_USRDELIV, st->usr_deliv},
	};
	const size_t n = sizeof(counters) / sizeof(counters[0]);
	struct block b;
	size_t opts = 0;
	size_t i;
	int err;

	/* Every ISB option is 8 bytes: timestamps are two words, counters one uint64. */
	if (st->start_ns != PCAPNG_STAT_UNKNOWN)
		opts += opt_size(8);
	if (st->end_ns != PCAPNG_STAT_UNKNOWN)
		opts += opt_size(8);
	for (i = 0; i < n; i++) {
		if (counters[i].value != PCAPNG_STAT_UNKNOWN)
			opts += opt_size(8);
	}
	opts += opt_str_size(st->comment);
	if (opts)
		opts += OPT_HDR;

	/* interface id, timestamp (2 words) */
	err = block_begin(w, &b, BT_ISB, 4 + 8 + opts);
	if (err)
		return err;
	put_u32(&b, iface_id);
	put_ts(&b, st->ts_ns);
	put_opt_str(&b, OPT_COMMENT, st->comment);
	if (st->start_ns != PCAPNG_STAT_UNKNOWN)
		put_opt_ts(&b, ISB_STARTTIME, st->start_ns);
	if (st->end_ns != PCAPNG_STAT_UNKNOWN)
		put_opt_ts(&b, ISB_ENDTIME, st->end_ns);
	for (i = 0; i < n; i++) {
		if (counters[i].value != PCAPNG_STAT_UNKNOWN)
			put_opt_u64(&b, counters[i].code, counters[i].value);
	}
	if (opts)
		put_endofopt(&b);
	return block_end(w, &b);
}

int pcapng_write_stats(struct pcapng_writer *w, uint32_t iface_id,
		       const struct pcapng_iface_stats *stats)
{
	if (!w || !stats)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (iface_id >= w->n_ifaces || !opt_fits(str_len(stats->comment)))
		return -EINVAL;
	return write_isb(w, iface_id, stats);
}

int pcapng_close(struct pcapng_writer *w)
{
	int err;

	if (!w)
		return 0;
	/* Even a lone SHB goes out now: an empty file would be worse. */
	err = w->buf ? drain(w) : 0;
	if (w->direct) {
		int thread_err = direct_out_close(w->direct);

		err = err ? err : thread_err;
		w->buf = NULL; /* was the direct_out's */
	}
	/* No fsync: the output may be a pipe, where it fails; a FIFO's reader has the data. */
	if (w->own_fd && close(w->fd) && !err)
		err = -errno;
	free(w->max_caplens);
	free(w->buf);
	free(w);
	return err;
}

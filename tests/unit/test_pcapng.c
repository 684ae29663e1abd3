// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pcapng writer, checked against readers that do not share its code: a small block walker
 * written here from the pcapng specification, libpcap, and Wireshark's capinfos and tshark.
 *
 * Files go to $ECAP_TEST_TMP/pcapng (a mkdtemp folder when unset). Exit status 0 means pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"
#include "pcapng.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 1
#define BT_ISB 5
#define BT_EPB 6
#define BT_DSB 0x0A

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW	  101

#define SNAPLEN	    262144
#define APPL	    "ecap-tls test_pcapng"
#define MAX_BLOCKS  4096
#define MAX_OPTIONS 16

static char tmpdir[256];

/* ---- the data written ---- */

struct test_pkt {
	uint32_t iface;
	uint64_t ts;
	uint32_t cap_len;
	uint32_t len;
	uint32_t flags;
	const char *comment;
	uint32_t want_cap; /* what the file holds: cap_len cut to the snaplen */
};

/* UTF-8, spaces, a backslash, double quotes, and an odd length (padding). */
#define ODD_COMMENT "pid=4242 comm=\"my proc\" exe=/opt/ünï cødé/日本\\bin ✓"

/* Crosses a second, and a carry from the low into the high timestamp word. */
#define T4 (1700000002000000000ULL | 0xffffffffULL)

static const struct test_pkt pkts[] = {
    {0, 1700000000000000001ULL, 0, 0, 0, NULL, 0},
    {1, 1700000000123456789ULL, 1, 1, PCAPNG_EPB_INBOUND, "a", 1},
    {0, 1700000000999999999ULL, 3, 3, PCAPNG_EPB_OUTBOUND, ODD_COMMENT, 3},
    {1, 1700000001000000000ULL, 61, 61, PCAPNG_EPB_INBOUND, NULL, 61},
    {0, T4, 1514, 1514, PCAPNG_EPB_OUTBOUND, "pid=1 comm=\"x y\"", 1514},
    {1, T4 + 1, 65536, 65536, 0, NULL, 65536},
    {0, T4 + 1000000000, 70001, 70001, PCAPNG_EPB_INBOUND, "abcd", 70001},
    {0, T4 + 1000000001, 1514, 9000, PCAPNG_EPB_OUTBOUND, NULL, 1514},
    {1, T4 + 2000000000, 300000, 300000, PCAPNG_EPB_INBOUND, "cut", SNAPLEN},
};

static const char keylog[] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
			     "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
			     "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n";

static const struct pcapng_iface_stats stats0 = {
    .ts_ns = T4 + 3000000000,
    .start_ns = 1700000000000000000ULL,
    .end_ns = T4 + 3000000000,
    .if_recv = 9,
    .if_drop = 2,
    .filter_accept = 7,
    .os_drop = 1,
    .usr_deliv = 5,
    .comment = "ecap-tls: 3 packets held for TLS secrets",
};

/* Only what is known: 0 is a count, not "unknown". */
static const struct pcapng_iface_stats stats1 = {
    .ts_ns = T4 + 3000000001,
    .start_ns = PCAPNG_STAT_UNKNOWN,
    .end_ns = PCAPNG_STAT_UNKNOWN,
    .if_recv = 4,
    .if_drop = 0,
    .filter_accept = PCAPNG_STAT_UNKNOWN,
    .os_drop = PCAPNG_STAT_UNKNOWN,
    .usr_deliv = PCAPNG_STAT_UNKNOWN,
};

static uint8_t pkt_byte(size_t i, size_t j)
{
	return (uint8_t)(i * 37 + j * 13 + (j >> 8) + 1);
}

static uint8_t *pkt_data(size_t i, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t j;

	if (!d)
		abort();
	for (j = 0; j < len; j++)
		d[j] = pkt_byte(i, j);
	return d;
}

static void tmp_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

/* ---- reading files back ---- */

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd_ts(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint8_t *slurp(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	FILE *f;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st)) {
		if (f)
			fclose(f);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (buf && fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = st.st_size;
	return buf;
}

struct blk {
	uint32_t type;
	uint32_t len;	     /* block total length */
	size_t off;	     /* in the file */
	const uint8_t *body; /* after the total length */
};

/*
 * Splits a whole file into blocks. Returns their number, or -1 if any block is cut, not a
 * multiple of 4 bytes, or has different leading and trailing lengths.
 */
static int walk(const uint8_t *buf, size_t size, struct blk *out, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < size) {
		uint32_t len;

		if (size - off < 12)
			return -1;
		len = rd32(buf + off + 4);
		if (len < 12 || len % 4 || len > size - off || rd32(buf + off + len - 4) != len)
			return -1;
		if (n < max) {
			out[n].type = rd32(buf + off);
			out[n].len = len;
			out[n].off = off;
			out[n].body = buf + off + 8;
		}
		n++;
		off += len;
	}
	return n;
}

struct opt {
	uint16_t code;
	uint16_t len;
	const uint8_t *val;
};

/*
 * Parses the options from @p to the block's trailing length. Returns their number, opt_endofopt
 * not counted, or -1 unless every padding byte is 0 and opt_endofopt ends a non-empty list.
 */
static int parse_opts(const uint8_t *p, const uint8_t *end, struct opt *out, int max)
{
	int n = 0;

	if (p == end)
		return 0;
	while (end - p >= 4) {
		uint16_t code = rd16(p), len = rd16(p + 2);
		size_t i;

		if (code == 0)
			return len == 0 && end - p == 4 ? n : -1;
		if ((size_t)(end - p) < 4 + pad4(len) || n == max)
			return -1;
		for (i = len; i < pad4(len); i++) {
			if (p[4 + i])
				return -1;
		}
		out[n++] = (struct opt){code, len, p + 4};
		p += 4 + pad4(len);
	}
	return -1;
}

static int blk_opts(const struct blk *b, size_t fixed, struct opt *out)
{
	const uint8_t *end = b->body + b->len - 12;

	if (fixed > b->len - 12)
		return -1;
	return parse_opts(b->body + fixed, end, out, MAX_OPTIONS);
}

static const struct opt *find_opt(const struct opt *o, int n, uint16_t code)
{
	int i;

	for (i = 0; i < n; i++) {
		if (o[i].code == code)
			return &o[i];
	}
	return NULL;
}

static bool opt_is_str(const struct opt *o, const char *s)
{
	return o && o->len == strlen(s) && !memcmp(o->val, s, o->len);
}

static bool opt_is_u64(const struct opt *o, uint64_t v)
{
	return o && o->len == 8 && rd64(o->val) == v;
}

static bool opt_is_ts(const struct opt *o, uint64_t v)
{
	return o && o->len == 8 && rd_ts(o->val) == v;
}

/* ---- running Wireshark's tools ---- */

struct run {
	int status; /* exit status, -1 if it did not exit */
	char *out;
	char *err; /* stderr without tshark's "Running as user root" warning */
};

static char *read_all(FILE *f)
{
	size_t len = 0, cap = 4096, n;
	char *s = malloc(cap);

	while (s && (n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0)
			s = realloc(s, cap *= 2);
	}
	if (!s)
		abort();
	s[len] = 0;
	return s;
}

static void drop_root_warning(char *s)
{
	static const char warn[] = "Running as user \"root\"";
	char *p;

	while ((p = strstr(s, warn))) {
		char *nl = strchr(p, '\n');

		memmove(p, nl ? nl + 1 : p + strlen(p), strlen(nl ? nl + 1 : p + strlen(p)) + 1);
	}
}

/* Runs "@tool @args @file": the file name is quoted here, the arguments are trusted. */
static struct run run_tool(const char *tool, const char *args, const char *file)
{
	char errpath[512], cmd[2048];
	struct run r = {-1, NULL, NULL};
	FILE *f;
	int st;

	tmp_path(errpath, sizeof(errpath), "stderr.txt");
	snprintf(cmd, sizeof(cmd), "%s %s '%s' 2>'%s'", tool, args, file, errpath);
	f = popen(cmd, "r");
	if (!f)
		abort();
	r.out = read_all(f);
	st = pclose(f);
	if (st != -1 && WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	f = fopen(errpath, "r");
	r.err = f ? read_all(f) : strdup("(no stderr file)");
	if (f)
		fclose(f);
	drop_root_warning(r.err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* The value of "Key: value" (or "Key = value") on its own line of capinfos' report. */
static bool report_value(const char *report, const char *key, char *out, size_t size)
{
	const char *p = report;
	size_t klen = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == report || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[klen] == ':' || p[klen] == ' ')) {
			size_t n;

			p += klen;
			p += strspn(p, " \t:=");
			n = strcspn(p, "\n");
			snprintf(out, size, "%.*s", (int)n, p);
			return true;
		}
		p += klen;
	}
	return false;
}

/* ---- writing ---- */

static const struct pcapng_iface iface_eth = {
    .name = "eth0",
    .description = "Ethernet uplink",
    .filter = "tcp port 443",
    .linktype = LINKTYPE_ETHERNET,
    .snaplen = SNAPLEN,
};

static const struct pcapng_iface iface_raw = {
    .name = "tun0",
    .linktype = LINKTYPE_RAW,
    .snaplen = SNAPLEN,
};

static const struct pcapng_iface iface_eth1 = {
    .name = "eth1",
    .linktype = LINKTYPE_ETHERNET,
    .snaplen = SNAPLEN,
};

static int write_pkt(struct pcapng_writer *w, size_t i)
{
	const struct test_pkt *t = &pkts[i];
	uint8_t *data = pkt_data(i, t->cap_len);
	struct pcapng_packet p = {
	    .iface_id = t->iface,
	    .ts_ns = t->ts,
	    .data = data,
	    .cap_len = t->cap_len,
	    .len = t->len,
	    .flags = t->flags,
	    .comment = t->comment,
	};
	int err = pcapng_write_packet(w, &p);

	free(data);
	return err;
}

/*
 * The test file: SHB, 2 IDBs, a DSB, the packets, an ISB per interface. With @flush_sizes, the
 * stream is flushed after every block and the file's size recorded after each flush.
 */
static int write_test_file(const char *path, const struct pcapng_iface *if1, off_t *flush_sizes,
			   int *n_flush)
{
	struct pcapng_writer *w = NULL;
	struct stat st;
	size_t i;
	int err, cerr;

#define STEP(call)                                                                                 \
	do {                                                                                       \
		err = (call);                                                                      \
		if (err < 0)                                                                       \
			goto out;                                                                  \
		if (flush_sizes) {                                                                 \
			err = pcapng_sync(w);                                                      \
			if (err || stat(path, &st)) {                                              \
				err = err ? err : -errno;                                          \
				goto out;                                                          \
			}                                                                          \
			flush_sizes[(*n_flush)++] = st.st_size;                                    \
		}                                                                                  \
	} while (0)

	err = pcapng_open(&w, path, APPL);
	if (err)
		return err;
	if (flush_sizes) {
		*n_flush = 0;
		STEP(0);
	}
	STEP(pcapng_add_interface(w, &iface_eth));
	STEP(pcapng_add_interface(w, if1));
	STEP(pcapng_write_secrets(w, PCAPNG_DSB_TLS_KEYLOG, keylog, strlen(keylog)));
	for (i = 0; i < ARRAY_SIZE(pkts); i++)
		STEP(write_pkt(w, i));
	STEP(pcapng_write_stats(w, 0, &stats0));
	STEP(pcapng_write_stats(w, 1, &stats1));
#undef STEP
out:
	cerr = pcapng_close(w);
	return err < 0 ? err : cerr;
}

/* ---- checks ---- */

static void check_shb(const struct blk *b)
{
	struct opt o[MAX_OPTIONS];
	const struct opt *os;
	int n;

	CHECK_EQ(b->type, BT_SHB);
	CHECK_EQ(rd32(b->body), 0x1A2B3C4D);
	CHECK_EQ(rd16(b->body + 4), 1);
	CHECK_EQ(rd16(b->body + 6), 0);
	CHECK_EQ(rd64(b->body + 8), UINT64_MAX);
	n = blk_opts(b, 16, o);
	CHECK(n >= 1, "SHB options are malformed (%d)", n);
	CHECK(opt_is_str(find_opt(o, n, 4), APPL), "shb_userappl is not " APPL);
	os = find_opt(o, n, 3);
	CHECK(os && os->len > 6 && !memcmp(os->val, "Linux ", 6), "shb_os does not name Linux");
}

static void check_idb(const struct blk *b, const struct pcapng_iface *ifc)
{
	struct opt o[MAX_OPTIONS];
	const struct opt *f;
	int n;

	CHECK_EQ(b->type, BT_IDB);
	CHECK_EQ(rd16(b->body), ifc->linktype);
	CHECK_EQ(rd16(b->body + 2), 0);
	CHECK_EQ(rd32(b->body + 4), ifc->snaplen);
	n = blk_opts(b, 8, o);
	CHECK_EQ(n, 2 + !!ifc->description + !!ifc->filter);
	CHECK(opt_is_str(find_opt(o, n, 2), ifc->name), "if_name is not %s", ifc->name);
	if (ifc->description)
		CHECK(opt_is_str(find_opt(o, n, 3), ifc->description), "bad if_description");
	else
		CHECK(!find_opt(o, n, 3), "if_description where none was given");
	f = find_opt(o, n, 11);
	if (ifc->filter)
		CHECK(f && f->len == 1 + strlen(ifc->filter) && f->val[0] == 0 &&
			  !memcmp(f->val + 1, ifc->filter, f->len - 1),
		      "if_filter is not 0 + \"%s\"", ifc->filter);
	else
		CHECK(!f, "if_filter where none was given");
	f = find_opt(o, n, 9);
	CHECK(f && f->len == 1 && f->val[0] == 9, "if_tsresol is not 9");
}

static void check_dsb(const struct blk *b, const void *data, uint32_t len)
{
	struct opt o[MAX_OPTIONS];

	CHECK_EQ(b->type, BT_DSB);
	CHECK_EQ(b->len, 12 + 8 + pad4(len));
	CHECK_EQ(rd32(b->body), PCAPNG_DSB_TLS_KEYLOG);
	CHECK_EQ(rd32(b->body + 4), len);
	CHECK(!memcmp(b->body + 8, data, len), "DSB data differs");
	CHECK(blk_opts(b, 8 + pad4(len), o) == 0, "DSB padding is not zero or has options");
}

static void check_epb(const struct blk *b, size_t i)
{
	const struct test_pkt *t = &pkts[i];
	struct opt o[MAX_OPTIONS];
	uint8_t *data;
	int n;

	CHECK_EQ(b->type, BT_EPB);
	CHECK_EQ(rd32(b->body), t->iface);
	CHECK_EQ(rd_ts(b->body + 4), t->ts);
	CHECK_EQ(rd32(b->body + 12), t->want_cap);
	CHECK_EQ(rd32(b->body + 16), t->len);
	data = pkt_data(i, t->want_cap);
	CHECK(!memcmp(b->body + 20, data, t->want_cap), "packet %zu: data differs", i);
	free(data);
	n = blk_opts(b, 20 + pad4(t->want_cap), o);
	CHECK_EQ(n, !!t->flags + !!t->comment);
	if (t->comment)
		CHECK(opt_is_str(find_opt(o, n, 1), t->comment), "packet %zu: bad comment", i);
	if (t->flags) {
		const struct opt *f = find_opt(o, n, 2);

		CHECK(f && f->len == 4 && rd32(f->val) == t->flags, "packet %zu: bad epb_flags", i);
	}
}

static void check_isb(const struct blk *b, uint32_t iface, const struct pcapng_iface_stats *s)
{
	const struct {
		uint16_t code;
		uint64_t v;
		bool ts;
	} want[] = {
	    {2, s->start_ns, true},   {3, s->end_ns, true},	    {4, s->if_recv, false},
	    {5, s->if_drop, false},   {6, s->filter_accept, false}, {7, s->os_drop, false},
	    {8, s->usr_deliv, false},
	};
	struct opt o[MAX_OPTIONS];
	int n, known = 0;
	size_t i;

	CHECK_EQ(b->type, BT_ISB);
	CHECK_EQ(rd32(b->body), iface);
	CHECK_EQ(rd_ts(b->body + 4), s->ts_ns);
	n = blk_opts(b, 12, o);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct opt *f = find_opt(o, n, want[i].code);

		if (want[i].v == PCAPNG_STAT_UNKNOWN) {
			CHECK(!f, "ISB %u: option %u should be left out", iface, want[i].code);
			continue;
		}
		known++;
		CHECK(want[i].ts ? opt_is_ts(f, want[i].v) : opt_is_u64(f, want[i].v),
		      "ISB %u: option %u is not %llu", iface, want[i].code,
		      (unsigned long long)want[i].v);
	}
	if (s->comment) {
		CHECK(opt_is_str(find_opt(o, n, 1), s->comment), "ISB %u: bad comment", iface);
		known++;
	}
	CHECK_EQ(n, known);
}

/* The block list of a file from write_test_file(), block by block. */
static void check_blocks(const char *path, const struct pcapng_iface *if1)
{
	static struct blk b[MAX_BLOCKS];
	size_t size, i;
	uint8_t *buf = slurp(path, &size);
	int n;

	CHECK(buf, "cannot read %s", path);
	if (!buf)
		return;
	n = walk(buf, size, b, MAX_BLOCKS);
	CHECK_EQ(n, 4 + ARRAY_SIZE(pkts) + 2);
	if (n == (int)(4 + ARRAY_SIZE(pkts) + 2)) {
		check_shb(&b[0]);
		check_idb(&b[1], &iface_eth);
		check_idb(&b[2], if1);
		check_dsb(&b[3], keylog, strlen(keylog));
		for (i = 0; i < ARRAY_SIZE(pkts); i++)
			check_epb(&b[4 + i], i);
		check_isb(&b[4 + i], 0, &stats0);
		check_isb(&b[5 + i], 1, &stats1);
	}
	free(buf);
}

static void ts_string(char *out, size_t size, uint64_t ts)
{
	snprintf(out, size, "%llu.%09llu", (unsigned long long)(ts / 1000000000),
		 (unsigned long long)(ts % 1000000000));
}

/* Every packet through libpcap, at ns precision: lengths, bytes, timestamps. */
static void check_libpcap_packets(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t i = 0;
	pcap_t *p;
	int r;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	CHECK(p, "libpcap cannot open %s: %s", path, errbuf);
	if (!p)
		return;
	CHECK_EQ(pcap_datalink(p), DLT_EN10MB);
	while ((r = pcap_next_ex(p, &h, &d)) == 1 && i < ARRAY_SIZE(pkts)) {
		const struct test_pkt *t = &pkts[i];
		uint8_t *data = pkt_data(i, t->want_cap);

		CHECK_EQ(h->caplen, t->want_cap);
		CHECK_EQ(h->len, t->len);
		CHECK_EQ(h->ts.tv_sec, t->ts / 1000000000);
		CHECK_EQ(h->ts.tv_usec, t->ts % 1000000000);
		CHECK(h->caplen == t->want_cap && !memcmp(d, data, t->want_cap),
		      "libpcap packet %zu: bytes differ", i);
		free(data);
		i++;
	}
	CHECK(r == PCAP_ERROR_BREAK, "libpcap: %s after %zu packets",
	      r == PCAP_ERROR ? pcap_geterr(p) : "more packets than written", i);
	CHECK_EQ(i, ARRAY_SIZE(pkts));
	pcap_close(p);
}

/*
 * libpcap supports one link type per file: it stops at an IDB whose type differs from the
 * first one's, here the second IDB, before any packet.
 */
static void check_libpcap_mixed(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int r;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	CHECK(p, "libpcap cannot open %s: %s", path, errbuf);
	if (!p)
		return;
	CHECK_EQ(pcap_datalink(p), DLT_EN10MB);
	r = pcap_next_ex(p, &h, &d);
	CHECK(r == PCAP_ERROR && strstr(pcap_geterr(p), "different from the type of the first"),
	      "libpcap on mixed link types: got %d (%s), want its one-link-type error", r,
	      r == PCAP_ERROR ? pcap_geterr(p) : "");
	pcap_close(p);
}

/* tshark's view of every packet: interface, lengths, ns timestamp, direction, comment. */
static void check_tshark(const char *path, const struct pcapng_iface *if1)
{
	const struct pcapng_iface *ifs[] = {&iface_eth, if1};
	struct run r;
	char *line, *save = NULL;
	size_t i = 0;

	r = run_tool("tshark",
		     "-T fields -E separator=/t -E quote=n -e frame.interface_id "
		     "-e frame.interface_name -e frame.len -e frame.cap_len "
		     "-e frame.time_epoch -e frame.packet_flags_direction -e frame.comment -r",
		     path);
	CHECK_EQ(r.status, 0);
	CHECK_STR(r.err, "");
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		const struct test_pkt *t = &pkts[i];
		char want[1024], ts[32], dir[16] = "";

		if (i >= ARRAY_SIZE(pkts))
			break;
		ts_string(ts, sizeof(ts), t->ts);
		if (t->flags)
			snprintf(dir, sizeof(dir), "0x%08x", t->flags);
		snprintf(want, sizeof(want), "%u\t%s\t%u\t%u\t%s\t%s\t%s", t->iface,
			 ifs[t->iface]->name, t->len, t->want_cap, ts, dir,
			 t->comment ? t->comment : "");
		CHECK_STR(line, want);
	}
	CHECK_EQ(i, ARRAY_SIZE(pkts));
	run_free(&r);
}

static void check_capinfos(const char *path, const struct pcapng_iface *if1)
{
	char v[256];
	struct run r;

	r = run_tool("capinfos", "-M", path);
	CHECK_EQ(r.status, 0);
	CHECK_STR(r.err, "");
	CHECK(report_value(r.out, "File type", v, sizeof(v)) && strstr(v, "pcapng"),
	      "capinfos: not pcapng:\n%s", r.out);
	CHECK(report_value(r.out, "Number of packets", v, sizeof(v)), "capinfos: no count");
	CHECK_EQ(atoi(v), ARRAY_SIZE(pkts));
	CHECK(report_value(r.out, "Number of interfaces in file", v, sizeof(v)),
	      "capinfos: no interface count");
	CHECK_EQ(atoi(v), 2);
	CHECK(report_value(r.out, "Number of decryption secrets in file", v, sizeof(v)),
	      "capinfos: no secrets count:\n%s", r.out);
	CHECK_EQ(atoi(v), 1);
	/* Per interface: name, filter, ns precision, and the one ISB each. */
	CHECK(strstr(r.out, "Name = eth0") && strstr(r.out, "Capture length = 262144"),
	      "capinfos: interface 0 missing:\n%s", r.out);
	CHECK(strstr(r.out, "Description = Ethernet uplink") &&
		  strstr(r.out, "Filter string = tcp port 443"),
	      "capinfos: if_description or if_filter missing:\n%s", r.out);
	CHECK(strstr(r.out, "Time precision = nanoseconds (9)"),
	      "capinfos: if_tsresol is not ns:\n%s", r.out);
	CHECK(report_value(r.out, "Number of stat entries", v, sizeof(v)) && atoi(v) == 1,
	      "capinfos: no ISB for the interfaces:\n%s", r.out);
	CHECK(
	    strstr(r.out, if1->linktype == LINKTYPE_RAW ? "Encapsulation = Raw IP" : "Name = eth1"),
	    "capinfos: interface 1 missing:\n%s", r.out);
	run_free(&r);
}

static void test_full_file(void)
{
	char mixed[512], same[512];
	int err;

	tmp_path(mixed, sizeof(mixed), "mixed.pcapng");
	tmp_path(same, sizeof(same), "same.pcapng");
	err = write_test_file(mixed, &iface_raw, NULL, NULL);
	CHECK_EQ(err, 0);
	err = write_test_file(same, &iface_eth1, NULL, NULL);
	CHECK_EQ(err, 0);

	check_blocks(mixed, &iface_raw);
	check_blocks(same, &iface_eth1);
	check_libpcap_mixed(mixed);
	check_libpcap_packets(same);
	check_tshark(mixed, &iface_raw);
	check_tshark(same, &iface_eth1);
	check_capinfos(mixed, &iface_raw);
	check_capinfos(same, &iface_eth1);
}

static int copy_prefix(const char *from, const char *to, off_t len)
{
	size_t size;
	uint8_t *buf = slurp(from, &size);
	FILE *f;
	int ok;

	if (!buf || (off_t)size < len)
		return -1;
	f = fopen(to, "wb");
	ok = f && fwrite(buf, 1, len, f) == (size_t)len;
	if (f && fclose(f))
		ok = 0;
	free(buf);
	return ok ? 0 : -1;
}

/* Packets in the file once the @k-th flush is done: SHB, 2 IDBs and the DSB come first. */
static int packets_at_flush(int k)
{
	int n = k - 3;

	if (n < 0)
		return 0;
	return n > (int)ARRAY_SIZE(pkts) ? (int)ARRAY_SIZE(pkts) : n;
}

/*
 * What a reader sees of a stream cut at each flush point: valid pcapng every time, with every
 * packet flushed so far and no other.
 */
static void test_cut_at_flush(void)
{
	off_t sizes[64];
	char path[512], cut[512], name[64];
	int n = 0, k, err;

	tmp_path(path, sizeof(path), "flushed.pcapng");
	err = write_test_file(path, &iface_eth1, sizes, &n);
	CHECK_EQ(err, 0);
	CHECK_EQ(n, 1 + 2 + 1 + ARRAY_SIZE(pkts) + 2);
	check_blocks(path, &iface_eth1);

	for (k = 0; k < n; k++) {
		char errbuf[PCAP_ERRBUF_SIZE], v[64];
		struct pcap_pkthdr *h;
		const u_char *d;
		struct run r;
		int count = 0, nl = 0, want = packets_at_flush(k);
		pcap_t *p;
		char *s;

		/* The SHB waits for the first IDB: libpcap refuses a file without one. */
		if (k == 0) {
			CHECK_EQ(sizes[0], 0);
			continue;
		}
		CHECK(sizes[k] > sizes[k - 1], "flush %d did not grow the file", k);
		snprintf(name, sizeof(name), "cut-%02d.pcapng", k);
		tmp_path(cut, sizeof(cut), name);
		if (copy_prefix(path, cut, sizes[k])) {
			CHECK(0, "cannot copy %lld bytes of %s", (long long)sizes[k], path);
			continue;
		}

		p = pcap_open_offline(cut, errbuf);
		CHECK(p, "cut %d (%lld bytes): libpcap cannot open it: %s", k, (long long)sizes[k],
		      errbuf);
		if (p) {
			int rc;

			while ((rc = pcap_next_ex(p, &h, &d)) == 1)
				count++;
			CHECK(rc == PCAP_ERROR_BREAK, "cut %d: libpcap: %s", k,
			      rc == PCAP_ERROR ? pcap_geterr(p) : "?");
			CHECK_EQ(count, want);
			pcap_close(p);
		}

		r = run_tool("capinfos", "-M -c", cut);
		CHECK(r.status == 0 && !r.err[0], "cut %d: capinfos exit %d: %s", k, r.status,
		      r.err);
		CHECK(report_value(r.out, "Number of packets", v, sizeof(v)) && atoi(v) == want,
		      "cut %d: capinfos counts [%s], want %d", k, v, want);
		run_free(&r);

		r = run_tool("tshark", "-r", cut);
		CHECK(r.status == 0 && !r.err[0], "cut %d: tshark exit %d: %s", k, r.status, r.err);
		for (s = r.out; *s; s++)
			nl += *s == '\n';
		CHECK(nl == want, "cut %d: tshark shows %d packets, want %d", k, nl, want);
		run_free(&r);
		unlink(cut);
	}
}

/* Bad arguments are refused, leave nothing in the file, and leave the writer usable. */
static void test_bad_arguments(void)
{
	static char long_comment[70000];
	static struct blk b[8];
	struct pcapng_writer *w = NULL;
	struct pcapng_packet p = {.data = "abcd", .cap_len = 4, .len = 4};
	uint8_t *buf;
	char path[512];
	size_t size;

	tmp_path(path, sizeof(path), "bad-args.pcapng");
	CHECK_EQ(pcapng_open(&w, NULL, APPL), -EINVAL);
	CHECK(!w, "a failed open left a writer");
	CHECK_EQ(pcapng_close(NULL), 0);
	CHECK_EQ(pcapng_flush(NULL), -EINVAL);

	CHECK_EQ(pcapng_open(&w, path, APPL), 0);
	if (!w)
		return;
	CHECK_EQ(pcapng_add_interface(w, NULL), -EINVAL);
	CHECK_EQ(pcapng_write_packet(w, &p), -EINVAL); /* no interface yet */
	CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
	p.iface_id = 1;
	CHECK_EQ(pcapng_write_packet(w, &p), -EINVAL);
	p.iface_id = 0;
	p.len = 3;
	CHECK_EQ(pcapng_write_packet(w, &p), -EINVAL);
	p.len = 4;
	p.data = NULL;
	CHECK_EQ(pcapng_write_packet(w, &p), -EINVAL);
	p.data = "abcd";
	memset(long_comment, 'x', sizeof(long_comment) - 1);
	p.comment = long_comment;
	CHECK_EQ(pcapng_write_packet(w, &p), -EINVAL);
	p.comment = NULL;
	CHECK_EQ(pcapng_write_secrets(w, PCAPNG_DSB_TLS_KEYLOG, keylog, 0), -EINVAL);
	CHECK_EQ(pcapng_write_secrets(w, PCAPNG_DSB_TLS_KEYLOG, NULL, 4), -EINVAL);
	CHECK_EQ(pcapng_write_stats(w, 1, &stats0), -EINVAL);
	CHECK_EQ(pcapng_write_stats(w, 0, NULL), -EINVAL);
	CHECK_EQ(pcapng_write_packet(w, &p), 0);
	CHECK_EQ(pcapng_close(w), 0);

	buf = slurp(path, &size);
	CHECK(buf && walk(buf, size, b, 8) == 3 && b[2].type == BT_EPB,
	      "after refused calls the file is not SHB, IDB, EPB");
	free(buf);
}

static void test_open_errors(void)
{
	struct pcapng_writer *w = (void *)1;

	CHECK_EQ(pcapng_open(&w, "/nonexistent-ecap-dir/x.pcapng", APPL), -ENOENT);
	CHECK(!w, "a failed open left a writer");
	CHECK_EQ(pcapng_open(&w, tmpdir, APPL), -EISDIR);
	CHECK(!w, "a failed open left a writer");
}

/* Write errors are returned as -errno and stick: the stream is cut, later blocks would lie. */
static void test_enospc(void)
{
	struct pcapng_writer *w = NULL;

	CHECK_EQ(pcapng_open(&w, "/dev/full", APPL), 0);
	if (!w)
		return;
	CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
	CHECK_EQ(pcapng_flush(w), -ENOSPC);
	CHECK_EQ(write_pkt(w, 1), -ENOSPC);
	CHECK_EQ(pcapng_flush(w), -ENOSPC);
	CHECK_EQ(pcapng_close(w), -ENOSPC);
}

/* A FIFO whose reader went away, as when Wireshark stops: -EPIPE, not SIGPIPE. */
static void test_epipe(void)
{
	struct pcapng_writer *w = NULL;
	char fifo[512];
	int rfd;

	tmp_path(fifo, sizeof(fifo), "epipe.fifo");
	unlink(fifo);
	CHECK(!mkfifo(fifo, 0600), "mkfifo %s: %s", fifo, strerror(errno));
	/* A reader first, so that opening for writing does not wait. */
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(rfd >= 0, "open %s: %s", fifo, strerror(errno));
	CHECK_EQ(pcapng_open(&w, fifo, APPL), 0);
	close(rfd);
	if (w) {
		CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
		CHECK_EQ(pcapng_flush(w), -EPIPE);
		CHECK_EQ(write_pkt(w, 1), -EPIPE);
		CHECK_EQ(pcapng_close(w), -EPIPE);
	}
	unlink(fifo);
}

/* A FIFO read by another process while it is written: open waits for it, data arrives whole. */
static void test_fifo_reader(void)
{
	struct pcapng_writer *w = NULL;
	char fifo[512], out[512];
	static struct blk b[8];
	size_t size;
	uint8_t *buf;
	pid_t pid;
	int st;

	tmp_path(fifo, sizeof(fifo), "reader.fifo");
	tmp_path(out, sizeof(out), "reader.pcapng");
	unlink(fifo);
	CHECK(!mkfifo(fifo, 0600), "mkfifo %s: %s", fifo, strerror(errno));
	pid = fork();
	if (pid == 0) {
		char cmd[1100];

		snprintf(cmd, sizeof(cmd), "cat '%s' > '%s'", fifo, out);
		_exit(system(cmd) == 0 ? 0 : 1);
	}
	CHECK_EQ(pcapng_open(&w, fifo, APPL), 0);
	CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
	CHECK_EQ(write_pkt(w, 4), 0);
	CHECK_EQ(pcapng_close(w), 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the FIFO reader failed");
	buf = slurp(out, &size);
	CHECK(buf && walk(buf, size, b, 8) == 3, "FIFO output is not SHB, IDB, EPB");
	if (buf && walk(buf, size, b, 8) == 3)
		check_epb(&b[2], 4);
	free(buf);
	unlink(fifo);
}

/* "-" writes to standard output and leaves it open. */
static void test_stdout(void)
{
	struct pcapng_writer *w = NULL;
	static struct blk b[8];
	uint8_t buf[8192];
	int saved, pfd[2];
	ssize_t n, size = 0;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	if (saved < 0 || pipe(pfd)) {
		CHECK(0, "dup/pipe: %s", strerror(errno));
		return;
	}
	dup2(pfd[1], STDOUT_FILENO);
	close(pfd[1]);
	CHECK_EQ(pcapng_open(&w, "-", APPL), 0);
	CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
	CHECK_EQ(write_pkt(w, 2), 0);
	CHECK_EQ(pcapng_close(w), 0);
	CHECK(fcntl(STDOUT_FILENO, F_GETFD) != -1, "pcapng_close closed standard output");
	dup2(saved, STDOUT_FILENO);
	close(saved);
	while ((n = read(pfd[0], buf + size, sizeof(buf) - size)) > 0)
		size += n;
	close(pfd[0]);
	CHECK(walk(buf, size, b, 8) == 3, "stdout output is not SHB, IDB, EPB");
	if (walk(buf, size, b, 8) == 3) {
		check_shb(&b[0]);
		check_idb(&b[1], &iface_eth);
		check_epb(&b[2], 2);
	}
}

/*
 * More than the buffer holds: packets that fill it several times, then secrets bigger than the
 * buffer (written straight through), then one more packet. The order must survive.
 */
#define BIG_PKTS 1500

static void test_big(void)
{
	static struct blk b[BIG_PKTS + 8];
	struct pcapng_writer *w = NULL;
	char path[512], errbuf[PCAP_ERRBUF_SIZE], v[64];
	size_t secrets_len = 0, size, i, line_len = strlen(keylog);
	char *secrets = malloc(1600 * 1024);
	uint8_t pkt[1514], *buf;
	struct pcap_pkthdr *h;
	const u_char *d;
	struct run r;
	pcap_t *p;
	int n, count = 0, ordered = 1;

	tmp_path(path, sizeof(path), "big.pcapng");
	while (secrets_len + line_len <= 1600 * 1024) {
		memcpy(secrets + secrets_len, keylog, line_len);
		secrets_len += line_len;
	}
	CHECK_EQ(pcapng_open(&w, path, APPL), 0);
	CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
	for (i = 0; i <= BIG_PKTS; i++) {
		struct pcapng_packet pp = {
		    .ts_ns = 1700000000000000000ULL + i,
		    .data = pkt,
		    .cap_len = sizeof(pkt),
		    .len = sizeof(pkt),
		};

		if (i == BIG_PKTS)
			CHECK_EQ(
			    pcapng_write_secrets(w, PCAPNG_DSB_TLS_KEYLOG, secrets, secrets_len),
			    0);
		memset(pkt, (int)i, sizeof(pkt));
		memcpy(pkt, &i, sizeof(uint32_t));
		CHECK_EQ(pcapng_write_packet(w, &pp), 0);
	}
	CHECK_EQ(pcapng_close(w), 0);

	buf = slurp(path, &size);
	n = buf ? walk(buf, size, b, ARRAY_SIZE(b)) : -1;
	CHECK_EQ(n, 2 + BIG_PKTS + 2);
	if (n == 2 + BIG_PKTS + 2) {
		for (i = 0; i < BIG_PKTS; i++)
			ordered &= b[2 + i].type == BT_EPB && rd32(b[2 + i].body + 20) == i;
		CHECK(ordered, "packets out of order around buffer flushes");
		check_dsb(&b[2 + BIG_PKTS], secrets, secrets_len);
		CHECK(b[3 + BIG_PKTS].type == BT_EPB && rd32(b[3 + BIG_PKTS].body + 20) == BIG_PKTS,
		      "the packet after the big DSB is not last");
	}
	free(buf);

	p = pcap_open_offline(path, errbuf);
	CHECK(p, "libpcap cannot open %s: %s", path, errbuf);
	while (p && pcap_next_ex(p, &h, &d) == 1) {
		ordered &= h->caplen == sizeof(pkt) && rd32(d) == (uint32_t)count;
		count++;
	}
	CHECK(ordered && count == BIG_PKTS + 1, "libpcap reads %d packets, want %d in order", count,
	      BIG_PKTS + 1);
	if (p)
		pcap_close(p);

	r = run_tool("capinfos", "-M -c -D", path);
	CHECK(r.status == 0 && !r.err[0], "capinfos exit %d: %s", r.status, r.err);
	CHECK(report_value(r.out, "Number of packets", v, sizeof(v)) && atoi(v) == BIG_PKTS + 1,
	      "capinfos: packet count [%s]", v);
	CHECK(report_value(r.out, "Number of decryption secrets in file", v, sizeof(v)) &&
		  atoi(v) == 1,
	      "capinfos: secrets count [%s]", v);
	run_free(&r);
	free(secrets);
}

/* Secrets bigger than the buffer before any interface: straight out, after the held-back SHB. */
static void test_big_secrets_first(void)
{
	static struct blk b[8];
	struct pcapng_writer *w = NULL;
	size_t len = 2 * 1024 * 1024 + 1, size;
	char *secrets = malloc(len), path[512];
	uint8_t *buf;
	int n;

	memset(secrets, 'k', len);
	tmp_path(path, sizeof(path), "big-secrets-first.pcapng");
	CHECK_EQ(pcapng_open(&w, path, APPL), 0);
	CHECK_EQ(pcapng_flush(w), 0);
	CHECK_EQ(pcapng_write_secrets(w, PCAPNG_DSB_TLS_KEYLOG, secrets, len), 0);
	CHECK_EQ(pcapng_add_interface(w, &iface_eth), 0);
	CHECK_EQ(write_pkt(w, 2), 0);
	CHECK_EQ(pcapng_close(w), 0);

	buf = slurp(path, &size);
	n = buf ? walk(buf, size, b, ARRAY_SIZE(b)) : -1;
	CHECK(n == 4 && b[0].type == BT_SHB && b[2].type == BT_IDB && b[3].type == BT_EPB,
	      "not SHB, DSB, IDB, EPB (%d blocks)", n);
	if (n == 4) {
		check_dsb(&b[1], secrets, len);
		check_epb(&b[3], 2);
	}
	free(buf);
	free(secrets);
}

int main(void)
{
	if (check_scratch_dir("pcapng", tmpdir, sizeof(tmpdir)))
		return 1;
	/* The writer reports a gone reader as -EPIPE; the capture loop ignores SIGPIPE too. */
	signal(SIGPIPE, SIG_IGN);

	test_full_file();
	test_cut_at_flush();
	test_bad_arguments();
	test_open_errors();
	test_enospc();
	test_epipe();
	test_fifo_reader();
	test_stdout();
	test_big();
	test_big_secrets_first();

	printf("pcapng: %d passed, %d failed (files in %s)\n", passed, failed, tmpdir);
	return failed ? 1 : 0;
}

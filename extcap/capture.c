// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE /* SCHED_BATCH */
#include <errno.h>
#include <glib.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/param.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture.h"
#include "cgroup.h"
#include "clock.h"
#include "comment.h"
#include "leftovers.h"
#include "log.h"
#include "netdev.h"
#include "packet_source.h"
#include "pcapng.h"
#include "pkt_tuple.h"
#include "secrets.h"
#include "sock_source.h"
#include "tls13_keys.h"
#include "tls_gate.h"
#include "tls_ahead.h"
#include "tls_source.h"

/* The loop wakes at least this often: for stop requests, flushes and the live view. */
#define POLL_MS 100
/*
 * And this often in the first second, until the first packet is out: a
 * capture just started is watched for it, and the rings wake the loop only
 * once they hold 128 KiB.
 */
#define FIRST_POLL_MS 2

static volatile sig_atomic_t stop_requested;

struct capture {
	const struct ecap_options *opts;
	struct netdev *devs;
	int n_devs;
	struct pcapng_writer *out;
	struct packet_source *packets;
	struct tls_source *tls;	 /* NULL with --no-tls */
	struct tls_ahead *ahead; /* libssl builds probed while the programs load */
	bool per_secret;	 /* ECAP_TLS_PER_SECRET: a uprobe per secret (tls_source_opts) */
	struct secrets *secrets; /* dedupe and --keylog-file */
	struct tls_gate *gate;	 /* holds a handshake's packets until its secrets are in */
	struct sock_source *sockets; /* process attribution; NULL where the kernel cannot */
	struct owner_filter filter;  /* --pid, --uid, --comm, --cgroup */
	struct owner_maps owner_maps;
	/* Room to make an owner's comment in: too big for the stack of every packet. */
	struct process_info info;
	char comment[COMMENT_MAX];
	int epoll_fd;
	uint64_t *delivered; /* per dev */
	uint64_t written;
	uint64_t start_ns;
	bool unflushed;
	uint64_t flushed_ns; /* CLOCK_MONOTONIC: the last flush with a packet in it */
	int write_err;
};

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

/* No SA_RESTART: a signal must cut the poll short. A closed reader shows up as EPIPE. */
static void install_signal_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A mistyped pid would capture nothing, silently. */
static int check_pids_exist(const struct ecap_options *opts)
{
	for (int i = 0; i < opts->n_pids; i++) {
		if (kill((pid_t)opts->pids[i], 0) && errno == ESRCH) {
			log_error("--pid %u: no such process; ps or pgrep lists the running ones",
				  opts->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

static int make_filter(struct capture *cap)
{
	const struct ecap_options *opts = cap->opts;
	struct owner_filter *f = &cap->filter;

	if (check_pids_exist(opts))
		return -ESRCH;
	f->pids = opts->pids;
	f->n_pids = opts->n_pids;
	f->follow_children = opts->follow_children;
	f->uid = opts->uid < 0 ? UINT32_MAX : (uint32_t)opts->uid;
	snprintf(f->comm, sizeof(f->comm), "%s", opts->comm ? opts->comm : "");
	f->only_uid = opts->only_uid;
	if (opts->cgroup && cgroup_id(opts->cgroup, &f->cgroup_id)) {
		log_error("no cgroup '%s'; give a path under the cgroup v2 mount, as "
			  "/proc/PID/cgroup shows it", opts->cgroup);
		return -ENOENT;
	}
	return 0;
}

/*
 * Process attribution first: its maps are shared with the packet and TLS
 * programs. Without it the capture goes on, unless a process filter needs it.
 */
static int open_sockets(struct capture *cap)
{
	int err = make_filter(cap);

	if (err)
		return err;
	err = sock_source_open(&cap->sockets, &cap->filter);
	if (!err) {
		sock_source_maps(cap->sockets, &cap->owner_maps);
		return 0;
	}
	if (err == -EPERM)
		return err;
	if (owner_filter_set(&cap->filter)) {
		log_error("--pid, --uid, --comm and --cgroup need process attribution, which this "
			  "kernel cannot do");
		return err;
	}
	log_warn("packets carry no process: this kernel cannot load the attribution programs "
		 "(%s; --verbose tells more)", strerror(-err));
	return 0;
}

/* Loads and attaches first, as tcpdump does: a bad filter or interface leaves no file. */
static int open_packets(struct capture *cap)
{
	const struct ecap_options *opts = cap->opts;
	struct packet_source_opts src_opts = {
		.devs = cap->devs,
		.n_devs = cap->n_devs,
		.filter = opts->filter,
		.snaplen = opts->snaplen,
		.ring_kib = opts->buffer_kib,
		.attach = opts->attach,
		.owner_filter = &cap->filter,
		.owner_maps = cap->sockets ? &cap->owner_maps : NULL,
	};

	cap->delivered = calloc(cap->n_devs, sizeof(*cap->delivered));
	if (!cap->delivered)
		return -ENOMEM;
	return packet_source_open(&cap->packets, &src_opts);
}

static int open_output(struct capture *cap)
{
	const struct ecap_options *opts = cap->opts;
	int err = pcapng_open(&cap->out, opts->output, "ecap-tls " ECAP_VERSION);

	if (err) {
		log_error("cannot write '%s': %s; choose a writable path", opts->output,
			  strerror(-err));
		return err;
	}
	for (int i = 0; i < cap->n_devs; i++) {
		struct pcapng_iface iface = {
			.name = cap->devs[i].name,
			.description = cap->devs[i].description,
			.filter = opts->filter,
			.linktype = cap->devs[i].linktype,
			.snaplen = opts->snaplen,
		};

		err = pcapng_add_interface(cap->out, &iface);
		if (err < 0)
			break;
	}
	/* The reader (Wireshark) wants the header before the first packet arrives. */
	if (err >= 0)
		err = pcapng_flush(cap->out);
	if (err < 0) {
		log_error("failed to write to '%s': %s", opts->output, strerror(-err));
		return err;
	}
	return 0;
}

static bool count_reached(const struct capture *cap)
{
	return cap->opts->count && cap->written >= cap->opts->count;
}

/*
 * The packet's process @o, as a comment a person can read
 * (docs/comment-format.md), made once per owner and kept with it.
 */
static const char *owner_comment(struct capture *cap, const struct owner *o)
{
	struct process_info *info = &cap->info;

	if (!o)
		return NULL;
	if (*o->note)
		return *o->note;
	memset(info, 0, sizeof(*info));
	info->pid = o->pid;
	info->tid = o->tid;
	info->has_tid = o->tid != 0;
	info->uid = o->uid;
	info->has_uid = true;
	snprintf(info->comm, sizeof(info->comm), "%s", o->comm);
	snprintf(info->exe, sizeof(info->exe), "%s", o->exe ? o->exe : "");
	snprintf(info->cgroup, sizeof(info->cgroup), "%s", o->cgroup ? o->cgroup : "");
	snprintf(info->container, sizeof(info->container), "%s", o->container ? o->container : "");
	if (comment_format(info, cap->comment, sizeof(cap->comment)) < 0)
		return NULL;
	*o->note = g_strdup(cap->comment);
	return *o->note;
}

static void write_packet(struct capture *cap, const struct packet *pkt, const char *comment)
{
	struct pcapng_packet epb = {
		.iface_id = pkt->dev,
		.ts_ns = pkt->ts_ns,
		.data = pkt->data,
		.cap_len = pkt->cap_len,
		.len = pkt->len,
		.flags = pkt->dir, /* enum pkt_dir uses the epb_flags direction bits */
		.comment = comment,
	};

	cap->write_err = pcapng_write_packet(cap->out, &epb);
	if (cap->write_err)
		return;
	cap->delivered[pkt->dev]++;
	cap->written++;
	cap->unflushed = true;
}

/* The packets that may go now, in time order; @all for a stop: every one. */
static void write_ready_packets(struct capture *cap, bool all)
{
	uint64_t now = clock_ns(CLOCK_REALTIME);
	const struct packet *pkt;

	/* Waits that ran out end here even when no packet of theirs is at the head. */
	if (cap->gate)
		tls_gate_expire(cap->gate, now);
	while (!cap->write_err && !count_reached(cap) &&
	       (pkt = packet_source_peek(cap->packets, all))) {
		/* Parsed once here for the owner and the gate, both per packet. */
		struct pkt_tuple tuple;
		const struct pkt_tuple *t =
		    pkt_tuple_parse(pkt->data, pkt->cap_len, cap->devs[pkt->dev].linktype, &tuple)
			? NULL
			: &tuple;
		const struct owner *o = cap->sockets ? sock_source_owner(cap->sockets, pkt, t) : NULL;
		/* A user other than root gets comments and secrets of their own processes
		 * only: a packet without a comment is another's, and its handshake would
		 * wait for secrets that never come. */
		const char *comment = owner_comment(cap, o);
		bool may_wait = cap->filter.only_uid == UINT32_MAX || comment;

		if (!all && cap->gate &&
		    tls_gate_check(cap->gate, pkt->data, pkt->cap_len, t, pkt->ts_ns, now,
				   may_wait, o ? o->pid : 0) == GATE_HOLD)
			return; /* head of line: the file stays in time order */
		write_packet(cap, pkt, comment);
		packet_source_next(cap->packets);
	}
	if (count_reached(cap))
		stop_requested = 1;
}

/* A new secret goes into the file at once, ahead of every packet still held. */
static void write_secret(void *ctx, const struct tls_secret *secret)
{
	struct capture *cap = ctx;
	char line[SECRETS_LINE_MAX];

	if (cap->write_err || secrets_add(cap->secrets, secret, line, sizeof(line)) != 1)
		return;
	cap->write_err = pcapng_write_secrets(cap->out, PCAPNG_DSB_TLS_KEYLOG, line, strlen(line));
	cap->unflushed = true;
	tls_gate_secret(cap->gate, secret);
}

/* The gate asks whether a ClientHello's process can hand over its secrets. */
static bool may_report(void *ctx, uint32_t pid)
{
	struct capture *cap = ctx;

	return tls_source_may_report(cap->tls, pid);
}

/* A secret did not decrypt its connection: nothing more from the library that made it. */
static void distrust_library(void *ctx, uint32_t lib)
{
	struct capture *cap = ctx;

	tls_source_distrust(cap->tls, lib);
}

static int consume_events(struct capture *cap)
{
	int err = cap->tls ? tls_source_consume(cap->tls, write_secret, cap) : 0;

	if (err) {
		log_error("failed to read TLS secrets from the kernel: %s", strerror(-err));
		return err;
	}
	/* Sockets before packets: a packet's owner may have been reported just now. */
	if (cap->sockets && sock_source_consume(cap->sockets))
		log_debug("failed to read socket events");
	err = packet_source_consume(cap->packets);
	if (err)
		log_error("failed to read packets from the kernel: %s", strerror(-err));
	return err;
}

/*
 * What pcapng has no field for: secrets lost in the kernel, packets held for
 * secrets, connections whose packets went out without their secrets (timed
 * out, or still waiting at the end). "" without TLS.
 */
static void tls_summary(const struct capture *cap, char *buf, size_t size)
{
	struct tls_gate_stats gate;
	struct secrets_stats sec;

	buf[0] = '\0';
	if (!cap->tls)
		return;
	secrets_get_stats(cap->secrets, &sec);
	tls_gate_get_stats(cap->gate, &gate);
	snprintf(buf, size, "TLS: %llu secrets, %llu lost in the kernel; %llu packets of %llu "
		 "connections held for their secrets, %llu connections written before their "
		 "secrets came (late or missing); %llu handshakes checked against their traffic, "
		 "%llu failed, %llu could not be checked, %llu skipped (over %d a second)",
		 (unsigned long long)sec.added, (unsigned long long)tls_source_lost(cap->tls),
		 (unsigned long long)gate.packets_held, (unsigned long long)gate.flows_waited,
		 (unsigned long long)(gate.flows_timed_out + gate.flows_waiting),
		 (unsigned long long)(gate.handshakes_verified + gate.handshakes_failed),
		 (unsigned long long)gate.handshakes_failed,
		 (unsigned long long)gate.handshakes_unverified,
		 (unsigned long long)gate.handshakes_skipped, TLS_CHECKS_PER_SECOND);
}

/* The first ISB's comment: the TLS counts, then what process attribution lost. */
static void isb_notes(const struct capture *cap, char *buf, size_t size)
{
	size_t len;

	tls_summary(cap, buf, size);
	len = strlen(buf);
	if (cap->sockets)
		snprintf(buf + len, size - len, "%sprocesses: %llu socket events lost in the kernel",
			 len ? "; " : "", (unsigned long long)sock_source_lost(cap->sockets));
}

static int write_statistics(struct capture *cap)
{
	uint64_t now = clock_ns(CLOCK_REALTIME);
	char notes[640];

	isb_notes(cap, notes, sizeof(notes));

	for (int i = 0; i < cap->n_devs; i++) {
		struct packet_counts counts;
		struct pcapng_iface_stats st = {
			.ts_ns = now,
			.start_ns = cap->start_ns,
			.end_ns = now,
			.if_recv = PCAPNG_STAT_UNKNOWN,
			.if_drop = PCAPNG_STAT_UNKNOWN,
			.filter_accept = PCAPNG_STAT_UNKNOWN,
			.os_drop = PCAPNG_STAT_UNKNOWN,
			.usr_deliv = cap->delivered[i],
			/* Capture-wide, so once: with the first interface. */
			.comment = i == 0 ? notes : NULL,
		};
		int err;

		if (!packet_source_counts(cap->packets, i, &counts)) {
			st.if_recv = counts.seen;
			st.filter_accept = counts.accepted;
			st.os_drop = counts.lost;
		}
		err = pcapng_write_stats(cap->out, i, &st);
		if (err)
			return err;
	}
	return 0;
}

/*
 * What tcpdump says at the end. Not for Wireshark: it shows an extcap's stderr
 * as an error, and reads the losses from the Interface Statistics Blocks.
 */
static void print_summary(struct capture *cap)
{
	uint64_t seen = 0, lost = 0;
	char tls[512];

	if (cap->opts->capture)
		return;
	for (int i = 0; i < cap->n_devs; i++) {
		struct packet_counts counts;

		if (packet_source_counts(cap->packets, i, &counts))
			continue;
		seen += counts.seen;
		lost += counts.lost;
	}
	fprintf(stderr, "ecap-tls: %llu packets captured, %llu seen by the hooks, %llu lost in "
		"the kernel%s\n", (unsigned long long)cap->written, (unsigned long long)seen,
		(unsigned long long)lost, lost ? " (raise --buffer-size)" : "");
	tls_summary(cap, tls, sizeof(tls));
	if (tls[0])
		fprintf(stderr, "ecap-tls: %s\n", tls);
	if (cap->sockets && sock_source_lost(cap->sockets))
		fprintf(stderr, "ecap-tls: %llu socket events lost in the kernel: some packets lack "
			"their process\n", (unsigned long long)sock_source_lost(cap->sockets));
}

static uint64_t time_until(uint64_t now, uint64_t when)
{
	return when > now ? when - now : 0;
}

/* Until the next thing to do: a stop by --duration, a held handshake's time-out, a flush. */
static int poll_timeout(const struct capture *cap, uint64_t stop_at)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), wait = POLL_MS * 1000000ULL;

	if (!cap->written && clock_ns(CLOCK_REALTIME) < cap->start_ns + 1000000000ULL)
		wait = FIRST_POLL_MS * 1000000ULL;

	if (stop_at)
		wait = MIN(wait, time_until(now, stop_at));
	if (cap->gate)
		wait = MIN(wait, time_until(clock_ns(CLOCK_REALTIME), tls_gate_deadline(cap->gate)));
	return (int)((wait + 999999) / 1000000);
}

static int wait_for_events(struct capture *cap, uint64_t stop_at)
{
	struct epoll_event ev[3];

	if (packet_source_due(cap->packets))
		return 0;
	if (epoll_wait(cap->epoll_fd, ev, 3, poll_timeout(cap, stop_at)) < 0 && errno != EINTR) {
		log_error("epoll_wait: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * A pipe gets what there is at every wake-up: a live view waits for it. A
 * file gets whole buffers, and the rest a wake-up POLL_MS after the last
 * flush: each write of a file is a disk request (~20 us of CPU in the
 * benchmarks' VM), and writing at every wake-up made ~1000 a second under
 * keep-alive HTTPS (bench/where-the-time-goes.md, session 34). The first
 * packet goes out at once, for whoever watches a capture start. @all: now.
 */
static int flush(struct capture *cap, bool all)
{
	uint64_t now;

	if (!cap->unflushed || cap->write_err)
		return cap->write_err;
	now = clock_ns(CLOCK_MONOTONIC);
	if (!all && pcapng_to_file(cap->out) && cap->flushed_ns &&
	    now < cap->flushed_ns + POLL_MS * 1000000ULL)
		return 0;
	cap->write_err = pcapng_flush(cap->out);
	cap->unflushed = false;
	if (cap->written)
		cap->flushed_ns = now;
	return cap->write_err;
}

/* Packets and secrets in, pcapng out, until a stop; then what is held, and the statistics. */
static int capture_loop(struct capture *cap)
{
	uint64_t stop_at = 0;
	int err = 0;

	if (cap->opts->duration)
		stop_at = clock_ns(CLOCK_MONOTONIC) + cap->opts->duration * 1000000000ULL;

	while (!err && !stop_requested && !cap->write_err) {
		err = wait_for_events(cap, stop_at);
		if (!err)
			err = consume_events(cap);
		if (!err) {
			write_ready_packets(cap, false);
			err = packet_source_spill(cap->packets);
			if (err)
				log_error("no memory for the packets held for their secrets: %s",
					  strerror(-err));
			flush(cap, false);
		}
		if (stop_at && clock_ns(CLOCK_MONOTONIC) >= stop_at)
			break;
	}
	if (err)
		return err;
	/* Nothing comes in from here on: the statistics count what the file has. */
	packet_source_stop(cap->packets);
	/* What the kernel still has, then every held packet, the last secrets first. */
	if (!cap->write_err && !consume_events(cap))
		write_ready_packets(cap, true);
	if (!cap->write_err)
		cap->write_err = write_statistics(cap);
	err = flush(cap, true);
	/* The reader went away: that is how Wireshark and pipes end a capture. */
	if (err == -EPIPE)
		return 0;
	if (err)
		log_error("failed to write to '%s': %s", cap->opts->output, strerror(-err));
	return err;
}

static int open_tls(struct capture *cap)
{
	const struct ecap_options *opts = cap->opts;
	struct tls_source_opts tls_opts = {
		.extra_libs = opts->tls_libs,
		.owner_filter = &cap->filter,
		.owner_maps = cap->sockets ? &cap->owner_maps : NULL,
		.expand_tls13 = tls13_expand_stored,
		.per_secret = cap->per_secret,
		.ahead = cap->ahead,
	};
	int err;

	if (opts->no_tls)
		return 0;
	err = secrets_open(&cap->secrets, opts->keylog_file);
	if (err) {
		log_error("cannot write the key log file '%s': %s", opts->keylog_file,
			  strerror(-err));
		return err;
	}
	cap->gate = tls_gate_new(opts->tls_wait_ms * 1000000ULL);
	if (!cap->gate)
		return -ENOMEM;
	tls_gate_on_misfit(cap->gate, distrust_library, cap);
	tls_gate_on_hello(cap->gate, may_report, cap);
	cap->ahead = NULL; /* tls_source_open() takes it over */
	return tls_source_open(&cap->tls, &tls_opts);
}

static int watch(struct capture *cap, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (epoll_ctl(cap->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		log_error("epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_events(struct capture *cap)
{
	int err;

	cap->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (cap->epoll_fd < 0) {
		log_error("epoll_create1: %s", strerror(errno));
		return -errno;
	}
	err = watch(cap, packet_source_fd(cap->packets));
	if (!err && cap->tls)
		err = watch(cap, tls_source_fd(cap->tls));
	if (!err && cap->sockets)
		err = watch(cap, sock_source_fd(cap->sockets));
	return err;
}

static void capture_free(struct capture *cap)
{
	if (cap->epoll_fd > 0)
		close(cap->epoll_fd);
	tls_ahead_finish(cap->ahead, NULL);
	tls_source_close(cap->tls);
	sock_source_close(cap->sockets);
	tls_gate_free(cap->gate);
	secrets_close(cap->secrets);
	packet_source_close(cap->packets);
	free(cap->delivered);
	free(cap->devs);
}

/*
 * CO-RE needs the kernel's type information; without it every program fails
 * to load. The sysfs file is the quick answer, libbpf's search the thorough one.
 */
static int check_btf(void)
{
	struct btf *btf;

	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 0;
	btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(btf)) {
		log_error("this kernel offers no BTF type information (no /sys/kernel/btf/vmlinux); "
			  "ecap-tls needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOENT;
	}
	btf__free(btf);
	return 0;
}

/*
 * libbpf reads the kernel's BTF (5 MB) anew for each object it loads, into
 * buffers it frees once the object is loaded. glibc hands buffers that large
 * back to the kernel at once, so that every object's copy faulted in fresh
 * pages: thousands of page faults an object, a quarter of a start on a VM
 * where each traps to the host. While loading, freed memory stays in the heap
 * for the next object; then it goes back, and glibc's defaults return.
 */
static void keep_freed_memory(bool keep)
{
	mallopt(M_MMAP_THRESHOLD, keep ? 32 << 20 : 128 << 10);
	mallopt(M_TRIM_THRESHOLD, keep ? 64 << 20 : 128 << 10);
	if (!keep)
		malloc_trim(0);
}

/*
 * The capture can wait a few milliseconds for a CPU: its rings hold far more
 * than that. As a batch task it still gets its fair share, but its wake-ups
 * no longer preempt the processes whose traffic it captures: keep-alive HTTPS
 * gained ~1% of its requests/s, ahead in 48 of 80 paired rounds
 * (bench/where-the-time-goes.md, session 22). A policy the user chose, with
 * chrt for instance, is theirs.
 */
static void yield_to_traffic(void)
{
	struct sched_param param = { 0 };

	if (sched_getscheduler(0) != SCHED_OTHER)
		return;
	if (sched_setscheduler(0, SCHED_BATCH, &param))
		log_debug("cannot become a batch task (SCHED_BATCH): %s", strerror(errno));
}

int capture_run(const struct ecap_options *opts)
{
	struct capture cap = { .opts = opts };
	int err;

	install_signal_handlers();
	err = check_btf();
	if (err)
		goto out;
	err = netdev_select(opts->interfaces, &cap.devs);
	if (err < 0)
		goto out;
	cap.n_devs = err;
	/* A killed earlier capture's filters would go on running: they go first. */
	err = leftovers_remove();
	if (err < 0)
		log_debug("cannot look for TC filters of killed captures: %s", strerror(-err));
	cap.per_secret = getenv("ECAP_TLS_PER_SECRET") != NULL;
	if (!opts->no_tls)
		cap.ahead = tls_ahead_start(cap.per_secret);
	keep_freed_memory(true);
	err = open_sockets(&cap);
	if (!err)
		err = open_packets(&cap);
	if (!err)
		err = open_tls(&cap);
	if (!err)
		err = open_events(&cap);
	keep_freed_memory(false);
	if (err)
		goto out;
	yield_to_traffic();
	err = open_output(&cap);
	if (err)
		goto out;
	cap.start_ns = clock_ns(CLOCK_REALTIME);

	err = capture_loop(&cap);
	print_summary(&cap);
out:
	/*
	 * The file first: its reader sees the end at once, while removing the
	 * uprobes waits for the kernel (about 0.1 s each). Errors were reported.
	 */
	pcapng_close(cap.out);
	capture_free(&cap);
	return err ? 1 : 0;
}

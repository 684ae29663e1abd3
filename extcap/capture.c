// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture.h"
#include "log.h"
#include "netdev.h"
#include "packet_source.h"
#include "pcapng.h"

/* The loop wakes at least this often: for stop requests, flushes and the live view. */
#define POLL_MS 100

static volatile sig_atomic_t stop_requested;

struct capture {
	const struct ecap_options *opts;
	struct netdev *devs;
	int n_devs;
	struct pcapng_writer *out;
	struct packet_source *packets;
	uint64_t *delivered; /* per dev */
	uint64_t written;
	uint64_t start_ns;
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

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int select_named(struct capture *cap, char **names)
{
	int n = 0;

	while (names[n])
		n++;
	cap->devs = calloc(n, sizeof(*cap->devs));
	if (!cap->devs)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (netdev_lookup(names[i], &cap->devs[i])) {
			log_error("no interface named '%s' in this network namespace; 'ip link' "
				  "lists them", names[i]);
			return -ENODEV;
		}
		for (int j = 0; j < i; j++) {
			if (cap->devs[j].ifindex == cap->devs[i].ifindex) {
				log_error("interface '%s' is given twice; name it once", names[i]);
				return -EINVAL;
			}
		}
	}
	cap->n_devs = n;
	return 0;
}

static int select_up(struct capture *cap)
{
	int n = netdev_list(&cap->devs);

	if (n < 0) {
		log_error("failed to list network interfaces: %s", strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (cap->devs[i].up)
			cap->devs[cap->n_devs++] = cap->devs[i];
	}
	if (!cap->n_devs) {
		log_error("no network interface is up; bring one up or name one with -i");
		return -ENODEV;
	}
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

static int write_packet(void *ctx, const struct packet *pkt)
{
	struct capture *cap = ctx;
	struct pcapng_packet epb = {
		.iface_id = pkt->dev,
		.ts_ns = pkt->ts_ns,
		.data = pkt->data,
		.cap_len = pkt->cap_len,
		.len = pkt->len,
		.flags = pkt->dir, /* enum pkt_dir uses the epb_flags direction bits */
	};
	int err = pcapng_write_packet(cap->out, &epb);

	if (err) {
		cap->write_err = err;
		return 1;
	}
	cap->delivered[pkt->dev]++;
	cap->written++;
	if (cap->opts->count && cap->written >= cap->opts->count) {
		stop_requested = 1;
		return 1;
	}
	return 0;
}

static int write_statistics(struct capture *cap)
{
	uint64_t now = clock_ns(CLOCK_REALTIME);

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
}

static int poll_timeout(const struct capture *cap, uint64_t deadline)
{
	uint64_t now;

	if (!deadline)
		return POLL_MS;
	now = clock_ns(CLOCK_MONOTONIC);
	if (now >= deadline)
		return 0;
	return (deadline - now) / 1000000 < POLL_MS ? (int)((deadline - now) / 1000000) : POLL_MS;
}

static bool count_reached(const struct capture *cap)
{
	return cap->opts->count && cap->written >= cap->opts->count;
}

/* Packets in, pcapng out, until a stop; then what is still held, and the statistics. */
static int capture_loop(struct capture *cap)
{
	uint64_t deadline = 0;
	int n, err;

	if (cap->opts->duration)
		deadline = clock_ns(CLOCK_MONOTONIC) + cap->opts->duration * 1000000000ULL;

	while (!stop_requested && !cap->write_err) {
		n = packet_source_poll(cap->packets, poll_timeout(cap, deadline), write_packet, cap);
		if (n < 0) {
			log_error("failed to read packets from the kernel: %s", strerror(-n));
			return n;
		}
		if (n > 0 && !cap->write_err)
			cap->write_err = pcapng_flush(cap->out);
		if (deadline && clock_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}
	if (!cap->write_err && !count_reached(cap)) {
		n = packet_source_drain(cap->packets, write_packet, cap);
		if (n < 0) {
			log_error("failed to read packets from the kernel: %s", strerror(-n));
			return n;
		}
	}
	err = cap->write_err;
	if (!err)
		err = write_statistics(cap);
	if (!err)
		err = pcapng_flush(cap->out);
	/* The reader went away: that is how Wireshark and pipes end a capture. */
	if (err == -EPIPE)
		return 0;
	if (err)
		log_error("failed to write to '%s': %s", cap->opts->output, strerror(-err));
	return err;
}

static void capture_free(struct capture *cap)
{
	packet_source_close(cap->packets);
	free(cap->delivered);
	free(cap->devs);
}

int capture_run(const struct ecap_options *opts)
{
	struct capture cap = { .opts = opts };
	int err;

	install_signal_handlers();
	err = opts->interfaces ? select_named(&cap, opts->interfaces) : select_up(&cap);
	if (err)
		goto out;
	err = open_packets(&cap);
	if (err)
		goto out;
	err = open_output(&cap);
	if (err)
		goto out;
	cap.start_ns = clock_ns(CLOCK_REALTIME);

	err = capture_loop(&cap);
	print_summary(&cap);
out:
	capture_free(&cap);
	/* Errors were reported already; closing flushes nothing new. */
	pcapng_close(cap.out);
	return err ? 1 : 0;
}

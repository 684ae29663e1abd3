// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "filter.h"
#include "log.h"
#include "owner_filter.h"
#include "packet_ring.h"
#include "packet_source.h"
#include "reader_cpus.h"
#include "ring_reader.h"
#include "packets.h"
#include "packets.skel.h"

/*
 * How long after a packet's stamp an idle CPU may still put an earlier one into
 * its ring: the TC program stamps a packet and reserves its record within
 * microseconds, with bottom halves off; a vCPU the host stops in between for
 * longer puts its packet out of order, with the previous packet's time.
 */
#define SLACK_NS (5 * 1000 * 1000ULL)

/* The smallest ring per CPU: it must hold a 64 KiB GSO packet. */
#define MIN_RING_KIB 64

/*
 * Packets stay in their ring until written. Only when the writer lags (a
 * handshake's packets wait for their secrets) and a ring passes half full
 * are its records copied out as they were ("spilled"), so that the kernel
 * has room for more: those the writer held, never those that only wait for
 * the slack, which frees them within SLACK_NS. At 530 MB/s (datagrams of
 * 8000 bytes on loopback) the slack alone holds half of a 4 MiB ring, and
 * copying it, a malloc() a record, took the reader away for 6-7 ms at a
 * time while the ring overflowed (bench/where-the-time-goes.md, session 37).
 */
struct held_packet {
	struct held_packet *next;
	uint64_t record[]; /* struct pkt_event, then the data */
};

/* One ring's packets in time order: those spilled, then those still in the ring. */
struct ring_queue {
	struct packet_ring ring;
	struct held_packet *spilled, *spilled_tail;
	const struct pkt_event *head; /* the first packet, once looked up; NULL: look again */
	uint64_t last_in; /* stamp of the last packet passed: the ring's next is no earlier */
};

struct packet_source {
	struct packets_bpf *skel;
	void *rings;		    /* the rings map, mapped */
	size_t rings_len;
	struct ring_reader wakeups; /* readable when a ring passes the point asked */
	/* Per ring, merged by time: every CPU's small ring, if any, then every CPU's big one. */
	struct ring_queue *queues;
	int n_queues;
	struct reader_cpus reader;  /* keeps us near the rings that fill */
	struct ring_queue *peeked;  /* whose head packet_source_peek() returned */
	struct packet current;	    /* that head */
	uint8_t *vlan_buf;	    /* its data, where a VLAN tag went back in */
	const struct netdev *devs;
	int *dev_of_ifindex; /* index into devs, -1 for none; up to the highest ifindex */
	uint32_t n_ifindexes;
	bool filtering;	     /* the TC programs count what they see; else only losses */
	uint64_t *passed;    /* per dev: packets read, the count when not filtering */
	int n_devs;
	struct tc_hook *hooks; /* ingress and egress of each dev */
	int n_hooks;
	/* Filters the kernel can't run (too long), applied here instead. */
	struct filter_prog *user_filters;
	int64_t mono_to_real;
	uint64_t horizon; /* every CPU's packets stamped up to here (monotonic) are in */
	uint64_t last_ts;
	int ncpus;
};

/* The interface's slot by ifindex, and every CPU's copy of its state. */
static int set_state(struct packet_source *src, const struct netdev *dev, __u32 slot, bool filtered)
{
	struct iface_state per_cpu[src->ncpus];
	__u32 key = dev->ifindex, value = slot + 1;

	for (int cpu = 0; cpu < src->ncpus; cpu++) {
		per_cpu[cpu] = (struct iface_state){
			.filtered = filtered,
			.raw = dev->linktype == LINKTYPE_RAW,
		};
	}
	if (bpf_map_update_elem(bpf_map__fd(src->skel->maps.states), &slot, per_cpu, 0))
		return -errno;
	return bpf_map_update_elem(bpf_map__fd(src->skel->maps.slots), &key, &value, 0);
}

static int configure_iface(struct packet_source *src, int slot, const struct packet_source_opts *opts)
{
	const struct netdev *dev = &opts->devs[slot];
	struct iface_cfg cfg = {};
	struct filter_prog prog;
	char err[FILTER_ERRBUF_SIZE];

	if (opts->filter) {
		if (filter_compile(opts->filter, dev->linktype, opts->snaplen, &prog, err, sizeof(err))) {
			log_error("invalid capture filter for %s: %s", dev->name, err);
			return -EINVAL;
		}
		if (filter_fits_kernel(&prog)) {
			memcpy(cfg.filter, prog.insns, prog.len * sizeof(prog.insns[0]));
			cfg.filter_len = prog.len;
			filter_free(&prog);
		} else {
			log_debug("capture filter for %s (%u instructions) runs in user space",
				  dev->name, prog.len);
			src->user_filters[slot] = prog;
		}
	}
	if (bpf_map_update_elem(bpf_map__fd(src->skel->maps.ifaces), &(__u32){ slot }, &cfg, 0) ||
	    set_state(src, dev, slot, cfg.filter_len != 0)) {
		log_error("failed to configure capture of %s: %s", dev->name, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Loopback shows each packet on egress and again on ingress; tcpdump shows it once, inbound. */
static int attach_iface(struct packet_source *src, const struct netdev *dev, enum attach_mode mode)
{
	static const char *const names[] = { "ingress", "egress" };
	int prog_fd[] = { bpf_program__fd(src->skel->progs.ecap_ingress),
			  bpf_program__fd(src->skel->progs.ecap_egress) };

	for (int egress = 0; egress <= !dev->loopback; egress++) {
		struct tc_hook *hook = &src->hooks[src->n_hooks];
		int err = tc_attach(prog_fd[egress], dev->ifindex, egress, mode, hook);

		if (err) {
			log_error("failed to attach the TC %s hook of %s: %s", names[egress],
				  dev->name, strerror(-err));
			return err;
		}
		src->n_hooks++;
	}
	return 0;
}

/* A CPU's rings: their sizes, and the bytes of its entry in the rings map. */
struct ring_sizes {
	uint64_t big, small; /* small: 0 for none */
	uint32_t small_snaplen; /* the largest record the small ring takes */
	size_t small_entry, entry;
};

/* -B is the total of the big rings; each CPU's gets its share, a power of two. */
static struct ring_sizes ring_sizes(const struct packet_source_opts *opts, int ncpus)
{
	size_t want = (size_t)opts->ring_kib / ncpus, kib = MIN_RING_KIB, page = sysconf(_SC_PAGESIZE);
	struct ring_sizes sz = { 0 };

	while (kib < want)
		kib <<= 1;
	sz.big = kib * 1024;
	if (sz.big > SMALL_RING_SIZE) {
		sz.small = SMALL_RING_SIZE;
		sz.small_snaplen = MIN(opts->snaplen, SMALL_RING_SNAPLEN);
		sz.small_entry = packet_ring_entry_size(sz.small, sz.small_snaplen, page);
	}
	sz.entry = sz.small_entry + packet_ring_entry_size(sz.big, opts->snaplen, page);
	return sz;
}

static struct ring_queue *big_queue(struct packet_source *src, int cpu)
{
	return &src->queues[src->n_queues - src->ncpus + cpu];
}

/* The small ring of the CPU whose big ring queue @i reads; NULL for none. */
static struct ring_queue *small_before(struct packet_source *src, int i)
{
	return src->n_queues > src->ncpus && i >= src->ncpus ? &src->queues[i - src->ncpus] : NULL;
}

static void queue_append(struct ring_queue *q, struct held_packet *held)
{
	held->next = NULL;
	if (q->spilled_tail)
		q->spilled_tail->next = held;
	else
		q->spilled = held;
	q->spilled_tail = held;
}

/* Copies the ring's packets stamped before @until out, so that their space goes back. */
static int spill(struct ring_queue *q, uint64_t until)
{
	const struct pkt_event *ev;

	while ((ev = packet_ring_peek(&q->ring)) && ev->ts_mono < until) {
		size_t size = ring_record_size(ev->cap_len);
		struct held_packet *held = malloc(sizeof(*held) + size);

		if (!held)
			return -ENOMEM;
		memcpy(held->record, ev, size);
		queue_append(q, held);
		packet_ring_pass(&q->ring);
	}
	q->head = NULL; /* it may have been a ring record, copied now */
	return 0;
}

/* Kept until it passes: each packet's merge asks every queue for its head several times. */
static const struct pkt_event *queue_head(struct ring_queue *q)
{
	if (!q->head)
		q->head = q->spilled ? (const struct pkt_event *)q->spilled->record
				     : packet_ring_peek(&q->ring);
	return q->head;
}

/* The index into devs of the interface with @ifindex; -1: not one of ours. */
static int dev_of(const struct packet_source *src, uint32_t ifindex)
{
	return ifindex < src->n_ifindexes ? src->dev_of_ifindex[ifindex] : -1;
}

static void queue_pass(struct packet_source *src, struct ring_queue *q)
{
	struct held_packet *held = q->spilled;
	int dev = dev_of(src, queue_head(q)->ifindex);

	if (dev >= 0)
		src->passed[dev]++;
	q->last_in = queue_head(q)->ts_mono;
	q->head = NULL;
	if (!held) {
		packet_ring_pass(&q->ring);
		return;
	}
	q->spilled = held->next;
	if (!q->spilled)
		q->spilled_tail = NULL;
	free(held);
}

/* Where the hardware stripped a VLAN tag, it goes back after the MAC addresses, as libpcap does. */
static const uint8_t *with_vlan_tag(struct packet_source *src, const struct pkt_event *ev)
{
	const uint8_t *data = (const uint8_t *)(ev + 1);
	uint16_t tci = __builtin_bswap16(ev->vlan_tci);

	memcpy(src->vlan_buf, data, 12);
	memcpy(src->vlan_buf + 12, &ev->vlan_proto, 2);
	memcpy(src->vlan_buf + 14, &tci, 2);
	memcpy(src->vlan_buf + 16, data + 12, ev->cap_len - 12);
	return src->vlan_buf;
}

/* src->current for @ev; false for a packet to skip (a filter run here rejects it). */
static bool make_packet(struct packet_source *src, const struct pkt_event *ev)
{
	struct packet *pkt = &src->current;
	const struct filter_prog *prog;
	int dev = dev_of(src, ev->ifindex);
	bool vlan;

	if (dev < 0)
		return false;
	vlan = ev->vlan_proto && ev->cap_len >= 12 && src->devs[dev].linktype == LINKTYPE_ETHERNET;
	*pkt = (struct packet){
		.sock_cookie = ev->sock_cookie,
		.dev = dev,
		.len = ev->len + (vlan ? 4 : 0),
		.cap_len = ev->cap_len + (vlan ? 4 : 0),
		.dir = ev->dir,
		.data = vlan ? with_vlan_tag(src, ev) : (const uint8_t *)(ev + 1),
	};
	prog = &src->user_filters[dev];
	return !prog->insns || filter_run(prog, pkt->data, pkt->cap_len, pkt->len);
}

int packet_source_fd(const struct packet_source *src)
{
	return bpf_map__fd(src->skel->maps.wakeups);
}

/* A wake-up call carries nothing: the rings say what there is. */
static int on_wakeup(void *ctx, const void *data, uint32_t size)
{
	return 0;
}

int packet_source_consume(struct packet_source *src)
{
	/* Everything stamped a slack before this instant is in a ring once we read it. */
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int err = ring_reader_drain(&src->wakeups, on_wakeup, NULL);

	if (err < 0)
		return err;
	/* In order: may_go() counts on a CPU's small ring being read before its big one. */
	for (int i = 0; i < src->n_queues; i++) {
		struct ring_queue *q = &src->queues[i];
		uint64_t end = q->ring.end;

		packet_ring_refresh(&q->ring);
		reader_cpus_filled(&src->reader, i % src->ncpus, q->ring.end - end);
		packet_ring_release(&q->ring);
	}
	reader_cpus_update(&src->reader, now);
	src->horizon = now > SLACK_NS ? now - SLACK_NS : 0;
	return 0;
}

int packet_source_spill(struct packet_source *src)
{
	/* A full small ring sends packets on to the big one: that one spills. */
	for (int cpu = 0; cpu < src->ncpus; cpu++) {
		struct ring_queue *q = big_queue(src, cpu);
		int err;

		if (packet_ring_unpassed(&q->ring) <= q->ring.size / 2)
			continue;
		err = spill(q, src->horizon);
		if (err)
			return err;
		packet_ring_release(&q->ring);
	}
	return 0;
}

bool packet_source_due(const struct packet_source *src)
{
	for (int i = 0; i < src->n_queues; i++) {
		if (packet_ring_due(&src->queues[i].ring))
			return true;
	}
	return false;
}

/*
 * Whether no ring can still bring a packet stamped earlier than @ts, the
 * earliest head. None brings one stamped before the horizon. Past it, each
 * ring is in time order: one with a packet queued brings later ones only,
 * an idle one none before its last. A big ring, read after its CPU's small
 * one, brings packets written after all that was read there: later than the
 * small ring's head, if it has one.
 */
static bool may_go(struct packet_source *src, uint64_t ts)
{
	if (ts <= src->horizon)
		return true;
	for (int i = 0; i < src->n_queues; i++) {
		struct ring_queue *q = &src->queues[i], *small;

		if (queue_head(q) || ts <= q->last_in)
			continue;
		small = small_before(src, i);
		if (small && queue_head(small))
			continue;
		return false;
	}
	return true;
}

/* The queue with the earliest packet: a scan, as rings are few. */
static struct ring_queue *earliest_queue(struct packet_source *src)
{
	struct ring_queue *best = NULL;
	uint64_t best_ts = 0;

	for (int i = 0; i < src->n_queues; i++) {
		const struct pkt_event *ev = queue_head(&src->queues[i]);

		if (ev && (!best || ev->ts_mono < best_ts)) {
			best = &src->queues[i];
			best_ts = ev->ts_mono;
		}
	}
	return best;
}

/* Nothing more to write for now: the space of what was written goes back. */
static void release_all(struct packet_source *src)
{
	for (int i = 0; i < src->n_queues; i++)
		packet_ring_release(&src->queues[i].ring);
}

const struct packet *packet_source_peek(struct packet_source *src, bool all)
{
	const struct pkt_event *ev;
	struct ring_queue *q;

	for (;;) {
		q = earliest_queue(src);
		src->peeked = q;
		if (!q) {
			release_all(src);
			return NULL;
		}
		ev = queue_head(q);
		if (!all && !may_go(src, ev->ts_mono)) {
			release_all(src);
			return NULL;
		}
		if (make_packet(src, ev))
			break;
		queue_pass(src, q);
	}
	/* A packet later than the slack keeps its place: the file stays in time order. */
	src->current.ts_ns = ev->ts_mono + src->mono_to_real;
	if (src->current.ts_ns < src->last_ts)
		src->current.ts_ns = src->last_ts;
	return &src->current;
}

void packet_source_next(struct packet_source *src)
{
	struct ring_queue *q = src->peeked ? src->peeked : earliest_queue(src);

	src->peeked = NULL;
	if (!q || !queue_head(q))
		return;
	queue_pass(src, q);
	src->last_ts = src->current.ts_ns;
}

int packet_source_counts(struct packet_source *src, int dev, struct packet_counts *counts)
{
	struct iface_state per_cpu[src->ncpus];
	__u32 key = dev;

	memset(counts, 0, sizeof(*counts));
	if (bpf_map_lookup_elem(bpf_map__fd(src->skel->maps.states), &key, per_cpu))
		return -errno;
	for (int cpu = 0; cpu < src->ncpus; cpu++) {
		counts->seen += per_cpu[cpu].seen;
		counts->accepted += per_cpu[cpu].accepted;
		counts->lost += per_cpu[cpu].lost;
	}
	if (!src->filtering)
		counts->seen = counts->accepted = src->passed[dev] + counts->lost;
	return 0;
}

static __u32 highest_ifindex(const struct packet_source_opts *opts)
{
	__u32 highest = 0;

	for (int i = 0; i < opts->n_devs; i++)
		if ((__u32)opts->devs[i].ifindex > highest)
			highest = opts->devs[i].ifindex;
	return highest;
}

static int index_devs(struct packet_source *src, const struct packet_source_opts *opts)
{
	src->n_ifindexes = highest_ifindex(opts) + 1;
	src->dev_of_ifindex = malloc(src->n_ifindexes * sizeof(*src->dev_of_ifindex));
	if (!src->dev_of_ifindex)
		return -ENOMEM;
	for (uint32_t i = 0; i < src->n_ifindexes; i++)
		src->dev_of_ifindex[i] = -1;
	for (int i = 0; i < opts->n_devs; i++)
		src->dev_of_ifindex[opts->devs[i].ifindex] = i;
	return 0;
}

/* Every CPU's rings, from one mapping of the rings map: an entry each. */
static int map_rings(struct packet_source *src, const struct ring_sizes *sz, uint32_t snaplen)
{
	src->rings_len = sz->entry * src->ncpus;
	src->rings = mmap(NULL, src->rings_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			  bpf_map__fd(src->skel->maps.rings), 0);
	if (src->rings == MAP_FAILED) {
		src->rings = NULL;
		return -errno;
	}
	src->n_queues = sz->small ? 2 * src->ncpus : src->ncpus;
	for (int cpu = 0; cpu < src->ncpus; cpu++) {
		uint8_t *entry = (uint8_t *)src->rings + cpu * sz->entry;

		if (sz->small)
			packet_ring_init(&src->queues[cpu].ring, entry, sz->small, sz->small_snaplen);
		packet_ring_init(&big_queue(src, cpu)->ring, entry + sz->small_entry, sz->big,
				 snaplen);
	}
	return ring_reader_open(&src->wakeups, bpf_map__fd(src->skel->maps.wakeups),
				bpf_map__max_entries(src->skel->maps.wakeups));
}

static int load(struct packet_source *src, const struct packet_source_opts *opts)
{
	struct ring_sizes sz = ring_sizes(opts, src->ncpus);
	int err;

	src->skel = packets_bpf__open();
	if (!src->skel) {
		log_error("failed to open the packet capture eBPF object: %s", strerror(errno));
		return -errno;
	}
	src->skel->rodata->snaplen = opts->snaplen;
	src->skel->rodata->ring_size = sz.big;
	src->skel->rodata->small_ring_size = sz.small;
	src->skel->rodata->small_ring_entry = sz.small_entry;
	src->skel->rodata->filtering = src->filtering;
	if (opts->owner_filter)
		OWNER_FILTER_RODATA(src->skel->rodata, opts->owner_filter);
	err = owner_maps_reuse(opts->owner_maps, src->skel->maps.owners, src->skel->maps.tuples,
			       src->skel->maps.filter_pids, src->skel->maps.udp_cookies);
	if (err) {
		log_error("failed to share the socket owner maps: %s", strerror(-err));
		return err;
	}
	bpf_map__set_max_entries(src->skel->maps.slots, src->n_ifindexes);
	bpf_map__set_max_entries(src->skel->maps.rings, src->ncpus);
	bpf_map__set_value_size(src->skel->maps.rings, sz.entry);

	err = packets_bpf__load(src->skel);
	if (err) {
		log_load_error("packet capture", err);
		return err;
	}
	err = map_rings(src, &sz, opts->snaplen);
	if (err)
		log_error("failed to map the packet rings (%zu bytes): %s", src->rings_len,
			  strerror(-err));
	return err;
}

int packet_source_open(struct packet_source **out, const struct packet_source_opts *opts)
{
	struct packet_source *src;
	int err;

	*out = NULL;
	if (opts->n_devs > MAX_IFACES) {
		log_error("too many interfaces (%d); at most %d", opts->n_devs, MAX_IFACES);
		return -E2BIG;
	}
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->devs = opts->devs;
	src->n_devs = opts->n_devs;
	src->mono_to_real = clock_mono_to_real();
	src->ncpus = libbpf_num_possible_cpus();
	src->filtering = opts->filter || (opts->owner_filter && owner_filter_set(opts->owner_filter));
	src->hooks = calloc(2 * opts->n_devs + 1, sizeof(*src->hooks));
	src->user_filters = calloc(opts->n_devs + 1, sizeof(*src->user_filters));
	src->passed = calloc(opts->n_devs + 1, sizeof(*src->passed));
	src->vlan_buf = malloc((size_t)opts->snaplen + 4);
	if (src->ncpus > 0)
		src->queues = calloc(2 * src->ncpus, sizeof(*src->queues));
	if (src->ncpus <= 0 || !src->hooks || !src->user_filters || !src->passed || !src->queues ||
	    !src->vlan_buf || index_devs(src, opts)) {
		err = -ENOMEM;
		goto fail;
	}

	err = load(src, opts);
	if (!err) {
		err = reader_cpus_init(&src->reader, src->ncpus, big_queue(src, 0)->ring.size);
		if (err)
			log_error("failed to read the packet reader's CPU affinity: %s",
				  strerror(-err));
	}
	for (int i = 0; !err && i < opts->n_devs; i++)
		err = configure_iface(src, i, opts);
	for (int i = 0; !err && i < opts->n_devs; i++)
		err = attach_iface(src, &opts->devs[i], opts->attach);
	if (err)
		goto fail;
	*out = src;
	return 0;
fail:
	packet_source_close(src);
	return err;
}

static void free_spilled(struct ring_queue *q)
{
	while (q->spilled) {
		struct held_packet *held = q->spilled;

		q->spilled = held->next;
		free(held);
	}
	q->spilled_tail = NULL;
	q->head = NULL;
}

void packet_source_stop(struct packet_source *src)
{
	while (src->n_hooks > 0)
		tc_detach(&src->hooks[--src->n_hooks]);
}

void packet_source_close(struct packet_source *src)
{
	if (!src)
		return;
	packet_source_stop(src);
	ring_reader_close(&src->wakeups);
	if (src->rings)
		munmap(src->rings, src->rings_len);
	packets_bpf__destroy(src->skel);
	for (int i = 0; i < src->n_queues; i++)
		free_spilled(&src->queues[i]);
	free(src->queues);
	reader_cpus_free(&src->reader);
	free(src->vlan_buf);
	for (int i = 0; src->user_filters && i < src->n_devs; i++)
		filter_free(&src->user_filters[i]);
	free(src->user_filters);
	free(src->passed);
	free(src->dev_of_ifindex);
	free(src->hooks);
	free(src);
}

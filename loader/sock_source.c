// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>
#include "cgroup.h"
#include "flow_cache.h"
#include "gen_table.h"
#include "log.h"
#include "netdev.h"
#include "owner_filter.h"
#include "packets.h"
#include "pkt_tuple.h"
#include "proc_parse.h"
#include "proc_sockets.h"
#include "ring_reader.h"
#include "seeded_hash.h"
#include "sock_source.h"
#include "sockets.h"
#include "sockets.skel.h"

/*
 * Sockets and programs remembered at most, like the kernel's LRU maps, so a
 * long capture's memory stays flat. The socket tables forget the sockets no
 * packet used lately (gen_table.h); the program table starts afresh.
 */
#define MAX_REMEMBERED 65536

/* The kernel's owner maps without an owner filter, which alone reads them. */
#define UNFILTERED_OWNER_SLOTS 64

/* Rescan the cgroup tree for an unknown cgroup at most this often. */
#define CGROUP_RESCAN_NS (1000 * 1000 * 1000ULL)

/*
 * Who owns a socket. The sockets of one owner share one record (interned in
 * the owners table, freed with its last socket), so that a new connection
 * costs its table entries, not another copy of the owner and its comment.
 */
struct owner_rec {
	uint32_t pid;
	uint32_t tid;
	uint32_t uid;
	char comm[16];
	uint64_t cgroup_id;
	char *note; /* the caller's, made once per owner: its packet comment */
	uint32_t refs;
	GHashTable *interned_in;
};

static guint owner_hash(gconstpointer p)
{
	const struct owner_rec *r = p;

	return ((r->pid * 31u + r->tid) * 31u + r->uid) * 31u ^ g_str_hash(r->comm) ^
	       (guint)(r->cgroup_id ^ r->cgroup_id >> 32);
}

static gboolean owner_equal(gconstpointer a, gconstpointer b)
{
	const struct owner_rec *x = a, *y = b;

	return x->pid == y->pid && x->tid == y->tid && x->uid == y->uid &&
	       x->cgroup_id == y->cgroup_id && !strcmp(x->comm, y->comm);
}

static void free_rec(gpointer p)
{
	struct owner_rec *rec = p;

	g_free(rec->note);
	g_free(rec);
}

/* A table's reference to the shared record of @who's owner. */
static struct owner_rec *intern(GHashTable *owners, const struct owner_rec *who)
{
	struct owner_rec *rec = g_hash_table_lookup(owners, who);

	if (!rec) {
		rec = g_new0(struct owner_rec, 1);
		rec->pid = who->pid;
		rec->tid = who->tid;
		rec->uid = who->uid;
		memcpy(rec->comm, who->comm, sizeof(rec->comm));
		rec->cgroup_id = who->cgroup_id;
		rec->interned_in = owners;
		g_hash_table_add(owners, rec);
	}
	rec->refs++;
	return rec;
}

/* A table lets go of a record; the last reference frees it. */
static void release(gpointer p)
{
	struct owner_rec *rec = p;

	if (!--rec->refs)
		g_hash_table_remove(rec->interned_in, rec);
}

/* A socket's addresses, local side first; zeros where it has none (a listener). */
struct tuple_key {
	uint8_t family;
	uint8_t protocol;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[16];
	uint8_t raddr[16];
};

struct sock_source {
	struct sockets_bpf *skel;
	struct ring_reader ring;
	GPtrArray *links;
	GHashTable *owners;    /* struct owner_rec, one per owner, shared by the two below */
	struct gen_table by_cookie; /* uint64 -> struct owner_rec */
	struct gen_table by_tuple;  /* struct tuple_key -> struct owner_rec */
	GHashTable *exes;      /* pid -> path */
	GHashTable *cgroups;   /* cgroup id -> path */
	char cgroup_root[PATH_MAX];
	uint64_t cgroups_scanned;
	uint32_t netns;
	uint32_t only_uid; /* a user not root sees only their own processes; UINT32_MAX: all */
	bool filtered;	   /* an owner filter: the kernel's owner maps are read */
	struct flow_cache flows; /* packet flow -> struct owner_rec * of by_cookie or by_tuple, or NULL */
	struct owner result;
	char container[CGROUP_CONTAINER_ID_SIZE];
};

/* Addresses the network sends, looked up per packet. */
static guint tuple_hash(gconstpointer p)
{
	return seeded_hash(p, sizeof(struct tuple_key));
}

static gboolean tuple_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct tuple_key));
}

/*
 * A socket cookie is its own key in by_cookie: no allocation per socket, no
 * pointer to follow per lookup. The kernel numbers sockets from 1 up, so the
 * low bits that g_direct_hash() takes spread well.
 */
G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(uint64_t));

static gpointer cookie_key(uint64_t cookie)
{
	return (gpointer)(uintptr_t)cookie;
}

static void bound(GHashTable *table)
{
	if (g_hash_table_size(table) >= MAX_REMEMBERED)
		g_hash_table_remove_all(table);
}

static void put_tuple(struct sock_source *src, const struct tuple_key *key,
		      const struct owner_rec *rec)
{
	gen_table_insert(&src->by_tuple, g_memdup2(key, sizeof(*key)), intern(src->owners, rec));
	/* The record a flow was cached with may be freed, or a better one may exist now. */
	flow_cache_invalidate(&src->flows);
}

static struct owner_rec *get_tuple(struct sock_source *src, const struct tuple_key *key)
{
	return gen_table_lookup(&src->by_tuple, key);
}

static void owner_from_event(const struct sock_event *ev, struct owner_rec *rec)
{
	rec->pid = ev->pid;
	rec->tid = ev->tid;
	rec->uid = ev->uid;
	memcpy(rec->comm, ev->comm, sizeof(rec->comm));
	rec->comm[sizeof(rec->comm) - 1] = 0;
	rec->cgroup_id = ev->cgroup_id;
}

static void key_from_event(const struct sock_event *ev, struct tuple_key *key, bool with_remote)
{
	memset(key, 0, sizeof(*key));
	key->family = ev->family;
	key->protocol = ev->protocol;
	key->lport = ev->lport;
	memcpy(key->laddr, ev->laddr, sizeof(key->laddr));
	if (with_remote) {
		key->rport = ev->rport;
		memcpy(key->raddr, ev->raddr, sizeof(key->raddr));
	}
}

static const char *exe_of(struct sock_source *src, uint32_t pid);

/*
 * A socket with a peer is found by both ends; one without (a listener, UDP) by
 * its own. The thread that connected a socket is, as a rule, the one that
 * first sends on it: that second report changes nothing and costs no update.
 */
static void on_owner(struct sock_source *src, const struct sock_event *ev)
{
	bool addressed = ev->netns == src->netns && ev->family && ev->lport;
	struct owner_rec rec, *known;
	struct tuple_key key;

	owner_from_event(ev, &rec);
	if (addressed)
		key_from_event(ev, &key, ev->rport != 0);
	known = gen_table_lookup(&src->by_cookie, cookie_key(ev->cookie));
	if (known && owner_equal(known, &rec) && (!addressed || get_tuple(src, &key) == known))
		return;
	exe_of(src, rec.pid); /* now, while the process surely lives */
	gen_table_insert(&src->by_cookie, cookie_key(ev->cookie), intern(src->owners, &rec));
	flow_cache_invalidate(&src->flows);
	if (addressed)
		put_tuple(src, &key, &rec);
}

/*
 * A connection's addresses: it belongs to whoever connected it, or, accepted,
 * to its listener's process until a process uses it.
 */
static void on_tuple(struct sock_source *src, const struct sock_event *ev)
{
	struct owner_rec *owner, *listener;
	struct tuple_key key;

	if (ev->netns != src->netns)
		return;
	key_from_event(ev, &key, true);
	owner = gen_table_lookup(&src->by_cookie, cookie_key(ev->cookie));
	if (owner) {
		put_tuple(src, &key, owner);
		return;
	}
	if (get_tuple(src, &key))
		return;
	key_from_event(ev, &key, false);
	listener = get_tuple(src, &key);
	if (!listener) {
		memset(key.laddr, 0, sizeof(key.laddr));
		listener = get_tuple(src, &key);
	}
	if (!listener)
		return;
	key_from_event(ev, &key, true);
	put_tuple(src, &key, listener);
}

static char *read_exe(uint32_t pid)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = 0;
	return g_strdup(target);
}

/*
 * /proc's answer while the process lives; once it is gone, the path it ran,
 * resolved as /proc would have (symbolic links followed) where it can be.
 */
static void on_exec(struct sock_source *src, const struct sock_exec_event *exec)
{
	const struct sock_event *ev = &exec->ev;
	char *exe = read_exe(ev->pid), *ran = g_strndup(exec->filename, sizeof(exec->filename));

	if (!exe)
		exe = ran[0] == '/' ? realpath(ran, NULL) : NULL;
	if (!exe)
		exe = g_strdup(ran);
	g_free(ran);
	bound(src->exes);
	g_hash_table_replace(src->exes, GUINT_TO_POINTER(ev->pid), exe);
}

static int on_event(void *ctx, const void *data, uint32_t size)
{
	struct sock_source *src = ctx;
	const struct sock_event *ev = data;

	if (size < sizeof(*ev))
		return 0;
	switch (ev->type) {
	case SOCK_EVENT_OWNER:
		on_owner(src, ev);
		break;
	case SOCK_EVENT_TUPLE:
		on_tuple(src, ev);
		break;
	case SOCK_EVENT_EXEC:
		if (size >= sizeof(struct sock_exec_event))
			on_exec(src, data);
		break;
	}
	return 0;
}

/* ---- sockets open before the capture, from /proc ---- */

static int read_line_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)size, f)) {
		buf[strcspn(buf, "\n")] = 0;
		ret = 0;
	}
	fclose(f);
	return ret;
}

static uint64_t cgroup_id_of(struct sock_source *src, int pid)
{
	char path[64], line[PATH_MAX], cgroup[PATH_MAX], dir[2 * PATH_MAX];
	struct stat st;
	FILE *f;
	uint64_t id = 0;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (proc_parse_cgroup2(line, cgroup, sizeof(cgroup)))
			continue;
		snprintf(dir, sizeof(dir), "%s%s", src->cgroup_root, cgroup);
		if (!stat(dir, &st))
			id = st.st_ino;
	}
	fclose(f);
	return id;
}

/* @pid's owner, as /proc tells: its uid is the socket's, set by the caller. */
static void owner_from_proc(struct sock_source *src, int pid, struct owner_rec *rec)
{
	char path[64];

	memset(rec, 0, sizeof(*rec));
	rec->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_line_file(path, rec->comm, sizeof(rec->comm));
	rec->cgroup_id = cgroup_id_of(src, pid);
	exe_of(src, pid);
}

/* The kernel's filter knows these sockets too, before they send anything. */
static void seed_kernel(struct sock_source *src, const struct tuple_key *key,
			const struct owner_rec *rec)
{
	struct sock_tuple t = { .family = key->family, .protocol = key->protocol,
				.lport = key->lport, .rport = key->rport };
	struct sock_owner o = { .pid = rec->pid, .uid = rec->uid, .cgroup_id = rec->cgroup_id };

	memcpy(t.laddr, key->laddr, sizeof(t.laddr));
	memcpy(t.raddr, key->raddr, sizeof(t.raddr));
	memcpy(o.comm, rec->comm, sizeof(o.comm));
	bpf_map_update_elem(bpf_map__fd(src->skel->maps.tuples), &t, &o, BPF_NOEXIST);
}

/*
 * Each process's owner is read from /proc once, not once for each of its
 * sockets: a process holding 15000 sockets cost the start-up 30000 open()
 * and 45000 stat() calls, ~0.1 s.
 */
struct seeding {
	struct sock_source *src;
	GHashTable *owners; /* pid -> struct owner_rec */
};

/* One socket open before the capture, into the tables. */
static void seed_socket(const struct proc_socket *s, void *ctx)
{
	struct seeding *seeding = ctx;
	struct sock_source *src = seeding->src;
	struct tuple_key key = { .family = s->family, .protocol = s->protocol,
				 .lport = s->lport, .rport = s->rport };
	struct owner_rec *known = g_hash_table_lookup(seeding->owners, GINT_TO_POINTER(s->pid));
	struct owner_rec rec;

	if (!known) {
		known = g_new(struct owner_rec, 1);
		owner_from_proc(src, s->pid, known);
		g_hash_table_insert(seeding->owners, GINT_TO_POINTER(s->pid), known);
	}
	rec = *known;
	rec.uid = s->uid;
	memcpy(key.laddr, s->laddr, sizeof(key.laddr));
	if (s->rport)
		memcpy(key.raddr, s->raddr, sizeof(key.raddr));
	put_tuple(src, &key, &rec);
	/* A system call per socket, for maps that only an owner filter reads. */
	if (src->filtered)
		seed_kernel(src, &key, &rec);
}

static void seed_from_proc(struct sock_source *src)
{
	struct seeding seeding = {
		.src = src, .owners = g_hash_table_new_full(NULL, NULL, NULL, g_free)
	};

	proc_sockets_each(seed_socket, &seeding);
	g_hash_table_destroy(seeding.owners);
}

/* ---- lookups ---- */

/* A packet's addresses as the socket on one end sees them: its own first. */
static struct tuple_key key_of_packet(const struct pkt_tuple *t, bool local_is_src)
{
	struct tuple_key key = { .family = t->family, .protocol = t->protocol };

	key.lport = local_is_src ? t->sport : t->dport;
	key.rport = local_is_src ? t->dport : t->sport;
	memcpy(key.laddr, local_is_src ? t->saddr : t->daddr, sizeof(key.laddr));
	memcpy(key.raddr, local_is_src ? t->daddr : t->saddr, sizeof(key.raddr));
	return key;
}

static struct owner_rec *find_by_tuple(struct sock_source *src, const struct pkt_tuple *t,
				       bool local_is_src)
{
	struct tuple_key key = key_of_packet(t, local_is_src);
	struct owner_rec *rec;

	rec = get_tuple(src, &key);
	if (rec)
		return rec;
	/* A listener or an unconnected UDP socket: its own address, then any address. */
	key.rport = 0;
	memset(key.raddr, 0, sizeof(key.raddr));
	rec = get_tuple(src, &key);
	if (rec)
		return rec;
	memset(key.laddr, 0, sizeof(key.laddr));
	return get_tuple(src, &key);
}

/*
 * A connected UDP socket is reported before its port is chosen (sockets.bpf.c):
 * its first packet out, which names the socket, tells the addresses that
 * the packets coming back will carry.
 */
static void learn_addresses(struct sock_source *src, const struct pkt_tuple *t,
			    const struct owner_rec *rec)
{
	struct tuple_key key;

	if (t->protocol != IPPROTO_UDP || find_by_tuple(src, t, true))
		return;
	key = key_of_packet(t, true);
	put_tuple(src, &key, rec);
}

/*
 * By the socket the kernel named, else by addresses; on loopback both ends
 * are ours: the receiver first, as for any inbound packet.
 */
static struct owner_rec *owner_of_packet(struct sock_source *src, const struct packet *pkt,
					 const struct pkt_tuple *t)
{
	bool outbound = pkt->dir == PKT_DIR_OUTBOUND;
	struct owner_rec *rec = NULL;
	void *cached;

	if (t && flow_cache_get(&src->flows, t, outbound, pkt->sock_cookie, &cached))
		return cached;
	if (pkt->sock_cookie)
		rec = gen_table_lookup(&src->by_cookie, cookie_key(pkt->sock_cookie));
	if (rec && t && outbound)
		learn_addresses(src, t, rec);
	if (!rec && t)
		rec = find_by_tuple(src, t, outbound);
	if (!rec && t)
		rec = find_by_tuple(src, t, !outbound);
	if (t)
		flow_cache_put(&src->flows, t, outbound, pkt->sock_cookie, rec);
	return rec;
}

static int scan_cgroup(const char *path, const struct stat *st, int flag, struct FTW *ftw);
static struct sock_source *scanning;

static int scan_cgroup(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t root = strlen(scanning->cgroup_root);

	if (flag == FTW_D)
		g_hash_table_replace(scanning->cgroups, g_memdup2(&(uint64_t){ st->st_ino }, 8),
				     g_strdup(path[root] ? path + root : "/"));
	return 0;
}

static const char *cgroup_path(struct sock_source *src, uint64_t id)
{
	const char *path = g_hash_table_lookup(src->cgroups, &id);
	uint64_t now;

	if (path || !id || !src->cgroup_root[0])
		return path;
	now = g_get_monotonic_time() * 1000ULL;
	if (now - src->cgroups_scanned < CGROUP_RESCAN_NS)
		return NULL;
	src->cgroups_scanned = now;
	scanning = src;
	nftw(src->cgroup_root, scan_cgroup, 16, FTW_PHYS);
	scanning = NULL;
	return g_hash_table_lookup(src->cgroups, &id);
}

static const char *exe_of(struct sock_source *src, uint32_t pid)
{
	char *exe = g_hash_table_lookup(src->exes, GUINT_TO_POINTER(pid));

	if (exe)
		return exe;
	exe = read_exe(pid);
	if (exe) {
		bound(src->exes);
		g_hash_table_replace(src->exes, GUINT_TO_POINTER(pid), exe);
	}
	return exe;
}

const struct owner *sock_source_owner(struct sock_source *src, const struct packet *pkt,
				      const struct pkt_tuple *t)
{
	struct owner_rec *rec = owner_of_packet(src, pkt, t);

	/* Another user's packet is still captured, only without its process. */
	if (!rec || (src->only_uid != UINT32_MAX && rec->uid != src->only_uid))
		return NULL;
	src->result = (struct owner){ .pid = rec->pid, .tid = rec->tid, .uid = rec->uid,
				      .note = &rec->note };
	memcpy(src->result.comm, rec->comm, sizeof(src->result.comm));
	/* The caller's note was made from these already: spare their lookups. */
	if (rec->note)
		return &src->result;
	src->result.exe = exe_of(src, rec->pid);
	src->result.cgroup = cgroup_path(src, rec->cgroup_id);
	src->result.container = cgroup_container_id(src->result.cgroup, src->container);
	return &src->result;
}

/* ---- lifecycle ---- */

static void destroy_link(gpointer link)
{
	bpf_link__destroy(link);
}

/* cgroup hooks see every process only from the root of the cgroup v2 tree. */
static int attach_cgroup_hooks(struct sock_source *src)
{
	struct bpf_program *progs[] = {
		src->skel->progs.ecap_post_bind4, src->skel->progs.ecap_post_bind6,
		src->skel->progs.ecap_connect4,	  src->skel->progs.ecap_connect6,
		src->skel->progs.ecap_sendmsg4,	  src->skel->progs.ecap_sendmsg6,
		src->skel->progs.ecap_sock_ops,
	};
	int fd = open(src->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *link = bpf_program__attach_cgroup(progs[i], fd);

		if (!link) {
			int err = -errno;

			close(fd);
			return err;
		}
		g_ptr_array_add(src->links, link);
	}
	close(fd);
	return 0;
}

static uint32_t our_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (uint32_t)st.st_ino;
}

static int load(struct sock_source *src, const struct owner_filter *filter)
{
	int err;

	src->skel = sockets_bpf__open();
	if (!src->skel)
		return -errno;
	if (filter) {
		OWNER_FILTER_RODATA(src->skel->rodata, filter);
		src->skel->rodata->follow_children = filter->follow_children;
	}
	/*
	 * Only an owner filter reads the owner maps (bpf/owners.bpf.h). An LRU
	 * hash allocates all its entries when made: 65536 of each took ~90 ms of
	 * a start on a VM where every first touch of memory traps to the host.
	 */
	if (!src->filtered) {
		bpf_map__set_max_entries(src->skel->maps.owners, UNFILTERED_OWNER_SLOTS);
		bpf_map__set_max_entries(src->skel->maps.tuples, UNFILTERED_OWNER_SLOTS);
	}
	err = sockets_bpf__load(src->skel);
	for (int i = 0; !err && filter && i < filter->n_pids; i++) {
		__u8 one = 1;

		if (bpf_map_update_elem(bpf_map__fd(src->skel->maps.filter_pids), &filter->pids[i],
					&one, BPF_ANY))
			err = -errno;
	}
	return err;
}

void sock_source_maps(const struct sock_source *src, struct owner_maps *maps)
{
	maps->owners = bpf_map__fd(src->skel->maps.owners);
	maps->tuples = bpf_map__fd(src->skel->maps.tuples);
	maps->pids = bpf_map__fd(src->skel->maps.filter_pids);
	maps->udp_cookies = bpf_map__fd(src->skel->maps.udp_cookies);
}

int sock_source_open(struct sock_source **out, const struct owner_filter *filter)
{
	struct sock_source *src = g_new0(struct sock_source, 1);
	int err;

	*out = NULL;
	src->links = g_ptr_array_new_with_free_func(destroy_link);
	src->owners = g_hash_table_new_full(owner_hash, owner_equal, free_rec, NULL);
	gen_table_init(&src->by_cookie, MAX_REMEMBERED, g_direct_hash, g_direct_equal, NULL, release);
	gen_table_init(&src->by_tuple, MAX_REMEMBERED, tuple_hash, tuple_equal, g_free, release);
	src->exes = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	src->cgroups = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	src->netns = our_netns();
	src->only_uid = filter ? filter->only_uid : UINT32_MAX;
	src->filtered = filter && owner_filter_set(filter);
	if (cgroup2_mount(src->cgroup_root, sizeof(src->cgroup_root)))
		src->cgroup_root[0] = 0;

	err = load(src, filter);
	if (err) {
		/* Without permission nothing else will load either: that is the one line. */
		if (err == -EPERM)
			log_load_error("process attribution", err);
		else
			log_debug("process attribution: %s", strerror(-err));
		goto fail;
	}
	err = sockets_bpf__attach(src->skel);
	if (err) {
		log_error("failed to attach the process attribution tracepoints: %s",
			  strerror(-err));
		goto fail;
	}
	err = src->cgroup_root[0] ? attach_cgroup_hooks(src) : -ENOENT;
	if (err)
		log_warn("no cgroup v2 socket hooks (%s): binds, UDP sockets and who uses an "
			 "accepted connection go unreported", strerror(-err));
	err = ring_reader_open(&src->ring, bpf_map__fd(src->skel->maps.sock_events),
			       bpf_map__max_entries(src->skel->maps.sock_events));
	if (err) {
		log_error("failed to set up the socket event ring buffer: %s", strerror(-err));
		goto fail;
	}
	seed_from_proc(src);
	*out = src;
	return 0;
fail:
	sock_source_close(src);
	return err;
}

int sock_source_fd(const struct sock_source *src)
{
	return bpf_map__fd(src->skel->maps.sock_events);
}

int sock_source_consume(struct sock_source *src)
{
	int err = ring_reader_drain(&src->ring, on_event, src);

	return err < 0 ? err : 0;
}

uint64_t sock_source_lost(const struct sock_source *src)
{
	return __atomic_load_n(&src->skel->bss->events_lost, __ATOMIC_RELAXED);
}

void sock_source_close(struct sock_source *src)
{
	if (!src)
		return;
	g_ptr_array_free(src->links, TRUE);
	ring_reader_close(&src->ring);
	sockets_bpf__destroy(src->skel);
	/* The socket tables first: they hold the owners' records. */
	gen_table_destroy(&src->by_cookie);
	gen_table_destroy(&src->by_tuple);
	g_hash_table_destroy(src->owners);
	g_hash_table_destroy(src->exes);
	g_hash_table_destroy(src->cgroups);
	g_free(src);
}

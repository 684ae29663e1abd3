// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>
#include "build_id.h"
#include "clock.h"
#include "freeze.h"
#include "log.h"
#include "owner_filter.h"
#include "ring_reader.h"
#include "tls.h"
#include "tls.skel.h"
#include "tls_ahead.h"
#include "tls_libs.h"
#include "tls_probe.h"
#include "tls_source.h"
#include "uprobe_link.h"

/* New libssl files one process can bring at once. */
#define MAX_NEW_LIBS 8
/* Processes whose libssl tls_source_may_report() remembers. */
#define MAX_REPORT_ANSWERS 4096

/* A hooked libssl, by its index (the uprobe's cookie): what a warning about it names. */
struct hooked_lib {
	char *path;
	struct tls_layout layout;
	char build_id[2 * BUILD_ID_MAX + 1]; /* "" when the file has none */
	guint link;			     /* its uprobe in links or link_fds */
	bool distrusted;
};

/*
 * A TLS 1.3 handshake's stored secrets, as expanded last in its slot (by
 * client random): when both ends of a connection run on this machine, both
 * report the same, and the second's five secrets would all be repeats.
 */
#define RECENT_BLOCKS 256
#define STORED_FIELDS 5 /* struct tls13_stored's */

struct recent_block {
	uint8_t client_random[TLS_RANDOM_SIZE];
	uint8_t stored[STORED_FIELDS][TLS_MAX_SECRET_SIZE];
};

/* A library file, told apart by its inode wherever it is mapped from. */
struct lib_file {
	dev_t dev;
	ino_t ino;
};

struct tls_source {
	struct tls_bpf *skel;
	struct ring_reader ring;
	GHashTable *seen_files; /* struct lib_file -> nothing: probed, hooked, or skipped */
	GHashTable *layouts;	/* build ID -> struct tls_layout: copies are not probed again */
	GPtrArray *links;	/* struct bpf_link */
	GArray *link_fds;	/* uprobe_multi links instead, without CAP_SYS_ADMIN */
	bool multi;
	GHashTable *pending;	/* pids that mapped libraries since the last scan */
	GHashTable *execs;	/* pids that exec'd under another root since then */
	GHashTable *distrusted; /* build IDs whose secrets did not decrypt: never hooked again */
	GHashTable *maps_libssl; /* pid -> 1 or 0: tls_source_may_report()'s answers */
	bool extra_libs;	 /* --tls-lib: a library need not be called libssl */
	struct hooked_lib libs[MAX_TLS_LIBS];
	uint32_t n_libs;
	int64_t mono_to_real;
	tls13_expand_fn expand_tls13;
	bool per_secret; /* never a uprobe per handshake (tls_source_opts) */
	struct recent_block recent[RECENT_BLOCKS];
	secret_fn fn;
	void *ctx;
};

static void destroy_link(gpointer link)
{
	bpf_link__destroy(link);
}

static guint lib_file_hash(gconstpointer p)
{
	const struct lib_file *f = p;

	return g_int64_hash(&(gint64){ (gint64)f->ino }) ^ (guint)f->dev;
}

static gboolean lib_file_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct lib_file));
}

/* The first time we meet the file open at @fd (by inode), true. */
static bool first_meeting(struct tls_source *src, int fd)
{
	struct lib_file *f;
	struct stat st;

	if (fstat(fd, &st))
		return false;
	f = g_new0(struct lib_file, 1);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if (g_hash_table_contains(src->seen_files, f)) {
		g_free(f);
		return false;
	}
	g_hash_table_add(src->seen_files, f);
	return true;
}

/* Through /proc/self/fd: the file stays the one we met, whatever happens to its path. */
static int attach(struct tls_source *src, struct bpf_program *prog, int fd, size_t offset,
		  const char *func, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = func, .bpf_cookie = cookie);
	struct bpf_link *link;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (src->multi) {
		int link_fd = uprobe_link_attach(bpf_program__fd(prog), path, offset, func, cookie);

		if (link_fd < 0)
			return link_fd;
		g_array_append_val(src->link_fds, link_fd);
		return 0;
	}
	link = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &opts);
	if (!link)
		return -errno;
	g_ptr_array_add(src->links, link);
	return 0;
}

/* The layout of @ssl_fd's build (@id, "" if none): probed once, then known for every copy. */
static int find_layout(struct tls_source *src, int ssl_fd, int crypto_fd,
		       const struct tls_probe_root *root, const char *id, struct tls_layout *layout,
		       char *err, size_t errlen)
{
	struct tls_layout *known;

	if (id[0]) {
		known = g_hash_table_lookup(src->layouts, id);
		if (known) {
			*layout = *known;
			return 0;
		}
	}
	/* With our C library first: enough unless @root's libcrypto needs a newer one. */
	if (tls_probe(ssl_fd, crypto_fd, NULL, src->per_secret, layout, err, errlen) &&
	    (!root || tls_probe(ssl_fd, crypto_fd, root, src->per_secret, layout, err, errlen)))
		return -1;
	if (!id[0])
		return 0;
	g_hash_table_insert(src->layouts, g_strdup(id), g_memdup2(layout, sizeof(*layout)));
	return 0;
}

/*
 * Why a library is not hooked: a warning for one a process maps (it is
 * skipped, the capture goes on), an error for one the user named.
 */
static void skipped(bool named, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void skipped(bool named, const char *path, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (named)
		log_error("--tls-lib '%s': %s; name a libssl of OpenSSL 1.1.1 or later", path, why);
	else
		log_warn("skipping %s: %s", path, why);
}

static const char *hooked_function(const struct tls_layout *layout)
{
	if (layout->done_offset)
		return "tls_finish_handshake";
	return layout->hook == TLS_HOOK_KEYLOG_LINE ? "nss_keylog_int" : "ssl_log_secret";
}

/*
 * Locates the secrets of the libssl open at @ssl_fd (@path names it, @named:
 * by the user; @root: of a process with another root) and hooks the end of
 * its handshakes, or its key-log function. Returns 0, or -1 after saying why
 * the library is not hooked.
 */
static int hook_libssl(struct tls_source *src, const char *path, int ssl_fd, int crypto_fd,
		       const struct tls_probe_root *root, bool named)
{
	struct hooked_lib *hooked;
	struct tls_lib_cfg cfg;
	struct tls_layout layout;
	char err[256], id[2 * BUILD_ID_MAX + 1];
	__u32 lib = src->n_libs;
	int ret;

	if (lib >= MAX_TLS_LIBS) {
		skipped(named, path, "more than %d libssl files", MAX_TLS_LIBS);
		return -1;
	}
	if (build_id_hex(ssl_fd, id))
		id[0] = '\0';
	if (id[0] && g_hash_table_contains(src->distrusted, id)) {
		skipped(named, path, "a copy of this build gave secrets that did not decrypt their "
			"connection earlier in this capture");
		return -1;
	}
	if (find_layout(src, ssl_fd, crypto_fd, root, id, &layout, err, sizeof(err))) {
		skipped(named, path, "its secrets cannot be located: %s", err);
		return -1;
	}
	if (src->per_secret)
		snprintf(layout.no_done_why, sizeof(layout.no_done_why), "ECAP_TLS_PER_SECRET is set");
	cfg = (struct tls_lib_cfg){
		.hook = layout.hook,
		.client_random_via = layout.client_random_via,
		.client_random_offset = layout.client_random_offset,
		.version_offset = layout.version_offset,
		.block_offset = layout.block_offset,
		.block_len = layout.block_len,
		.session_via = layout.session_via,
		.master_key_offset = layout.master_key_offset,
	};
	if (bpf_map_update_elem(bpf_map__fd(src->skel->maps.tls_libs), &lib, &cfg, BPF_ANY)) {
		skipped(named, path, "%s", strerror(errno));
		return -1;
	}
	if (layout.done_offset)
		ret = attach(src, src->skel->progs.ecap_handshake_done, ssl_fd, layout.done_offset,
			     NULL, lib);
	else
		ret = attach(src, src->skel->progs.ecap_log_secret, ssl_fd, layout.hook_offset,
			     NULL, lib);
	if (ret) {
		skipped(named, path, "(%s) cannot attach a uprobe: %s", layout.version,
			strerror(-ret));
		return -1;
	}
	hooked = &src->libs[lib];
	hooked->path = g_strdup(path);
	hooked->layout = layout;
	snprintf(hooked->build_id, sizeof(hooked->build_id), "%s", id);
	/* attach() appended it. */
	hooked->link = src->multi ? src->link_fds->len - 1 : src->links->len - 1;
	src->n_libs++;
	log_debug("taking secrets from %s (%s; uprobe in %s at file offset 0x%llx, client "
		  "random at %s+%u)", path, layout.version, hooked_function(&layout),
		  (unsigned long long)(layout.done_offset ? layout.done_offset : layout.hook_offset),
		  layout.client_random_via == TLS_RANDOM_INLINE ? "" : "a pointer's target ",
		  layout.client_random_offset);
	if (!layout.done_offset)
		log_debug("%s: a uprobe per secret, not per handshake: %s", path,
			  layout.no_done_why);
	return 0;
}

/* Execs under another root, whose loaders we must hook before they map libssl. */
static int attach_exec(struct tls_source *src)
{
	struct bpf_link *link = bpf_program__attach(src->skel->progs.ecap_tls_exec);

	if (!link) {
		log_error("cannot attach to exec (sched_process_exec): %s", strerror(errno));
		return -errno;
	}
	g_ptr_array_add(src->links, link);
	return 0;
}

/* The dynamic loader tells us, through _dl_debug_state(), when a process maps libraries. */
static void hook_dynamic_loader(struct tls_source *src, const char *path, int fd)
{
	int err = attach(src, src->skel->progs.ecap_dl_debug_state, fd, 0, "_dl_debug_state", 0);

	if (err)
		log_debug("no library-load events from %s: %s", path, strerror(-err));
}

/*
 * Hooks what @pid maps that we have not met before. A process that has just
 * mapped a new libssl (@hold) is held still meanwhile, lest its first
 * handshake beat the ~10 ms that hooking a new file takes the kernel.
 */
static void scan_process(struct tls_source *src, int pid, bool hold)
{
	struct tls_libs m;
	const char *paths[MAX_NEW_LIBS];
	int fds[MAX_NEW_LIBS], n = 0, fd, crypto_fd;
	struct frozen frozen = { 0 };
	bool loadable, in_root;

	if (tls_libs_read(pid, &m))
		goto out;
	fd = tls_libs_open(m.loader);
	if (fd >= 0 && first_meeting(src, fd))
		hook_dynamic_loader(src, m.loader, fd);
	if (fd >= 0)
		close(fd);
	/* Not loadable yet: not met yet, the loader's next _dl_debug_state() brings it back. */
	loadable = tls_libs_loadable(&m);
	for (guint i = 0; loadable && i < m.libssl->len && n < MAX_NEW_LIBS; i++) {
		paths[n] = g_ptr_array_index(m.libssl, i);
		fd = tls_libs_open(paths[n]);
		if (fd >= 0 && first_meeting(src, fd))
			fds[n++] = fd;
		else if (fd >= 0)
			close(fd);
	}
	if (!n)
		goto out;
	if (hold && pid != getpid())
		freeze(pid, &frozen);
	crypto_fd = tls_libs_open(m.crypto);
	in_root = tls_libs_other_root(pid, &m);
	for (int i = 0; i < n; i++) {
		struct tls_probe_root root;
		bool rooted = in_root && !tls_libs_open_root(&m, paths[i], &root);

		hook_libssl(src, paths[i], fds[i], crypto_fd, rooted ? &root : NULL, false);
		if (rooted)
			tls_libs_close_root(&root);
		close(fds[i]);
	}
	if (crypto_fd >= 0)
		close(crypto_fd);
	thaw(&frozen);
out:
	tls_libs_free(&m);
}

/*
 * @pid exec'd under another root. If its dynamic loader is new to us, the
 * process is held still while the loader's _dl_debug_state() is hooked (or
 * it would map libssl unseen) and whatever libssl it maps already.
 */
static void scan_exec(struct tls_source *src, int pid)
{
	struct tls_libs m;
	struct frozen frozen = { 0 };
	int fd;

	if (tls_libs_read(pid, &m))
		goto out;
	fd = tls_libs_open(m.loader);
	if (fd >= 0 && first_meeting(src, fd)) {
		freeze(pid, &frozen);
		hook_dynamic_loader(src, m.loader, fd);
		scan_process(src, pid, false);
		thaw(&frozen);
	}
	if (fd >= 0)
		close(fd);
out:
	tls_libs_free(&m);
}

static void scan_all_processes(struct tls_source *src)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;

	if (!proc) {
		log_warn("cannot list processes in /proc: %s", strerror(errno));
		return;
	}
	while ((d = readdir(proc))) {
		if (isdigit((unsigned char)d->d_name[0]))
			scan_process(src, atoi(d->d_name), false);
	}
	closedir(proc);
}

static void distrust(struct tls_source *src, uint32_t lib, const char *why);

/*
 * Whether the other end of @client_random's connection reported these very
 * secrets already; if not, they are remembered in place of what their slot
 * held.
 */
static bool expanded_recently(struct tls_source *src, const uint8_t *client_random,
			      const struct tls13_stored *in)
{
	const uint8_t *fields[STORED_FIELDS] = { in->hs_secret, in->hs_hash, in->master,
						 in->finished_hash, in->exporter };
	struct recent_block *r;
	uint32_t slot;
	bool same;

	memcpy(&slot, client_random, sizeof(slot));
	r = &src->recent[slot % RECENT_BLOCKS];
	same = !memcmp(r->client_random, client_random, TLS_RANDOM_SIZE);
	for (int i = 0; i < STORED_FIELDS; i++)
		same = same && !memcmp(r->stored[i], fields[i], TLS_MAX_SECRET_SIZE);
	if (same)
		return true;
	memcpy(r->client_random, client_random, TLS_RANDOM_SIZE);
	for (int i = 0; i < STORED_FIELDS; i++)
		memcpy(r->stored[i], fields[i], TLS_MAX_SECRET_SIZE);
	return false;
}

/* The five secrets of a TLS 1.3 handshake, from what its library stored. */
static void on_tls13_block(struct tls_source *src, const struct tls_block_event *ev)
{
	const struct tls_layout *l = &src->libs[ev->lib].layout;
	const uint8_t *b = ev->block;
	struct tls13_stored stored = { b + l->hs_secret, b + l->hs_hash, b + l->master,
				       b + l->finished_hash, b + l->exporter };
	struct tls_secret secrets[TLS13_LOGGED];

	if (ev->block_len != l->block_len || expanded_recently(src, ev->client_random, &stored))
		return;
	if (!src->expand_tls13(&stored, secrets)) {
		distrust(src, ev->lib, "what it stores for a TLS 1.3 handshake does not hold "
			 "together");
		return;
	}
	for (int i = 0; i < TLS13_LOGGED; i++) {
		secrets[i].ts_ns = ev->ts_mono + src->mono_to_real;
		secrets[i].pid = ev->pid;
		secrets[i].tid = ev->tid;
		memcpy(secrets[i].client_random, ev->client_random, TLS_RANDOM_SIZE);
		secrets[i].lib = ev->lib;
		src->fn(src->ctx, &secrets[i]);
	}
}

static int on_event(void *ctx, const void *data, uint32_t size)
{
	struct tls_source *src = ctx;
	const struct tls_event *ev = data;
	struct tls_secret secret = { 0 };

	if (size < sizeof(*ev))
		return 0;
	if (ev->type == TLS_EVENT_LOADED) {
		g_hash_table_add(src->pending, GUINT_TO_POINTER(ev->pid));
		g_hash_table_remove(src->maps_libssl, GUINT_TO_POINTER(ev->pid));
		return 0;
	}
	if (ev->type == TLS_EVENT_EXEC) {
		g_hash_table_add(src->execs, GUINT_TO_POINTER(ev->pid));
		g_hash_table_remove(src->maps_libssl, GUINT_TO_POINTER(ev->pid));
		return 0;
	}
	/* Queued before its library was found out: just as wrong as what would follow. */
	if (ev->lib >= src->n_libs || src->libs[ev->lib].distrusted)
		return 0;
	if (ev->type == TLS_EVENT_TLS13_BLOCK && size >= sizeof(struct tls_block_event)) {
		on_tls13_block(src, data);
		return 0;
	}
	if (ev->type != TLS_EVENT_SECRET || ev->secret_len > sizeof(secret.secret))
		return 0;
	secret.ts_ns = ev->ts_mono + src->mono_to_real;
	secret.pid = ev->pid;
	secret.tid = ev->tid;
	memcpy(secret.label, ev->label, sizeof(secret.label));
	secret.label[sizeof(secret.label) - 1] = 0;
	memcpy(secret.client_random, ev->client_random, sizeof(secret.client_random));
	memcpy(secret.secret, ev->secret, ev->secret_len);
	secret.secret_len = ev->secret_len;
	secret.lib = ev->lib;
	src->fn(src->ctx, &secret);
	return 0;
}

int tls_source_fd(const struct tls_source *src)
{
	return bpf_map__fd(src->skel->maps.tls_events);
}

int tls_source_consume(struct tls_source *src, secret_fn fn, void *ctx)
{
	GHashTableIter it;
	gpointer pid;
	int err;

	src->fn = fn;
	src->ctx = ctx;
	err = ring_reader_drain(&src->ring, on_event, src);
	if (err < 0)
		return err;
	/* New loaders, then new libraries: hook them before the first handshake. */
	g_hash_table_iter_init(&it, src->execs);
	while (g_hash_table_iter_next(&it, &pid, NULL))
		scan_exec(src, GPOINTER_TO_UINT(pid));
	g_hash_table_remove_all(src->execs);
	g_hash_table_iter_init(&it, src->pending);
	while (g_hash_table_iter_next(&it, &pid, NULL))
		scan_process(src, GPOINTER_TO_UINT(pid), true);
	g_hash_table_remove_all(src->pending);
	return 0;
}

static int hook_explicit(struct tls_source *src, char **paths)
{
	char crypto[PATH_MAX];

	for (; paths && *paths; paths++) {
		int fd = tls_libs_open(*paths), crypto_fd, err = 0;

		if (fd < 0) {
			log_error("cannot read --tls-lib '%s': %s; name a readable libssl file",
				  *paths, strerror(errno));
			return -errno;
		}
		crypto_fd = tls_libs_open(tls_libs_sibling_crypto(*paths, crypto, sizeof(crypto)));
		if (first_meeting(src, fd) && hook_libssl(src, *paths, fd, crypto_fd, NULL, true))
			err = -EINVAL;
		close(fd);
		if (crypto_fd >= 0)
			close(crypto_fd);
		if (err)
			return err;
	}
	return 0;
}

/*
 * What must be set before load: whose secrets leave the kernel (a user not
 * root gets only their own), and how the uprobes will attach.
 */
static void configure(struct tls_source *src, const struct tls_source_opts *opts)
{
	struct stat root;

	if (opts->owner_filter)
		src->skel->rodata->only_uid = opts->owner_filter->only_uid;
	if (!stat("/", &root)) {
		src->skel->rodata->our_root_ino = root.st_ino;
		src->skel->rodata->our_root_dev = major(root.st_dev) << 20 | minor(root.st_dev);
	}
	src->multi = uprobe_link_needed();
	if (!src->multi)
		return;
	bpf_program__set_expected_attach_type(src->skel->progs.ecap_log_secret,
					      (enum bpf_attach_type)UPROBE_LINK_ATTACH_TYPE);
	bpf_program__set_expected_attach_type(src->skel->progs.ecap_dl_debug_state,
					      (enum bpf_attach_type)UPROBE_LINK_ATTACH_TYPE);
	bpf_program__set_expected_attach_type(src->skel->progs.ecap_handshake_done,
					      (enum bpf_attach_type)UPROBE_LINK_ATTACH_TYPE);
}

int tls_source_open(struct tls_source **out, const struct tls_source_opts *opts)
{
	struct tls_source *src = g_new0(struct tls_source, 1);
	int err;

	*out = NULL;
	src->mono_to_real = clock_mono_to_real();
	src->expand_tls13 = opts->expand_tls13;
	src->per_secret = opts->per_secret;
	src->seen_files = g_hash_table_new_full(lib_file_hash, lib_file_equal, g_free, NULL);
	src->layouts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	src->links = g_ptr_array_new_with_free_func(destroy_link);
	src->link_fds = g_array_new(FALSE, FALSE, sizeof(int));
	src->pending = g_hash_table_new(NULL, NULL);
	src->execs = g_hash_table_new(NULL, NULL);
	src->distrusted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	src->maps_libssl = g_hash_table_new(NULL, NULL);
	src->extra_libs = opts->extra_libs && opts->extra_libs[0];

	src->skel = tls_bpf__open();
	err = src->skel ? 0 : -errno;
	if (!err && opts->owner_filter)
		OWNER_FILTER_RODATA(src->skel->rodata, opts->owner_filter);
	if (!err)
		configure(src, opts);
	if (!err)
		err = owner_maps_reuse(opts->owner_maps, src->skel->maps.owners,
				       src->skel->maps.tuples, src->skel->maps.filter_pids,
				       src->skel->maps.udp_cookies);
	if (!err)
		err = tls_bpf__load(src->skel);
	/* What was probed ahead while the programs loaded. */
	tls_ahead_finish(opts->ahead, err ? NULL : src->layouts);
	if (err) {
		log_load_error("TLS", err);
		goto fail;
	}
	err = ring_reader_open(&src->ring, bpf_map__fd(src->skel->maps.tls_events),
			       bpf_map__max_entries(src->skel->maps.tls_events));
	if (err) {
		log_error("failed to set up the TLS ring buffer: %s", strerror(-err));
		goto fail;
	}
	err = hook_explicit(src, opts->extra_libs);
	if (err)
		goto fail;
	err = attach_exec(src);
	if (err)
		goto fail;
	scan_all_processes(src);
	*out = src;
	return 0;
fail:
	tls_source_close(src);
	return err;
}

/* Removes @lib's uprobe: its hooked function runs without a trap from now on. */
static void unhook(struct tls_source *src, struct hooked_lib *lib)
{
	if (src->multi) {
		int *fd = &g_array_index(src->link_fds, int, lib->link);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return;
	}
	bpf_link__destroy(g_ptr_array_index(src->links, lib->link));
	g_ptr_array_index(src->links, lib->link) = NULL;
}

/*
 * A layout is a property of the build, not of the file: every copy of the
 * build goes, and the probe's result for it is forgotten.
 */
static void distrust(struct tls_source *src, uint32_t lib, const char *why)
{
	struct hooked_lib *bad;

	if (!src || lib >= src->n_libs || src->libs[lib].distrusted)
		return;
	bad = &src->libs[lib];
	for (uint32_t i = 0; i < src->n_libs; i++) {
		struct hooked_lib *l = &src->libs[i];

		if (l->distrusted || (i != lib && (!bad->build_id[0] ||
						    strcmp(l->build_id, bad->build_id))))
			continue;
		unhook(src, l);
		l->distrusted = true;
	}
	if (bad->build_id[0]) {
		g_hash_table_add(src->distrusted, g_strdup(bad->build_id));
		g_hash_table_remove(src->layouts, bad->build_id);
	}
	log_warn("skipping %s (%s, build ID %s) from now on: %s, so where it keeps its secrets "
		 "was misread; the secrets it gave so far stay in the capture",
		 bad->path, bad->layout.version, bad->build_id[0] ? bad->build_id : "none", why);
}

void tls_source_distrust(struct tls_source *src, uint32_t lib)
{
	distrust(src, lib, "its secrets did not decrypt their connection");
}

bool tls_source_may_report(struct tls_source *src, uint32_t pid)
{
	gpointer known;
	struct tls_libs m;
	bool maps;

	if (src->extra_libs)
		return true;
	if (g_hash_table_lookup_extended(src->maps_libssl, GUINT_TO_POINTER(pid), NULL, &known))
		return GPOINTER_TO_UINT(known);
	/* One we cannot read (gone, or another user's) may, for all we know. */
	maps = tls_libs_read((int)pid, &m) || m.libssl->len;
	tls_libs_free(&m);
	/* Processes come and go: the answers of the gone ones go with the rest. */
	if (g_hash_table_size(src->maps_libssl) >= MAX_REPORT_ANSWERS)
		g_hash_table_remove_all(src->maps_libssl);
	g_hash_table_insert(src->maps_libssl, GUINT_TO_POINTER(pid), GUINT_TO_POINTER(maps));
	return maps;
}

uint64_t tls_source_lost(const struct tls_source *src)
{
	return __atomic_load_n(&src->skel->bss->secrets_lost, __ATOMIC_RELAXED);
}

void tls_source_close(struct tls_source *src)
{
	if (!src)
		return;
	/* Links before the object: each holds a reference to its program. */
	g_ptr_array_free(src->links, TRUE);
	for (guint i = 0; i < src->link_fds->len; i++) {
		if (g_array_index(src->link_fds, int, i) >= 0)
			close(g_array_index(src->link_fds, int, i));
	}
	g_array_free(src->link_fds, TRUE);
	ring_reader_close(&src->ring);
	tls_bpf__destroy(src->skel);
	g_hash_table_destroy(src->seen_files);
	g_hash_table_destroy(src->layouts);
	g_hash_table_destroy(src->pending);
	g_hash_table_destroy(src->execs);
	g_hash_table_destroy(src->distrusted);
	g_hash_table_destroy(src->maps_libssl);
	for (uint32_t i = 0; i < src->n_libs; i++)
		g_free(src->libs[i].path);
	g_free(src);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leftovers.h"
#include "log.h"
#include "tc_attach.h"

/* More dead captures than this at once are removed by the next run. */
#define MAX_ORPHANS 64

struct orphans {
	uint32_t ids[MAX_ORPHANS];
	int n;
};

/* The names packets.bpf.c gives its TC programs. */
static bool is_our_tc_program(int fd)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == BPF_PROG_TYPE_SCHED_CLS &&
	       (!strcmp(info.name, "ecap_ingress") || !strcmp(info.name, "ecap_egress"));
}

static int find_our_tc_programs(struct orphans *o)
{
	uint32_t id = 0;
	int err;

	while (o->n < MAX_ORPHANS && !(err = bpf_prog_get_next_id(id, &id))) {
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue; /* gone meanwhile */
		if (is_our_tc_program(fd))
			o->ids[o->n++] = id;
		close(fd);
	}
	return o->n == MAX_ORPHANS || err == -ENOENT ? 0 : err;
}

static void forget(struct orphans *o, uint32_t id)
{
	for (int i = 0; i < o->n; i++) {
		if (o->ids[i] == id) {
			o->ids[i] = o->ids[--o->n];
			return;
		}
	}
}

/* A BPF program or link fd names its program in its fdinfo. */
static void forget_held_by_fd(struct orphans *o, int fdinfo_dir, const char *fd)
{
	char line[128];
	unsigned int id;
	FILE *f;
	int info;

	info = openat(fdinfo_dir, fd, O_RDONLY | O_CLOEXEC);
	if (info < 0)
		return;
	f = fdopen(info, "r");
	if (!f) {
		close(info);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "prog_id: %u", &id) == 1) {
			forget(o, id);
			break;
		}
	}
	fclose(f);
}

static void forget_held_by_process(struct orphans *o, const char *pid)
{
	char path[sizeof("/proc//fdinfo") + NAME_MAX], target[64];
	struct dirent *d;
	int info_dir;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	if (!fds)
		return; /* gone, or a kernel thread */
	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	info_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (info_dir >= 0 && o->n && (d = readdir(fds))) {
		ssize_t len = readlinkat(dirfd(fds), d->d_name, target, sizeof(target) - 1);

		if (len <= 0)
			continue;
		target[len] = '\0';
		if (!strncmp(target, "anon_inode:bpf", 14))
			forget_held_by_fd(o, info_dir, d->d_name);
	}
	if (info_dir >= 0)
		close(info_dir);
	closedir(fds);
}

/* Programs of a running capture (ours included) are held open by it. */
static void forget_held(struct orphans *o)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;

	if (!proc)
		return;
	while (o->n && (d = readdir(proc))) {
		if (isdigit((unsigned char)d->d_name[0]))
			forget_held_by_process(o, d->d_name);
	}
	closedir(proc);
}

static bool is_orphan(const struct orphans *o, uint32_t id)
{
	for (int i = 0; i < o->n; i++) {
		if (o->ids[i] == id)
			return true;
	}
	return false;
}

static int remove_from_hook(const struct orphans *o, const char *ifname, int ifindex, bool egress)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	int removed = 0;

	for (uint32_t prio = 1; prio <= MAX_CLSACT_PRIORITY; prio++) {
		LIBBPF_OPTS(bpf_tc_opts, query, .handle = CLSACT_HANDLE, .priority = prio);
		LIBBPF_OPTS(bpf_tc_opts, filter, .handle = CLSACT_HANDLE, .priority = prio);
		int err;

		if (bpf_tc_query(&hook, &query) || !is_orphan(o, query.prog_id))
			continue;
		err = bpf_tc_detach(&hook, &filter);
		if (err) {
			log_warn("cannot remove the TC filter a killed capture left on %s %s, "
				 "priority %u: %s", ifname, egress ? "egress" : "ingress", prio,
				 strerror(-err));
			continue;
		}
		log_warn("removed the TC filter a killed capture left on %s %s, priority %u",
			 ifname, egress ? "egress" : "ingress", prio);
		removed++;
	}
	return removed;
}

int leftovers_remove(void)
{
	struct orphans o = {};
	struct if_nameindex *ifs;
	int err, removed = 0;

	err = find_our_tc_programs(&o);
	if (err || !o.n)
		return err;
	forget_held(&o);
	if (!o.n)
		return 0;
	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		removed += remove_from_hook(&o, i->if_name, i->if_index, false);
		removed += remove_from_hook(&o, i->if_name, i->if_index, true);
	}
	if_freenameindex(ifs);
	return removed;
}

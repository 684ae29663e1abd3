// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib.h>
#include "log.h"
#include "proc_parse.h"
#include "proc_sockets.h"

/* socket inode -> pid, from every process's open files. */
static GHashTable *socket_inodes(void)
{
	GHashTable *inodes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	DIR *proc = opendir("/proc");
	struct dirent *p;

	while (proc && (p = readdir(proc))) {
		char dir[300], link[600], target[64];
		struct dirent *fd;
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", p->d_name);
		fds = opendir(dir);
		while (fds && (fd = readdir(fds))) {
			uint64_t ino;
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", dir, fd->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = 0;
			if (proc_parse_socket_link(target, &ino) ||
			    g_hash_table_contains(inodes, &(gint64){ (gint64)ino }))
				continue;
			g_hash_table_insert(inodes, g_memdup2(&(gint64){ (gint64)ino }, sizeof(gint64)),
					    GINT_TO_POINTER(atoi(p->d_name)));
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return inodes;
}

struct dump {
	int family, protocol;
	GHashTable *inodes;
	void (*fn)(const struct proc_socket *s, void *ctx);
	void *ctx;
};

/* Asks the kernel for every socket of the dump's family and protocol, in any state. */
static int request_dump(int fd, const struct dump *d)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (uint8_t)d->family, .sdiag_protocol = (uint8_t)d->protocol,
			 .idiag_states = ~0U },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* One socket of the dump, to the caller if a process holds it. */
static void report(const struct dump *d, const struct inet_diag_msg *m)
{
	size_t addr_len = d->family == AF_INET6 ? 16 : 4;
	struct proc_socket s = { .family = d->family, .protocol = d->protocol,
				 .lport = ntohs(m->id.idiag_sport),
				 .rport = ntohs(m->id.idiag_dport), .uid = m->idiag_uid };
	gpointer pid;

	/* No inode: no file holds it (TIME_WAIT, a connection not yet accepted). */
	if (!m->idiag_inode ||
	    !g_hash_table_lookup_extended(d->inodes, &(gint64){ (gint64)m->idiag_inode }, NULL, &pid))
		return;
	memcpy(s.laddr, m->id.idiag_src, addr_len);
	memcpy(s.raddr, m->id.idiag_dst, addr_len);
	s.pid = GPOINTER_TO_INT(pid);
	d->fn(&s, d->ctx);
}

/*
 * One batch of the dump's answers; 1 at its end. A batch is at most 32 KiB
 * (the kernel sizes a dump's messages to the reader's buffer, up to that).
 */
static int read_batch(int fd, const struct dump *d)
{
	_Alignas(struct nlmsghdr) char buf[32 << 10];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &mh, 0);
	const struct nlmsghdr *nlh = (const void *)buf;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error ? e->error : 1;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
			report(d, NLMSG_DATA(nlh));
	}
	return 0;
}

/* A socket per dump: one cut short by an error leaves none of its rest to the next. */
static void each_in_dump(struct dump *d)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int err = fd < 0 ? -errno : request_dump(fd, d);

	while (!err)
		err = read_batch(fd, d);
	/* A kernel without IPv6, or without sock_diag for UDP: those sockets go unnamed. */
	if (err < 0)
		log_debug("cannot list the %s/%s sockets open before the capture (sock_diag): %s",
			  d->protocol == IPPROTO_TCP ? "TCP" : "UDP",
			  d->family == AF_INET6 ? "IPv6" : "IPv4", strerror(-err));
	if (fd >= 0)
		close(fd);
}

void proc_sockets_each(void (*fn)(const struct proc_socket *s, void *ctx), void *ctx)
{
	static const int kinds[][2] = {
		{ AF_INET, IPPROTO_TCP },
		{ AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP },
		{ AF_INET6, IPPROTO_UDP },
	};
	struct dump d = { .inodes = socket_inodes(), .fn = fn, .ctx = ctx };

	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		d.family = kinds[i][0];
		d.protocol = kinds[i][1];
		each_in_dump(&d);
	}
	g_hash_table_destroy(d.inodes);
}

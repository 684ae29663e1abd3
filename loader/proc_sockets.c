// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
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

static void each_in_table(const char *file, int family, int protocol, GHashTable *inodes,
			  void (*fn)(const struct proc_socket *s, void *ctx), void *ctx)
{
	char line[512], buf[4096];
	FILE *f = fopen(file, "re");

	if (!f)
		return;
	/*
	 * Each read() of /proc/net/udp walks the socket table from its start, and
	 * hands out a page at most, where stdio asks /proc for 1 KiB: a page at a
	 * time, 15000 sockets took 0.18 s to read, not 0.46.
	 */
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	while (fgets(line, sizeof(line), f)) {
		struct proc_socket s = { .family = family, .protocol = protocol };
		gpointer pid;

		if (proc_parse_net_sock(line, family, &s.sock) || !s.sock.ino)
			continue;
		if (!g_hash_table_lookup_extended(inodes, &(gint64){ (gint64)s.sock.ino }, NULL,
						  &pid))
			continue;
		s.pid = GPOINTER_TO_INT(pid);
		fn(&s, ctx);
	}
	fclose(f);
}

void proc_sockets_each(void (*fn)(const struct proc_socket *s, void *ctx), void *ctx)
{
	GHashTable *inodes = socket_inodes();

	each_in_table("/proc/net/tcp", AF_INET, IPPROTO_TCP, inodes, fn, ctx);
	each_in_table("/proc/net/tcp6", AF_INET6, IPPROTO_TCP, inodes, fn, ctx);
	each_in_table("/proc/net/udp", AF_INET, IPPROTO_UDP, inodes, fn, ctx);
	each_in_table("/proc/net/udp6", AF_INET6, IPPROTO_UDP, inodes, fn, ctx);
	g_hash_table_destroy(inodes);
}

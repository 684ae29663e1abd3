// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader/proc_sockets.c on the live /proc: a TCP listener, both ends of a
 * connection to it and a UDP socket, all of this process, are found with
 * this process as their holder, on the right sides; a socket closed before
 * the scan is not.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "check.h"
#include "proc_sockets.h"

struct want {
	int protocol;
	uint16_t lport, rport;
	int found;    /* times seen */
	int pid, uid; /* as seen */
};

static void match(const struct proc_socket *s, void *ctx)
{
	struct want *w;

	for (w = ctx; w->protocol; w++) {
		if (s->family != AF_INET || s->protocol != w->protocol ||
		    s->sock.lport != w->lport || s->sock.rport != w->rport)
			continue;
		w->found++;
		w->pid = s->pid;
		w->uid = (int)s->sock.uid;
	}
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	CHECK(!getsockname(fd, (struct sockaddr *)&a, &len), "getsockname");
	return ntohs(a.sin_port);
}

/* A socket of @type on 127.0.0.1, port chosen by the kernel. */
static int bound_socket(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0);

	CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)), "socket and bind");
	return fd;
}

int main(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int listener = bound_socket(SOCK_STREAM), udp = bound_socket(SOCK_DGRAM);
	int gone = bound_socket(SOCK_DGRAM);
	int client = socket(AF_INET, SOCK_STREAM, 0), server;
	uint16_t port = local_port(listener), cport;

	CHECK(!listen(listener, 1), "listen");
	to.sin_port = htons(port);
	CHECK(!connect(client, (struct sockaddr *)&to, sizeof(to)), "connect");
	server = accept(listener, NULL, NULL);
	CHECK(server >= 0, "accept");
	cport = local_port(client);

	struct want want[] = {
		{ IPPROTO_TCP, port, 0 },	 /* the listener */
		{ IPPROTO_TCP, cport, port },	 /* the client's end */
		{ IPPROTO_TCP, port, cport },	 /* the accepted end */
		{ IPPROTO_UDP, local_port(udp), 0 },
		{ IPPROTO_UDP, local_port(gone), 0 },
		{ 0 },
	};
	close(gone);
	proc_sockets_each(match, want);

	for (struct want *w = want; w < want + 4; w++) {
		CHECK(w->found == 1, "socket %u -> %u (protocol %d) seen %d times, want once",
		      w->lport, w->rport, w->protocol, w->found);
		CHECK_EQ(w->pid, getpid());
		CHECK_EQ(w->uid, getuid());
	}
	CHECK(!want[4].found, "a closed UDP socket was seen");
	close(server);
	close(client);
	close(listener);
	close(udp);
	return check_summary("proc_sockets");
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader/proc_sockets.c on the live kernel: a TCP listener, both ends of a
 * connection to it, a UDP socket and a UDP/IPv6 one, all of this process,
 * are found with this process as their holder, on the right sides and at
 * their addresses; a socket closed before the scan is not.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "check.h"
#include "proc_sockets.h"

struct want {
	int family, protocol;
	uint16_t lport, rport;
	int found;    /* times seen */
	int pid, uid; /* as seen */
	uint8_t laddr[16], raddr[16];
};

static void match(const struct proc_socket *s, void *ctx)
{
	struct want *w;

	for (w = ctx; w->protocol; w++) {
		if (s->family != w->family || s->protocol != w->protocol ||
		    s->lport != w->lport || s->rport != w->rport)
			continue;
		w->found++;
		w->pid = s->pid;
		w->uid = (int)s->uid;
		memcpy(w->laddr, s->laddr, sizeof(w->laddr));
		memcpy(w->raddr, s->raddr, sizeof(w->raddr));
	}
}

/* IPv4 and IPv6 keep the port at the same place. */
static uint16_t local_port(int fd)
{
	struct sockaddr_in6 a;
	socklen_t len = sizeof(a);

	CHECK(!getsockname(fd, (struct sockaddr *)&a, &len), "getsockname");
	return ntohs(a.sin6_port);
}

/* A socket of @type on 127.0.0.1, port chosen by the kernel. */
static int bound_socket(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0);

	CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)), "socket and bind");
	return fd;
}

/* A UDP socket on ::1, port chosen by the kernel. */
static int bound_udp6(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)), "socket and bind to ::1");
	return fd;
}

int main(void)
{
	static const uint8_t loopback4[16] = { 127, 0, 0, 1 }, none[16];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int listener = bound_socket(SOCK_STREAM), udp = bound_socket(SOCK_DGRAM);
	int gone = bound_socket(SOCK_DGRAM), udp6 = bound_udp6();
	int client = socket(AF_INET, SOCK_STREAM, 0), server;
	uint16_t port = local_port(listener), cport;

	CHECK(!listen(listener, 1), "listen");
	to.sin_port = htons(port);
	CHECK(!connect(client, (struct sockaddr *)&to, sizeof(to)), "connect");
	server = accept(listener, NULL, NULL);
	CHECK(server >= 0, "accept");
	cport = local_port(client);

	struct want want[] = {
		{ AF_INET, IPPROTO_TCP, port, 0 },	/* the listener */
		{ AF_INET, IPPROTO_TCP, cport, port },	/* the client's end */
		{ AF_INET, IPPROTO_TCP, port, cport },	/* the accepted end */
		{ AF_INET, IPPROTO_UDP, local_port(udp), 0 },
		{ AF_INET6, IPPROTO_UDP, local_port(udp6), 0 },
		{ AF_INET, IPPROTO_UDP, local_port(gone), 0 },
		{ 0 },
	};
	close(gone);
	proc_sockets_each(match, want);

	for (struct want *w = want; w < want + 5; w++) {
		CHECK(w->found == 1, "socket %u -> %u (protocol %d) seen %d times, want once",
		      w->lport, w->rport, w->protocol, w->found);
		CHECK_EQ(w->pid, getpid());
		CHECK_EQ(w->uid, getuid());
		if (w->family == AF_INET6)
			CHECK(!memcmp(w->laddr, &in6addr_loopback, 16), "::1 as the local address");
		else
			CHECK(!memcmp(w->laddr, loopback4, 16), "127.0.0.1 as the local address");
		CHECK(!memcmp(w->raddr, w->rport ? loopback4 : none, 16), "the remote address");
	}
	CHECK(!want[5].found, "a closed UDP socket was seen");
	close(server);
	close(client);
	close(listener);
	close(udp);
	close(udp6);
	return check_summary("proc_sockets");
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Small UDP datagrams at an exact rate, and a receiver that counts them: the
 * load of bench/packets.sh's UDP cells. With iperf3's own pacing (-b), 100000
 * to 400000 datagrams/s offered reached an erratic ~70000-110000 here, less
 * than as fast as it goes; its noise hid the capture's. This sender offers
 * what it is asked for: batches of sendmmsg() at absolute deadlines
 * (clock_nanosleep), one every ~200 us, so that a rate it can reach is the
 * rate on the wire.
 *
 *   udp_load recv ADDR PORT
 *       counts the datagrams on ADDR:PORT; at the end marker (an empty
 *       datagram) after some, prints their count, a line, and counts anew
 *   udp_load send ADDR PORT RATE SECONDS PAYLOAD
 *       sends RATE x SECONDS datagrams of PAYLOAD bytes (RATE 0: as many as
 *       it can in SECONDS), then end markers; prints "SENT SECONDS_TAKEN"
 *
 *   cc -O2 -o udp_load udp_load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 64
#define BATCH_NS  200000ULL /* one batch of datagrams per 200 us at most */
#define MARKERS	  5	    /* end markers, in case the receiver drops some */
/* A sender held up longer than this does not make up for it in one burst. */
#define MAX_LAG_NS 10000000ULL
/*
 * What high-rate UDP services ask for (the kernel doubles it): ~40000 of these
 * small datagrams, 0.1 s at 400000/s, so that the ~100 ms a wake-up sometimes
 * takes on a virtual machine is not a loss.
 */
#define RECV_BUFFER (16 << 20)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void sleep_until_ns(uint64_t deadline)
{
	struct timespec t = {deadline / 1000000000ULL, deadline % 1000000000ULL};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "udp_load: %s: %s\n", what, detail);
	exit(1);
}

static struct sockaddr_in parse_address(const char *addr, const char *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};

	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		die("not an IPv4 address", addr);
	return sin;
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket", strerror(errno));
	return fd;
}

/* Sends all N datagrams of msgs, however many each sendmmsg() takes. */
static void send_all(int fd, struct mmsghdr *msgs, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		int sent = sendmmsg(fd, msgs + done, n - done, 0);

		if (sent < 0 && errno != EINTR && errno != ENOBUFS)
			die("sendmmsg", strerror(errno));
		if (sent > 0)
			done += sent;
	}
}

/*
 * A socket's queue keeps its order, so the receiver has counted every datagram
 * before the first marker it reads. A full queue drops markers too: several
 * go, apart.
 */
static void send_markers(int fd)
{
	for (int i = 0; i < MARKERS; i++) {
		if (send(fd, "", 0, 0) < 0)
			die("send (end marker)", strerror(errno));
		usleep(20000);
	}
}

/*
 * Waits until datagram number SENT is due, at BASE + SENT / RATE. A sender
 * that fell behind by more than MAX_LAG_NS moves BASE on instead: the rate
 * resumes, and the run takes longer.
 */
static void pace(uint64_t *base, uint64_t sent, unsigned long rate)
{
	uint64_t due = *base + sent * 1000000000ULL / rate, now = now_ns();

	if (now > due + MAX_LAG_NS)
		*base += now - due - MAX_LAG_NS;
	else
		sleep_until_ns(due);
}

static int run_sender(const struct sockaddr_in *to, unsigned long rate, double seconds,
		      size_t payload)
{
	static char data[65507];
	struct iovec iov = {data, payload};
	struct mmsghdr msgs[BATCH_MAX];
	uint64_t total = rate * seconds, sent = 0, start, stop, base;
	uint64_t batch = rate ? rate * BATCH_NS / 1000000000ULL : BATCH_MAX;
	int fd = udp_socket();

	if (payload > sizeof(data))
		die("payload too large", "at most 65507 bytes");
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		die("connect", strerror(errno));
	batch = batch < 1 ? 1 : batch > BATCH_MAX ? BATCH_MAX : batch;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH_MAX; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = base = now_ns();
	stop = start + seconds * 1e9;
	while (rate ? sent < total : now_ns() < stop) {
		unsigned int n = rate && total - sent < batch ? total - sent : batch;

		if (rate)
			pace(&base, sent, rate);
		send_all(fd, msgs, n);
		sent += n;
	}
	stop = now_ns();
	send_markers(fd);
	printf("%llu %.6f\n", (unsigned long long)sent, (stop - start) / 1e9);
	return 0;
}

static _Noreturn void run_receiver(const struct sockaddr_in *at)
{
	static char bufs[BATCH_MAX][2048];
	struct iovec iovs[BATCH_MAX];
	struct mmsghdr msgs[BATCH_MAX];
	unsigned long long received = 0;
	int fd = udp_socket();

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){RECV_BUFFER}, sizeof(int)) < 0)
		die("SO_RCVBUFFORCE (run as root)", strerror(errno));
	if (bind(fd, (const struct sockaddr *)at, sizeof(*at)) < 0)
		die("bind", strerror(errno));
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH_MAX; i++) {
		iovs[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	for (;;) {
		int n = recvmmsg(fd, msgs, BATCH_MAX, MSG_WAITFORONE, NULL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvmmsg", strerror(errno));
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_len > 0) {
				received++;
			} else if (received) {
				/* The first marker of a run; its others find 0. */
				printf("%llu\n", received);
				fflush(stdout);
				received = 0;
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;

	if (argc == 4 && !strcmp(argv[1], "recv")) {
		sin = parse_address(argv[2], argv[3]);
		run_receiver(&sin);
	}
	if (argc == 7 && !strcmp(argv[1], "send")) {
		sin = parse_address(argv[2], argv[3]);
		return run_sender(&sin, strtoul(argv[4], NULL, 10), atof(argv[5]),
				  strtoul(argv[6], NULL, 10));
	}
	fprintf(stderr, "usage: udp_load recv ADDR PORT | send ADDR PORT RATE SECONDS PAYLOAD\n");
	return 2;
}

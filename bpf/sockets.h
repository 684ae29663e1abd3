/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI between sockets.bpf.c and loader/sock_source.c. */
#ifndef ECAP_SOCKETS_H
#define ECAP_SOCKETS_H

#define SOCK_COMM_SIZE	   16
#define SOCK_FILENAME_SIZE 256

enum sock_event_type {
	SOCK_EVENT_OWNER = 1, /* a process used (bound, connected, sent or read on) a socket */
	SOCK_EVENT_TUPLE = 2, /* a TCP connection's addresses are complete (in softirq) */
	SOCK_EVENT_EXEC = 3,  /* a process ran a new program: its path */
};

/*
 * No timestamp: user space takes these in ring order, ahead of each batch of
 * packets, and a clock read per event is ~100 ns on a virtual machine.
 */
struct sock_event {
	__u64 cookie;
	__u64 cgroup_id;
	__u32 type; /* enum sock_event_type */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 netns; /* inode number of the socket's (or process's) network namespace */
	__u32 pad;
	char comm[SOCK_COMM_SIZE];
	__u16 family;	/* AF_INET, AF_INET6 */
	__u16 protocol; /* IPPROTO_TCP, IPPROTO_UDP */
	__u16 lport;	/* host byte order */
	__u16 rport;	/* host byte order, 0 for none */
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

/* SOCK_EVENT_EXEC: the path follows; socket events, several per connection, stay small. */
struct sock_exec_event {
	struct sock_event ev;
	char filename[SOCK_FILENAME_SIZE];
};

/* Who uses a socket, for the capture's owner filter. */
struct sock_owner {
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 pad;
	__u64 cgroup_id;
	char comm[SOCK_COMM_SIZE];
};

/* A socket's addresses in host byte order for ports, local side first; zeros
 * for the remote side of a listener or an unconnected UDP socket. */
struct sock_tuple {
	__u8 family;
	__u8 protocol;
	__u16 lport;
	__u16 rport;
	__u16 pad;
	__u8 laddr[16];
	__u8 raddr[16];
};

/* Filter settings, the same in every object that applies them. */
#define MAX_FILTER_PIDS 1024

#endif

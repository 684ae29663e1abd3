// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which process owns which socket, without kprobes or fentry (the reference
 * kernel has neither) and without a hook on the sends of a TCP connection or
 * a connected UDP socket: each socket is reported when a process first uses
 * it. cgroup hooks see binds, UDP connects and UDP datagrams sent with an
 * address, in the calling thread; tp_btf/inet_sock_set_state sees TCP
 * connects and listens in the caller, and connections getting their
 * addresses (accepted ones in softirq); a sockops program sees the first
 * thread that uses each new TCP connection. tp_btf/sched_process_exec names
 * programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "owners.bpf.h"

#define AF_INET	     2
#define AF_INET6     10
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE    7
#define TCP_LISTEN   10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} sock_events SEC(".maps");

/* With --follow-children, the children of a --pid process are filtered in too. */
const volatile bool follow_children = false;

/* Events the ring had no room for: packets may miss their process, so counted. */
__u64 events_lost = 0;

/* @size: a constant, sizeof a struct sock_event or of one that starts with it. */
static __always_inline struct sock_event *new_event(__u32 type, __u64 size)
{
	struct sock_event *ev = bpf_ringbuf_reserve(&sock_events, size, 0);

	if (!ev) {
		__sync_fetch_and_add(&events_lost, 1);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = type;
	return ev;
}

static __always_inline void fill_task(struct sock_event *ev)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	ev->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/*
 * Direct loads: every caller's socket is a tp_btf argument, a trusted
 * pointer, and a BPF_CORE_READ() per field was a helper call each.
 */
static __always_inline void fill_sock(struct sock_event *ev, const struct sock *sk)
{
	const struct sock_common *c = &sk->__sk_common;

	ev->netns = c->skc_net.net->ns.inum;
	ev->family = c->skc_family;
	ev->protocol = sk->sk_protocol;
	ev->lport = c->skc_num;
	ev->rport = __builtin_bswap16(c->skc_dport);
	if (ev->family == AF_INET6) {
		__builtin_memcpy(ev->laddr, &c->skc_v6_rcv_saddr, 16);
		__builtin_memcpy(ev->raddr, &c->skc_v6_daddr, 16);
	} else {
		__builtin_memcpy(ev->laddr, &c->skc_rcv_saddr, 4);
		__builtin_memcpy(ev->raddr, &c->skc_daddr, 4);
	}
}

/* A direct load, as in fill_sock(): this runs for every send. */
static __always_inline bool is_inet(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return family == AF_INET || family == AF_INET6;
}

static __always_inline void tuple_from_event(const struct sock_event *ev, struct sock_tuple *t)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = ev->family;
	t->protocol = ev->protocol;
	t->lport = ev->lport;
	__builtin_memcpy(t->laddr, ev->laddr, sizeof(t->laddr));
	if (ev->rport) {
		t->rport = ev->rport;
		__builtin_memcpy(t->raddr, ev->raddr, sizeof(t->raddr));
	}
}

/* Where the capture's TC programs find a packet's owner by its addresses. */
static __always_inline void record_tuple(const struct sock_event *ev, const struct sock_owner *o)
{
	struct sock_tuple t;

	if (!ev->lport)
		return;
	tuple_from_event(ev, &t);
	bpf_map_update_elem(&tuples, &t, o, BPF_ANY);
}

/* A new event naming the current thread as socket @cookie's user; NULL when the ring is full. */
static __always_inline struct sock_event *owner_event(__u64 cookie)
{
	struct sock_event *ev = new_event(SOCK_EVENT_OWNER, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->cookie = cookie;
	fill_task(ev);
	return ev;
}

/*
 * The owner in @ev, for the TC programs' owner filter: its maps are read by
 * nothing else, so without a filter (the usual capture) they cost no update.
 */
static __always_inline void share_owner(const struct sock_event *ev)
{
	struct sock_owner owner = {
	    .pid = ev->pid, .tid = ev->tid, .uid = ev->uid, .cgroup_id = ev->cgroup_id};

	if (!owner_filter_set())
		return;
	__builtin_memcpy(owner.comm, ev->comm, sizeof(owner.comm));
	bpf_map_update_elem(&owners, &ev->cookie, &owner, BPF_ANY);
	record_tuple(ev, &owner);
}

/* Reports the current thread as @sk's user; false when the ring is full. */
static __always_inline bool report_owner(struct sock *sk, __u64 cookie)
{
	struct sock_event *ev = owner_event(cookie);

	if (!ev)
		return false;
	fill_sock(ev, sk);
	share_owner(ev);
	bpf_ringbuf_submit(ev, quiet_unless_filling(&sock_events, sizeof(*ev)));
	return true;
}

/* A connection belongs to who connected it, or, accepted, to its listener's process. */
static __always_inline void record_connection(const struct sock_event *ev)
{
	struct sock_owner *owner;
	struct sock_tuple t;

	if (!owner_filter_set())
		return;
	owner = bpf_map_lookup_elem(&owners, &ev->cookie);
	if (!owner) {
		tuple_from_event(ev, &t);
		t.rport = 0;
		__builtin_memset(t.raddr, 0, sizeof(t.raddr));
		owner = bpf_map_lookup_elem(&tuples, &t);
		if (!owner) {
			__builtin_memset(t.laddr, 0, sizeof(t.laddr));
			owner = bpf_map_lookup_elem(&tuples, &t);
		}
	}
	if (owner)
		record_tuple(ev, owner);
}

/*
 * connect() and listen() change state in the caller, before the port of a
 * connect() is chosen; a connection's addresses are complete when it is
 * established (or refused), in softirq, where only the socket is known.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ecap_sock_state, struct sock *sk, int oldstate, int newstate)
{
	struct sock_event *ev;

	if (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN) {
		if (is_inet(sk))
			report_owner(sk, bpf_get_socket_cookie(sk));
		return 0;
	}
	if (newstate != TCP_ESTABLISHED && !(newstate == TCP_CLOSE && oldstate == TCP_SYN_SENT))
		return 0;
	ev = new_event(SOCK_EVENT_TUPLE, sizeof(*ev));
	if (!ev)
		return 0;
	ev->cookie = bpf_get_socket_cookie(sk);
	fill_sock(ev, sk);
	record_connection(ev);
	bpf_ringbuf_submit(ev, quiet_unless_filling(&sock_events, sizeof(*ev)));
	return 0;
}

/*
 * A socket as the cgroup hooks see it. Each hook may read only its own
 * family's address fields, so the family is a constant here, not a test.
 */
static __always_inline bool report_bpf_sock(struct bpf_sock *sk, __u64 cookie, bool ipv6)
{
	struct sock_event *ev = owner_event(cookie);
	__u32 *laddr;

	if (!ev)
		return false;
	ev->family = ipv6 ? AF_INET6 : AF_INET;
	ev->protocol = sk->protocol;
	ev->lport = sk->src_port;
	laddr = (__u32 *)ev->laddr;
	/* The context allows 4-byte loads only. */
	if (ipv6) {
		laddr[0] = sk->src_ip6[0];
		laddr[1] = sk->src_ip6[1];
		laddr[2] = sk->src_ip6[2];
		laddr[3] = sk->src_ip6[3];
	} else {
		laddr[0] = sk->src_ip4;
	}
	share_owner(ev);
	bpf_ringbuf_submit(ev, quiet_unless_filling(&sock_events, sizeof(*ev)));
	return true;
}

/* A bound UDP socket or TCP listener belongs to the binder before anything is sent. */
SEC("cgroup/post_bind4")
int ecap_post_bind4(struct bpf_sock *ctx)
{
	report_bpf_sock(ctx, bpf_get_socket_cookie(ctx), false);
	return 1; /* allow */
}

SEC("cgroup/post_bind6")
int ecap_post_bind6(struct bpf_sock *ctx)
{
	report_bpf_sock(ctx, bpf_get_socket_cookie(ctx), true);
	return 1;
}

/*
 * A connected UDP socket belongs to who connected it. Its port is chosen
 * after this hook, so it is known by its cookie only: its first packet out
 * tells its addresses, and on loopback TC finds it by the cookie kept here.
 * TCP connects are seen as SYN_SENT.
 */
static __always_inline int report_udp_connect(struct bpf_sock_addr *ctx, bool ipv6)
{
	struct bpf_sock *sk = ctx->sk;
	__u64 cookie, *stored;

	if (!sk || ctx->protocol != IPPROTO_UDP)
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	report_bpf_sock(sk, cookie, ipv6);
	stored = bpf_sk_storage_get(&udp_cookies, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (stored)
		*stored = cookie;
	return 1;
}

SEC("cgroup/connect4")
int ecap_connect4(struct bpf_sock_addr *ctx)
{
	return report_udp_connect(ctx, false);
}

SEC("cgroup/connect6")
int ecap_connect6(struct bpf_sock_addr *ctx)
{
	return report_udp_connect(ctx, true);
}

/*
 * The thread last reported as an unconnected UDP socket's sender, by socket
 * cookie: a direct-mapped table of words, each the cookie's low half beside
 * the thread id, so that one aligned load reads both and no torn pair is
 * ever seen. Cookies count up, so recent sockets seldom share a slot; two
 * that do and take turns sending only cost repeated reports.
 */
#define SENDER_SLOTS 16384

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SENDER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} last_sender SEC(".maps");

/*
 * A datagram sent with an address (sendto), which the kernel bound to a port
 * just before if it had none: the sender owns the socket. The hook runs for
 * every such datagram, so a thread is reported only when it takes over.
 */
static __always_inline int report_udp_sender(struct bpf_sock_addr *ctx, bool ipv6)
{
	__u64 cookie = bpf_get_socket_cookie(ctx), *last;
	__u64 mark = cookie << 32 | (__u32)bpf_get_current_pid_tgid();
	struct bpf_sock *sk = ctx->sk;

	if (!sk)
		return 1;
	last = bpf_map_lookup_elem(&last_sender, &(__u32){ cookie & (SENDER_SLOTS - 1) });
	if (last && *last == mark)
		return 1;
	/* Not remembered when the ring is full: the next datagram tries again. */
	if (report_bpf_sock(sk, cookie, ipv6) && last)
		*last = mark;
	return 1;
}

SEC("cgroup/sendmsg4")
int ecap_sendmsg4(struct bpf_sock_addr *ctx)
{
	return report_udp_sender(ctx, false);
}

SEC("cgroup/sendmsg6")
int ecap_sendmsg6(struct bpf_sock_addr *ctx)
{
	return report_udp_sender(ctx, true);
}

/*
 * A TCP connection's user is the first thread that sends on it or acknowledges
 * what it reads, holding the socket's lock: a prefork server's worker, not
 * the master that listened; the thread a server hands a connection to. The
 * kernel calls this program for a connection's header options only while
 * asked to: from its establishment until that first use, so established
 * connections cost nothing (a hook on every send cost keep-alive HTTPS ~2%).
 * Softirq sends (ACKs, retransmissions) run while no one holds the lock.
 */
SEC("sockops")
int ecap_sock_ops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *bsk;
	struct tcp_sock *tp;

	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
							 BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		return 1;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		break;
	default:
		return 1;
	}
	bsk = skops->sk;
	tp = bsk ? bpf_skc_to_tcp_sock(bsk) : NULL;
	if (!tp || !tp->inet_conn.icsk_inet.sk.sk_lock.owned)
		return 1;
	/* Not reported when the ring is full: the next transmission tries again. */
	if (report_owner((struct sock *)tp, bpf_get_socket_cookie(skops)))
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
							 ~BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
	return 1;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ecap_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct sock_exec_event *exec;

	exec = (struct sock_exec_event *)new_event(SOCK_EVENT_EXEC, sizeof(*exec));
	if (!exec)
		return 0;
	fill_task(&exec->ev);
	/* NUL-terminated, or all zeros if it cannot be read. */
	bpf_probe_read_kernel_str(exec->filename, sizeof(exec->filename),
				  BPF_CORE_READ(bprm, filename));
	/* Now: /proc/PID/exe names the program only while the process lives. */
	bpf_ringbuf_submit(exec, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ecap_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), pid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (follow_children && ppid != pid && bpf_map_lookup_elem(&filter_pids, &ppid))
		bpf_map_update_elem(&filter_pids, &pid, &one, BPF_ANY);
	return 0;
}

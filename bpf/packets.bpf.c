// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TC classifier that copies every packet of the interfaces it is attached to
 * into a ring buffer, after the capture filter (classic BPF, as compiled by
 * libpcap) has accepted it. It never changes the packet's fate.
 */
#include "vmlinux.h"
#include <linux/bpf_common.h>
#include <bpf/bpf_helpers.h>
#include "packets.h"
#include "owners.bpf.h"

#define TC_ACT_UNSPEC (-1) /* continue with the next classifier or tcx program */

/* Classic BPF opcodes from linux/filter.h, which can't be included beside vmlinux.h. */
#define BPF_RVAL(code)	 ((code) & 0x18)
#define BPF_A		 0x10
#define BPF_MISCOP(code) ((code) & 0xf8)
#define BPF_TAX		 0x00

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time settings, written by user space between open and load. */
const volatile __u32 snaplen = MAX_SNAPLEN;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_IFACES);
	__type(key, __u32); /* ifindex */
	__type(value, struct iface_cfg);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_IFACES);
	__type(key, __u32); /* iface_cfg.slot */
	__type(value, struct iface_stats);
} stats SEC(".maps");

/*
 * A record is assembled here before it goes into the ring: a ring buffer
 * reservation must have a constant size, and a per-CPU map value can't hold a
 * whole GSO packet. One entry per CPU; TC hooks don't nest on a CPU.
 */
struct record {
	struct pkt_event ev;
	__u8 data[MAX_SNAPLEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of CPUs by user space */
	__type(key, __u32);
	__type(value, struct record);
} scratch SEC(".maps");

/*
 * Registers of the classic BPF interpreter. They live in a map, not on the
 * stack, so that the verifier sees every iteration of the interpreter loop
 * start from the same state (map contents are unknown to it) and verifies the
 * loop body once instead of once per possible register value.
 */
struct filter_regs {
	__u32 pc;
	__u32 a;
	__u32 x;
	__u32 verdict; /* snapshot length; 0 rejects */
	__u32 mem[FILTER_MEMWORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct filter_regs);
} filter_regs SEC(".maps");

struct filter_run {
	struct __sk_buff *skb;
	struct iface_cfg *cfg;
	struct filter_regs *r;
};

static __always_inline int load_packet(struct __sk_buff *skb, __u32 off, __u32 size, __u32 *val)
{
	__u8 b[4];

	switch (size) {
	case BPF_W:
		if (bpf_skb_load_bytes(skb, off, b, 4))
			return -1;
		*val = (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
		return 0;
	case BPF_H:
		if (bpf_skb_load_bytes(skb, off, b, 2))
			return -1;
		*val = (__u32)b[0] << 8 | b[1];
		return 0;
	case BPF_B:
		if (bpf_skb_load_bytes(skb, off, b, 1))
			return -1;
		*val = b[0];
		return 0;
	}
	return -1;
}

static __always_inline __u32 alu(__u32 op, __u32 a, __u32 operand, bool *fault)
{
	switch (op) {
	case BPF_ADD:
		return a + operand;
	case BPF_SUB:
		return a - operand;
	case BPF_MUL:
		return a * operand;
	case BPF_DIV:
		if (!operand)
			break;
		return a / operand;
	case BPF_MOD:
		if (!operand)
			break;
		return a % operand;
	case BPF_OR:
		return a | operand;
	case BPF_AND:
		return a & operand;
	case BPF_XOR:
		return a ^ operand;
	case BPF_LSH:
		return operand < 32 ? a << operand : 0;
	case BPF_RSH:
		return operand < 32 ? a >> operand : 0;
	case BPF_NEG:
		return -a;
	}
	*fault = true;
	return 0;
}

static __always_inline bool jump_taken(__u32 op, __u32 a, __u32 operand)
{
	switch (op) {
	case BPF_JEQ:
		return a == operand;
	case BPF_JGT:
		return a > operand;
	case BPF_JGE:
		return a >= operand;
	case BPF_JSET:
		return a & operand;
	}
	return false;
}

/* Executes one instruction; returns 1 once the program has returned. */
static long filter_step(__u32 i, void *ctx)
{
	struct filter_run *run = ctx;
	struct filter_regs *r = run->r;
	struct cbpf_insn in;
	__u32 pc = r->pc, operand, val;
	bool fault = false;

	if (pc >= MAX_FILTER_INSNS)
		goto reject;
	in = run->cfg->filter[pc];
	r->pc = pc + 1;
	operand = BPF_SRC(in.code) == BPF_X ? r->x : in.k;

	switch (BPF_CLASS(in.code)) {
	case BPF_LD:
	case BPF_LDX:
		switch (BPF_MODE(in.code)) {
		case BPF_IMM:
			val = in.k;
			break;
		case BPF_LEN:
			val = run->skb->len;
			break;
		case BPF_MEM:
			if (in.k >= FILTER_MEMWORDS)
				goto reject;
			val = r->mem[in.k];
			break;
		case BPF_ABS:
			if (load_packet(run->skb, in.k, BPF_SIZE(in.code), &val))
				goto reject;
			break;
		case BPF_IND:
			if (load_packet(run->skb, r->x + in.k, BPF_SIZE(in.code), &val))
				goto reject;
			break;
		case BPF_MSH:
			if (load_packet(run->skb, in.k, BPF_B, &val))
				goto reject;
			val = (val & 0xf) << 2;
			break;
		default:
			goto reject;
		}
		if (BPF_CLASS(in.code) == BPF_LD)
			r->a = val;
		else
			r->x = val;
		return 0;
	case BPF_ST:
	case BPF_STX:
		if (in.k >= FILTER_MEMWORDS)
			goto reject;
		r->mem[in.k] = BPF_CLASS(in.code) == BPF_ST ? r->a : r->x;
		return 0;
	case BPF_ALU:
		r->a = alu(BPF_OP(in.code), r->a, operand, &fault);
		if (fault)
			goto reject;
		return 0;
	case BPF_JMP:
		if (BPF_OP(in.code) == BPF_JA)
			r->pc += in.k;
		else
			r->pc += jump_taken(BPF_OP(in.code), r->a, operand) ? in.jt : in.jf;
		return 0;
	case BPF_RET:
		r->verdict = BPF_RVAL(in.code) == BPF_A ? r->a : in.k;
		return 1;
	case BPF_MISC:
		if (BPF_MISCOP(in.code) == BPF_TAX)
			r->x = r->a;
		else
			r->a = r->x;
		return 0;
	}
reject:
	r->verdict = 0;
	return 1;
}

/* Returns how many bytes of the packet the filter wants, 0 for none. */
static __always_inline __u32 run_filter(struct __sk_buff *skb, struct iface_cfg *cfg)
{
	struct filter_run run = { .skb = skb, .cfg = cfg };
	__u32 zero = 0;

	if (!cfg->filter_len)
		return MAX_SNAPLEN;
	run.r = bpf_map_lookup_elem(&filter_regs, &zero);
	if (!run.r)
		return 0;
	__builtin_memset(run.r, 0, sizeof(*run.r));
	/* A program that runs off its end rejects, as in the kernel's interpreter. */
	bpf_loop(MAX_FILTER_INSNS, filter_step, &run, 0);
	return run.r->verdict;
}

#define ETH_HLEN     14
#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define AF_INET	     2
#define AF_INET6     10
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17

static __always_inline __u16 load_be16(struct __sk_buff *skb, __u32 off, int *err)
{
	__u8 b[2];

	*err |= bpf_skb_load_bytes(skb, off, b, 2);
	return (__u16)b[0] << 8 | b[1];
}

/* The packet's addresses, source side first, from an Ethernet or raw IP header. */
static __always_inline int parse_tuple(struct __sk_buff *skb, bool raw, struct sock_tuple *t)
{
	__u32 off = raw ? 0 : ETH_HLEN, l4;
	__u16 proto = raw ? 0 : load_be16(skb, 12, &(int){ 0 });
	__u8 vhl, next;
	int err = 0;

	if (!raw && (proto == ETH_P_8021Q || proto == ETH_P_8021AD)) {
		proto = load_be16(skb, off + 2, &err);
		off += 4;
	}
	if (bpf_skb_load_bytes(skb, off, &vhl, 1))
		return -1;
	if (vhl >> 4 == 4 && (raw || proto == ETH_P_IP)) {
		if (load_be16(skb, off + 6, &err) & 0x1fff)
			return -1; /* a later fragment: no ports */
		err |= bpf_skb_load_bytes(skb, off + 9, &next, 1);
		err |= bpf_skb_load_bytes(skb, off + 12, t->laddr, 4);
		err |= bpf_skb_load_bytes(skb, off + 16, t->raddr, 4);
		t->family = AF_INET;
		l4 = off + (vhl & 0xf) * 4;
	} else if (vhl >> 4 == 6 && (raw || proto == ETH_P_IPV6)) {
		err |= bpf_skb_load_bytes(skb, off + 6, &next, 1);
		err |= bpf_skb_load_bytes(skb, off + 8, t->laddr, 16);
		err |= bpf_skb_load_bytes(skb, off + 24, t->raddr, 16);
		t->family = AF_INET6;
		l4 = off + 40; /* extension headers: no owner */
	} else {
		return -1;
	}
	if (err || (next != IPPROTO_TCP && next != IPPROTO_UDP))
		return -1;
	t->protocol = next;
	t->lport = load_be16(skb, l4, &err);
	t->rport = load_be16(skb, l4 + 2, &err);
	return err ? -1 : 0;
}

static __always_inline void swap_sides(struct sock_tuple *t)
{
	__u8 addr[16];
	__u16 port = t->lport;

	t->lport = t->rport;
	t->rport = port;
	__builtin_memcpy(addr, t->laddr, 16);
	__builtin_memcpy(t->laddr, t->raddr, 16);
	__builtin_memcpy(t->raddr, addr, 16);
}

/* A socket with a peer, else a listener or unconnected UDP socket on any address. */
static __always_inline struct sock_owner *owner_of_tuple(struct sock_tuple *t)
{
	struct sock_owner *o = bpf_map_lookup_elem(&tuples, t);

	if (o)
		return o;
	t->rport = 0;
	__builtin_memset(t->raddr, 0, 16);
	o = bpf_map_lookup_elem(&tuples, t);
	if (o)
		return o;
	__builtin_memset(t->laddr, 0, 16);
	return bpf_map_lookup_elem(&tuples, t);
}

/* The process behind a packet: its socket where TC knows it, else its addresses. */
static __always_inline struct sock_owner *packet_owner(struct sock_tuple *t,
						       struct __sk_buff *skb, __u8 dir, bool raw)
{
	__u64 cookie = dir == PKT_DIR_OUTBOUND ? bpf_get_socket_cookie(skb) : 0;
	struct sock_tuple copy;
	struct sock_owner *o;

	if (cookie) {
		o = bpf_map_lookup_elem(&owners, &cookie);
		if (o)
			return o;
	}
	__builtin_memset(t, 0, sizeof(*t));
	if (parse_tuple(skb, raw, t))
		return NULL;
	/* Outbound: the source is ours. Inbound: the destination, or on loopback either. */
	if (dir == PKT_DIR_INBOUND)
		swap_sides(t);
	copy = *t;
	o = owner_of_tuple(t);
	if (o || dir == PKT_DIR_OUTBOUND)
		return o;
	swap_sides(&copy);
	return owner_of_tuple(&copy);
}

static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	__u32 ifindex = skb->ifindex, cpu = bpf_get_smp_processor_id();
	struct iface_stats *st;
	struct iface_cfg *cfg;
	struct record *rec;
	__u64 now = bpf_ktime_get_ns(), flags, cap;

	cfg = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!cfg)
		return;
	st = bpf_map_lookup_elem(&stats, &cfg->slot);
	if (!st)
		return;
	st->seen++;

	if (owner_filter_set()) {
		struct sock_tuple tuple;
		struct sock_owner *owner = packet_owner(&tuple, skb, dir, cfg->raw);

		if (!owner || !owner_allowed(owner))
			return;
	}
	cap = run_filter(skb, cfg);
	if (!cap)
		return;
	st->accepted++;

	rec = bpf_map_lookup_elem(&scratch, &cpu);
	if (!rec)
		goto lost;
	if (cap > snaplen)
		cap = snaplen;
	if (cap > skb->len)
		cap = skb->len;
	/* Bound the very register the helpers get: the verifier wants to see it. */
	barrier_var(cap);
	if (cap > MAX_SNAPLEN)
		cap = MAX_SNAPLEN;

	rec->ev.ts_mono = now;
	rec->ev.sock_cookie = dir == PKT_DIR_OUTBOUND ? bpf_get_socket_cookie(skb) : 0;
	rec->ev.ifindex = ifindex;
	rec->ev.len = skb->len;
	rec->ev.cap_len = cap;
	rec->ev.vlan_tci = skb->vlan_present ? skb->vlan_tci : 0;
	rec->ev.vlan_proto = skb->vlan_present ? skb->vlan_proto : 0;
	rec->ev.slot = cfg->slot;
	rec->ev.dir = dir;
	if (cap && bpf_skb_load_bytes(skb, 0, rec->data, cap))
		goto lost;

	flags = quiet_unless_filling(&events);
	if (bpf_ringbuf_output(&events, rec, sizeof(rec->ev) + cap, flags))
		goto lost;
	return;
lost:
	st->lost++;
}

SEC("tc")
int ecap_ingress(struct __sk_buff *skb)
{
	capture(skb, PKT_DIR_INBOUND);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int ecap_egress(struct __sk_buff *skb)
{
	capture(skb, PKT_DIR_OUTBOUND);
	return TC_ACT_UNSPEC;
}

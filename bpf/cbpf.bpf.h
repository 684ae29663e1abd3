/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A classic BPF interpreter for TC programs: runs the capture filter libpcap
 * compiled (struct cbpf_insn, from user space) on a packet, so that packets
 * it rejects are never copied. Included by packets.bpf.c only.
 */
#ifndef ECAP_CBPF_BPF_H
#define ECAP_CBPF_BPF_H

#include <linux/bpf_common.h>
#include "packets.h"

/* Classic BPF opcodes from linux/filter.h, which can't be included beside vmlinux.h. */
#define BPF_RVAL(code)	 ((code) & 0x18)
#define BPF_A		 0x10
#define BPF_MISCOP(code) ((code) & 0xf8)
#define BPF_TAX		 0x00

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

#endif

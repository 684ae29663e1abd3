// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "filter.h"

_Static_assert(sizeof(struct cbpf_insn) == sizeof(struct bpf_insn),
	       "struct cbpf_insn must have libpcap's layout");

int filter_compile(const char *expr, int linktype, uint32_t snaplen, struct filter_prog *prog,
		   char *err, size_t errlen)
{
	struct bpf_program code;
	pcap_t *p;
	int ret;

	memset(prog, 0, sizeof(*prog));
	p = pcap_open_dead(linktype, (int)snaplen);
	if (!p) {
		snprintf(err, errlen, "libpcap could not open a handle for link type %d", linktype);
		return -1;
	}
	ret = pcap_compile(p, &code, expr, 1, PCAP_NETMASK_UNKNOWN);
	if (ret)
		snprintf(err, errlen, "%s", pcap_geterr(p));
	pcap_close(p);
	if (ret)
		return -1;

	prog->insns = malloc(code.bf_len * sizeof(*prog->insns));
	if (prog->insns) {
		memcpy(prog->insns, code.bf_insns, code.bf_len * sizeof(*prog->insns));
		prog->len = code.bf_len;
	} else {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	}
	pcap_freecode(&code);
	return ret;
}

/*
 * The in-kernel interpreter reads packet bytes only: negative offsets, which
 * Linux uses for ancillary data, and overlong programs stay in user space.
 */
bool filter_fits_kernel(const struct filter_prog *prog)
{
	if (prog->len > MAX_FILTER_INSNS)
		return false;
	for (unsigned int i = 0; i < prog->len; i++) {
		const struct cbpf_insn *in = &prog->insns[i];
		int class = BPF_CLASS(in->code), mode = BPF_MODE(in->code);

		if ((class == BPF_LD || class == BPF_LDX) && (mode == BPF_ABS || mode == BPF_IND) &&
		    (int32_t)in->k < 0)
			return false;
	}
	return true;
}

uint32_t filter_run(const struct filter_prog *prog, const uint8_t *pkt, uint32_t cap_len,
		    uint32_t len)
{
	return bpf_filter((const struct bpf_insn *)prog->insns, pkt, len, cap_len);
}

void filter_free(struct filter_prog *prog)
{
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}

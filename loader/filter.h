/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Capture filters: pcap syntax compiled by libpcap into classic BPF, run in the
 * kernel by packets.bpf.c where it can, else here.
 *
 * libpcap's headers clash with the kernel's (struct bpf_insn), so only
 * filter.c includes them.
 */
#ifndef ECAP_FILTER_H
#define ECAP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "packets.h"

#define FILTER_ERRBUF_SIZE 256 /* PCAP_ERRBUF_SIZE */

struct filter_prog {
	struct cbpf_insn *insns;
	unsigned int len;
};

/*
 * Compiles @expr for packets of @linktype captured up to @snaplen bytes. On
 * failure returns -1 and leaves libpcap's own message, which names what is
 * wrong, in @err.
 */
int filter_compile(const char *expr, int linktype, uint32_t snaplen, struct filter_prog *prog,
		   char *err, size_t errlen);

/* Whether packets.bpf.c's interpreter can run @prog. */
bool filter_fits_kernel(const struct filter_prog *prog);

/* Runs @prog on a packet in user space: 0 rejects it. */
uint32_t filter_run(const struct filter_prog *prog, const uint8_t *pkt, uint32_t cap_len,
		    uint32_t len);

void filter_free(struct filter_prog *prog);

#endif

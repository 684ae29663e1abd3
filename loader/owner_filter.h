/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The capture's filter on processes (--pid, --uid, --comm, --cgroup), applied
 * in the kernel by every object that sees packets or secrets (see
 * bpf/owners.bpf.h), over socket-owner maps they all share.
 */
#ifndef ECAP_OWNER_FILTER_H
#define ECAP_OWNER_FILTER_H

#include <stdbool.h>
#include <stdint.h>

struct owner_filter {
	const uint32_t *pids;
	int n_pids;
	bool follow_children;
	uint32_t uid;	    /* UINT32_MAX: any */
	char comm[16];	    /* "": any */
	uint64_t cgroup_id; /* 0: any */
	/*
	 * Not a filter on packets: a user other than root, who captures everyone's
	 * packets, sees secrets and process details only of this uid's processes.
	 * UINT32_MAX: root, who sees every process.
	 */
	uint32_t only_uid;
};

/* The maps of bpf/owners.bpf.h, once created: -1 where not. */
struct owner_maps {
	int owners;
	int tuples;
	int pids;
	int udp_cookies;
};

bool owner_filter_set(const struct owner_filter *f);

/*
 * Sets the filter in a skeleton's rodata: each object declares the same
 * fields (bpf/owners.bpf.h), so a macro serves every skeleton type.
 */
#define OWNER_FILTER_RODATA(rodata, f)                                                             \
	do {                                                                                       \
		(rodata)->filter_by_pid = (f)->n_pids > 0;                                         \
		(rodata)->filter_uid = (f)->uid;                                                   \
		memcpy((void *)(rodata)->filter_comm, (f)->comm, sizeof((rodata)->filter_comm));   \
		(rodata)->filter_cgroup = (f)->cgroup_id;                                          \
	} while (0)

struct bpf_map;

/* Makes an object about to load use the maps @m already holds. Returns 0 or -errno. */
int owner_maps_reuse(const struct owner_maps *m, struct bpf_map *owners, struct bpf_map *tuples,
		     struct bpf_map *pids, struct bpf_map *udp_cookies);

#endif

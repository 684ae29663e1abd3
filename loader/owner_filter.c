// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <bpf/libbpf.h>
#include "owner_filter.h"

bool owner_filter_set(const struct owner_filter *f)
{
	return f && (f->n_pids || f->uid != UINT32_MAX || f->comm[0] || f->cgroup_id);
}

int owner_maps_reuse(const struct owner_maps *m, struct bpf_map *owners, struct bpf_map *tuples,
		     struct bpf_map *pids, struct bpf_map *udp_cookies)
{
	int err = 0;

	if (!m)
		return 0;
	if (m->owners >= 0)
		err = bpf_map__reuse_fd(owners, m->owners);
	if (!err && m->tuples >= 0)
		err = bpf_map__reuse_fd(tuples, m->tuples);
	if (!err && m->pids >= 0)
		err = bpf_map__reuse_fd(pids, m->pids);
	if (!err && m->udp_cookies >= 0)
		err = bpf_map__reuse_fd(udp_cookies, m->udp_cookies);
	return err;
}


// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "tc_attach.h"

/* From Linux 6.6's uapi; Debian 12's headers predate tcx. */
#define ECAP_BPF_TCX_INGRESS 46
#define ECAP_BPF_TCX_EGRESS  47

static const char *hook_name(bool egress)
{
	return egress ? "egress" : "ingress";
}

static int attach_tcx(int prog_fd, int ifindex, bool egress, struct tc_hook *hook)
{
	int type = egress ? ECAP_BPF_TCX_EGRESS : ECAP_BPF_TCX_INGRESS;
	int fd = bpf_link_create(prog_fd, ifindex, type, NULL);

	if (fd < 0)
		return -errno;
	hook->mode = ATTACH_TCX;
	hook->link_fd = fd;
	return 0;
}

/*
 * Filters run in priority order and a classic classifier that matches ends the
 * chain, so ours takes the first free priority: it sees every packet, passes
 * it on unchanged, and replaces nobody (NLM_F_EXCL).
 */
static int attach_first_free(struct bpf_tc_hook *qdisc, int prog_fd, struct tc_hook *hook)
{
	int err = -EEXIST;

	for (uint32_t prio = 1; prio <= MAX_CLSACT_PRIORITY; prio++) {
		LIBBPF_OPTS(bpf_tc_opts, filter, .prog_fd = prog_fd, .handle = CLSACT_HANDLE,
			    .priority = prio);

		err = bpf_tc_attach(qdisc, &filter);
		if (err == -EEXIST || err == -EINVAL)
			continue; /* taken, by a filter of ours or of another kind */
		if (err)
			return err;
		if (prio > 1)
			log_warn("TC filters before priority %u on %s of ifindex %d may hide packets "
				 "from the capture; --attach tcx avoids that", prio,
				 hook_name(hook->egress), hook->ifindex);
		hook->handle = filter.handle;
		hook->priority = filter.priority;
		return 0;
	}
	return err;
}

static int attach_clsact(int prog_fd, int ifindex, bool egress, struct tc_hook *hook)
{
	LIBBPF_OPTS(bpf_tc_hook, qdisc, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	int err;

	/* Someone else's clsact qdisc is shared, and left in place afterwards. */
	err = bpf_tc_hook_create(&qdisc);
	if (err && err != -EEXIST)
		return err;
	hook->created_qdisc = !err;

	err = attach_first_free(&qdisc, prog_fd, hook);
	if (err) {
		if (hook->created_qdisc) {
			qdisc.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&qdisc);
		}
		return err;
	}
	hook->mode = ATTACH_CLSACT;
	return 0;
}

int tc_attach(int prog_fd, int ifindex, bool egress, enum attach_mode mode, struct tc_hook *hook)
{
	int err = -EOPNOTSUPP;

	memset(hook, 0, sizeof(*hook));
	hook->ifindex = ifindex;
	hook->egress = egress;
	hook->link_fd = -1;

	if (mode != ATTACH_CLSACT) {
		err = attach_tcx(prog_fd, ifindex, egress, hook);
		if (!err || mode == ATTACH_TCX)
			return err;
		log_debug("tcx %s on ifindex %d: %s; using clsact", hook_name(egress), ifindex,
			  strerror(-err));
	}
	return attach_clsact(prog_fd, ifindex, egress, hook);
}

void tc_detach(struct tc_hook *hook)
{
	LIBBPF_OPTS(bpf_tc_hook, qdisc, .ifindex = hook->ifindex,
		    .attach_point = hook->egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, filter, .handle = hook->handle, .priority = hook->priority);

	switch (hook->mode) {
	case ATTACH_TCX:
		close(hook->link_fd);
		break;
	case ATTACH_CLSACT:
		/* The interface may be gone already; then so is everything on it. */
		bpf_tc_detach(&qdisc, &filter);
		if (hook->created_qdisc) {
			qdisc.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&qdisc);
		}
		break;
	default:
		break;
	}
	hook->mode = ATTACH_AUTO;
	hook->link_fd = -1;
}

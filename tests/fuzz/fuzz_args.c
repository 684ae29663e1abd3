// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the command line (extcap/options.c): the input, split
 * at NUL bytes, is the argument vector after "ecap-tls", parsed and checked
 * exactly as main() does before it answers a query or captures. Beyond "no
 * crash, no leak, no exit()", every accepted command line must hold the
 * promises that the capture relies on without checking them again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "options.h"
#include "packets.h"

#define MAX_ARGS 64

static struct ecap_options opts;

static void check_interfaces(char **names)
{
	for (; names && *names; names++) {
		size_t len = strlen(*names);

		if (!len || len > 15 || strchr(*names, ',') || !strcmp(*names, "any"))
			abort();
	}
}

static void check_accepted(void)
{
	if (opts.help)
		return; /* the parse stopped at the help option, as GLib's would */
	if (opts.snaplen < 1 || opts.snaplen > MAX_SNAPLEN || opts.buffer_kib < 64 ||
	    opts.buffer_kib > 1048576 || opts.tls_wait_ms > 60000 || opts.attach > ATTACH_CLSACT)
		abort();
	if ((opts.n_pids == 0) != (opts.pids == NULL) || opts.n_pids < 0)
		abort();
	for (int i = 0; i < opts.n_pids; i++) {
		if (opts.pids[i] < 1 || opts.pids[i] > 4194304)
			abort();
	}
	if (opts.follow_children && !opts.n_pids)
		abort();
	if (opts.uid < -1 || opts.uid > (int64_t)UINT32_MAX - 1)
		abort();
	if ((opts.comm && (!opts.comm[0] || strlen(opts.comm) > 15)) ||
	    (opts.cgroup && !opts.cgroup[0]))
		abort();
	if (opts.capture && !opts.fifo)
		abort();
	if (!opts.output && !options_is_query(&opts))
		abort();
	if (opts.output && !opts.output[0])
		abort();
	if (opts.no_tls && (opts.tls_libs || opts.keylog_file))
		abort();
	if (opts.extcap_interface && strcmp(opts.extcap_interface, ECAP_INTERFACE_NAME))
		abort();
	check_interfaces(opts.interfaces);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 1], *buf = malloc(size + 1);
	int argc = 0;
	size_t i = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = "ecap-tls";
	/* Every NUL ends an argument; a NUL at the very end adds no empty one. */
	while (i < size && argc < MAX_ARGS) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	if (!options_parse(argc, argv, &opts)) {
		check_accepted();
		options_free(&opts);
	}
	free(buf);
	return 0;
}

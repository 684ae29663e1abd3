// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ecap-tls: Wireshark's "eBPF TLS capture" extcap, and a tcpdump-like command
 * line that writes pcapng. Exit status: 0, or 1 after one line on stderr.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <glib.h>
#include "capture.h"
#include "extcap.h"
#include "leftovers.h"
#include "log.h"
#include "options.h"

/* libpcap's header clashes with the kernel's (struct bpf_insn); its one function used here: */
const char *pcap_lib_version(void);

#ifndef ECAP_VERSION
#define ECAP_VERSION "0.0.0"
#endif

static void print_version(void)
{
	printf(ECAP_INTERFACE_NAME " %s\n", ECAP_VERSION);
	printf("libbpf %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	printf("%s\n", pcap_lib_version());
	printf("GLib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
}

static int cleanup(void)
{
	int removed = leftovers_remove();

	if (removed < 0) {
		log_error("cannot list the kernel's BPF programs to find what killed captures left: "
			  "%s%s", strerror(-removed), removed == -EPERM ? "; run as root" : "");
		return 1;
	}
	printf("ecap-tls: %d TC filters of killed captures removed\n", removed);
	return 0;
}

int main(int argc, char **argv)
{
	struct ecap_options opts;
	int ret;

	/* The terminal's charset for --help; messages and numbers stay in the C locale. */
	setlocale(LC_CTYPE, "");
	if (options_parse(argc, argv, &opts))
		return 1;
	log_set_verbose(opts.verbose);
	if (opts.help) {
		options_print_help(&opts);
		ret = 0;
		goto end;
	}
	if (opts.version) {
		print_version();
		ret = 0;
		goto end;
	}
	if (opts.cleanup) {
		ret = cleanup();
		goto end;
	}
	ret = extcap_answer(&opts);
	if (ret < 0)
		ret = capture_run(&opts);
end:
	options_free(&opts);
	return ret;
}

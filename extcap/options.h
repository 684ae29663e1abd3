/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line. One table serves both faces of the binary: the scripted,
 * tcpdump-like CLI and Wireshark's extcap protocol, whose --extcap-config
 * lists the same options.
 */
#ifndef ECAP_OPTIONS_H
#define ECAP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "tc_attach.h"

#define ECAP_INTERFACE_NAME "ecap-tls"
#define ECAP_DISPLAY_NAME   "eBPF TLS capture"

struct ecap_options {
	/* Extcap protocol */
	bool extcap_interfaces;
	bool extcap_dlts;
	bool extcap_config;
	bool capture;
	char *extcap_interface;
	char *extcap_reload_option;
	char *extcap_capture_filter;
	char *extcap_version;
	char *fifo;

	/* Capture */
	char **interfaces; /* NULL-terminated; NULL: every interface that is up */
	char *output;	   /* -w / --fifo; "-" is stdout */
	char *filter;	   /* pcap syntax, NULL for none */
	uint32_t snaplen;  /* 1..MAX_SNAPLEN */
	uint64_t count;	   /* packets to write, 0: no limit */
	uint32_t duration; /* seconds, 0: no limit */
	uint32_t buffer_kib; /* ring buffer size */
	enum attach_mode attach;
	bool verbose;
	bool version;
};

/*
 * Parses @argv into @opts (defaults first). On bad input prints one line to
 * stderr naming the option and what to do, and returns -1.
 */
int options_parse(int argc, char **argv, struct ecap_options *opts);
void options_free(struct ecap_options *opts);

#endif

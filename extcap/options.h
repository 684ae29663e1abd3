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

/* GLib's help options; they end the parse where they stand, as GLib's own would. */
enum options_help {
	OPTIONS_HELP_NONE,
	OPTIONS_HELP_MAIN,   /* -h, --help, -? */
	OPTIONS_HELP_ALL,    /* --help-all */
	OPTIONS_HELP_EXTCAP, /* --help-extcap */
};

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

	/* TLS secrets */
	bool no_tls;
	char **tls_libs;     /* NULL-terminated extra libssl files, NULL for none */
	char *keylog_file;   /* also write SSLKEYLOGFILE lines here, NULL for none */
	uint32_t tls_wait_ms; /* longest a handshake's packets wait for its secrets */

	/* Whose packets and secrets, evaluated in the kernel */
	uint32_t *pids;	/* --pid, n_pids of them */
	int n_pids;
	bool follow_children;
	int64_t uid;  /* -1: any */
	char *comm;   /* NULL: any */
	char *cgroup; /* cgroup v2 path, NULL: any */
	/* Not an option: a user other than root sees only their own processes (UINT32_MAX: root). */
	uint32_t only_uid;

	bool verbose;
	bool version;
	enum options_help help;
	bool cleanup;
};

/*
 * Parses @argv into @opts (defaults first). On bad input prints one line to
 * stderr naming the option and what to do, and returns -1. It never exits:
 * a help option sets @opts->help and returns 0, leaving the printing to the
 * caller.
 */
int options_parse(int argc, char **argv, struct ecap_options *opts);
void options_free(struct ecap_options *opts);

/* Prints the help that @opts->help asks for to standard output. */
void options_print_help(const struct ecap_options *opts);

/* True when @opts asks a question (--version, --cleanup, --extcap-*) rather than for a capture. */
bool options_is_query(const struct ecap_options *opts);

/* How Wireshark's interface options dialog (--extcap-config) shows an option. */
enum extcap_arg_type {
	EXTCAP_ARG_NONE,       /* not in the dialog */
	EXTCAP_ARG_MULTICHECK, /* the network interfaces of the live system */
	EXTCAP_ARG_UNSIGNED,   /* a number, with min..max and def */
	EXTCAP_ARG_SELECTOR,   /* one of choices[] */
	EXTCAP_ARG_BOOLFLAG,   /* a checkbox that adds the option, without a value */
	EXTCAP_ARG_FILESELECT, /* a file to write, chosen in a file dialog */
	EXTCAP_ARG_STRING,
};

/* What each entry of the table is, for the parser's sake (struct option_desc.id). */
enum option_id {
	/* Wireshark's extcap protocol */
	OPT_EXTCAP_INTERFACES,
	OPT_EXTCAP_DLTS,
	OPT_EXTCAP_CONFIG,
	OPT_EXTCAP_INTERFACE,
	OPT_EXTCAP_RELOAD_OPTION,
	OPT_EXTCAP_CAPTURE_FILTER,
	OPT_EXTCAP_VERSION,
	OPT_CAPTURE,
	OPT_FIFO,
	/* Passed by Wireshark or scripts written for its own extcaps; accepted, unused. */
	OPT_IGNORED_FIRST,
	OPT_EXTCAP_CONTROL_IN = OPT_IGNORED_FIRST,
	OPT_EXTCAP_CONTROL_OUT,
	OPT_DEBUG,
	OPT_DEBUG_FILE,
	OPT_LOG_LEVEL,
	OPT_LOG_FILE,
	OPT_IGNORED_LAST = OPT_LOG_FILE,
	/* The capture, tcpdump style; the same options fill Wireshark's dialog. */
	OPT_INTERFACE,
	OPT_WRITE,
	OPT_FILTER,
	OPT_SNAPLEN,
	OPT_COUNT,
	OPT_DURATION,
	OPT_BUFFER_SIZE,
	OPT_ATTACH,
	OPT_PID,
	OPT_FOLLOW_CHILDREN,
	OPT_UID,
	OPT_COMM,
	OPT_CGROUP,
	OPT_NO_TLS,
	OPT_TLS_LIB,
	OPT_KEYLOG_FILE,
	OPT_TLS_WAIT,
	OPT_VERBOSE,
	OPT_VERSION,
	OPT_CLEANUP,
};

struct option_choice {
	const char *value;
	const char *display;
};

/*
 * One option of the command line. The table of them drives the parser, the
 * defaults, --help and --extcap-config alike.
 */
struct option_desc {
	const char *name;		     /* long name, without "--" */
	char short_name;		     /* 0: none */
	const char *arg;		     /* value placeholder in --help; NULL: a flag */
	const char *help;		     /* --help text, also the dialog's tooltip */
	const char *def;		     /* default, parsed like a given value; NULL: none */
	uint64_t min, max;		     /* range of a number */
	const struct option_choice *choices; /* allowed values, ends with a NULL value */
	enum extcap_arg_type extcap;	     /* how the dialog shows it */
	const char *display;		     /* dialog label */
	const char *group;		     /* dialog tab */
	int id;				     /* enum option_id */
};

/* The options in --extcap-config order; the entry after the last has a NULL name. */
const struct option_desc *options_table(void);

#endif

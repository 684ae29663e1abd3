// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the options are: their names, help, defaults and how Wireshark's
 * dialog shows them. How a command line becomes struct ecap_options is
 * options.c's; the dialog's --extcap-config is extcap.c's.
 */
#include <glib.h>
#include <linux/types.h>
#include "options.h"
#include "packets.h"

/* clang-format off */
/* In enum attach_mode order. */
static const struct option_choice attach_choices[] = {
	{ "auto", "Automatic: tcx links where the kernel has them, else clsact" },
	{ "tcx", "tcx links (Linux 6.6 and later)" },
	{ "clsact", "cls_bpf filters on a clsact qdisc" },
	{ NULL, NULL },
};

/* Keep in --extcap-config order: the dialog numbers its arguments in this order. */
static const struct option_desc table[] = {
	{ .id = OPT_EXTCAP_INTERFACES, .name = "extcap-interfaces",
	  .help = "List the extcap interfaces (Wireshark's query)" },
	{ .id = OPT_EXTCAP_DLTS, .name = "extcap-dlts", .help = "List the link types of an interface" },
	{ .id = OPT_EXTCAP_CONFIG, .name = "extcap-config",
	  .help = "List the options of the interface dialog" },
	{ .id = OPT_EXTCAP_INTERFACE, .name = "extcap-interface", .arg = "NAME",
	  .help = "The extcap interface: " ECAP_INTERFACE_NAME },
	{ .id = OPT_EXTCAP_RELOAD_OPTION, .name = "extcap-reload-option", .arg = "OPTION",
	  .help = "List the current values of a dialog option" },
	{ .id = OPT_EXTCAP_CAPTURE_FILTER, .name = "extcap-capture-filter", .arg = "FILTER",
	  .help = "The capture filter; without --capture, check it and print what is wrong" },
	{ .id = OPT_EXTCAP_VERSION, .name = "extcap-version", .arg = "VERSION",
	  .help = "The Wireshark version asking" },
	{ .id = OPT_CAPTURE, .name = "capture", .help = "Capture (Wireshark's request)" },
	{ .id = OPT_FIFO, .name = "fifo", .arg = "PATH", .help = "Write the pcapng stream to PATH" },

	{ .id = OPT_EXTCAP_CONTROL_IN, .name = "extcap-control-in", .arg = "FIFO" },
	{ .id = OPT_EXTCAP_CONTROL_OUT, .name = "extcap-control-out", .arg = "FIFO" },
	{ .id = OPT_DEBUG, .name = "debug" },
	{ .id = OPT_DEBUG_FILE, .name = "debug-file", .arg = "FILE" },
	{ .id = OPT_LOG_LEVEL, .name = "log-level", .arg = "LEVEL" },
	{ .id = OPT_LOG_FILE, .name = "log-file", .arg = "FILE" },

	{ .id = OPT_INTERFACE, .name = "interface", .short_name = 'i', .arg = "IFACE[,IFACE...]",
	  .help = "Network interfaces to capture on; the default is every interface that is up, "
		  "loopback included ('any' says the same)",
	  .extcap = EXTCAP_ARG_MULTICHECK, .display = "Network interfaces", .group = "Capture" },
	{ .id = OPT_WRITE, .name = "write", .short_name = 'w', .arg = "FILE",
	  .help = "Write pcapng to FILE ('-': standard output, the default when it is not a "
		  "terminal)" },
	{ .id = OPT_FILTER, .name = "filter", .short_name = 'f', .arg = "EXPR",
	  .help = "Capture filter in pcap syntax (or give it after the options, as tcpdump)" },
	{ .id = OPT_SNAPLEN, .name = "snaplen", .short_name = 's', .arg = "BYTES",
	  .help = "Bytes to keep of each packet; 0 keeps " G_STRINGIFY(MAX_SNAPLEN) ", the whole "
		  "packet",
	  .def = G_STRINGIFY(MAX_SNAPLEN), .min = 0, .max = MAX_SNAPLEN,
	  .extcap = EXTCAP_ARG_UNSIGNED, .display = "Snapshot length", .group = "Capture" },
	{ .id = OPT_COUNT, .name = "count", .short_name = 'c', .arg = "N",
	  .help = "Packets to write before stopping; 0: no limit", .def = "0", .min = 0,
	  .max = UINT64_MAX, .extcap = EXTCAP_ARG_UNSIGNED, .display = "Packet count",
	  .group = "Capture" },
	{ .id = OPT_DURATION, .name = "duration", .arg = "SECONDS",
	  .help = "Seconds to capture before stopping; 0: no limit", .def = "0", .min = 0,
	  .max = UINT32_MAX, .extcap = EXTCAP_ARG_UNSIGNED, .display = "Duration (seconds)",
	  .group = "Capture" },
	{ .id = OPT_BUFFER_SIZE, .name = "buffer-size", .short_name = 'B', .arg = "KiB",
	  .help = "Kernel ring buffer size in KiB, split into one ring per CPU (at least 64 KiB "
		  "each, and 512 KiB more where that is over 512 KiB); a larger one loses "
		  "fewer packets in bursts",
	  .def = "8192", .min = 64, .max = 1048576, .extcap = EXTCAP_ARG_UNSIGNED,
	  .display = "Kernel buffer size (KiB)", .group = "Advanced" },
	{ .id = OPT_ATTACH, .name = "attach", .arg = "auto|tcx|clsact",
	  .help = "How the TC programs attach to the interfaces", .def = "auto",
	  .choices = attach_choices, .extcap = EXTCAP_ARG_SELECTOR, .display = "Attach with",
	  .group = "Advanced" },
	{ .id = OPT_PID, .name = "pid", .arg = "PID[,PID...]",
	  .help = "Only packets and TLS secrets of these processes (repeatable), their threads "
		  "included",
	  .min = 1, .max = 4194304, .extcap = EXTCAP_ARG_STRING, .display = "Process IDs",
	  .group = "Processes" },
	{ .id = OPT_FOLLOW_CHILDREN, .name = "follow-children",
	  .help = "With --pid, also the processes they start from now on",
	  .extcap = EXTCAP_ARG_BOOLFLAG, .display = "Follow children", .group = "Processes" },
	{ .id = OPT_UID, .name = "uid", .arg = "UID",
	  .help = "Only packets and TLS secrets of processes of this user ID", .min = 0,
	  .max = UINT32_MAX - 1, .extcap = EXTCAP_ARG_STRING, .display = "User ID",
	  .group = "Processes" },
	{ .id = OPT_COMM, .name = "comm", .arg = "NAME",
	  .help = "Only packets and TLS secrets of processes with this command name (up to 15 "
		  "bytes, as ps shows it)",
	  .extcap = EXTCAP_ARG_STRING, .display = "Command name", .group = "Processes" },
	{ .id = OPT_CGROUP, .name = "cgroup", .arg = "PATH",
	  .help = "Only packets and TLS secrets of processes in this cgroup v2 (its path, under "
		  "the cgroup2 mount or absolute)",
	  .extcap = EXTCAP_ARG_STRING, .display = "Cgroup", .group = "Processes" },
	{ .id = OPT_NO_TLS, .name = "no-tls",
	  .help = "Capture packets only: take no TLS secrets",
	  .extcap = EXTCAP_ARG_BOOLFLAG, .display = "Without TLS secrets", .group = "TLS" },
	{ .id = OPT_TLS_LIB, .name = "tls-lib", .arg = "PATH",
	  .help = "Also take secrets from this libssl (repeatable); every libssl that processes "
		  "map is found without it",
	  .extcap = EXTCAP_ARG_STRING, .display = "Extra libssl file", .group = "TLS" },
	{ .id = OPT_KEYLOG_FILE, .name = "keylog-file", .arg = "FILE",
	  .help = "Also write the TLS secrets to FILE in SSLKEYLOGFILE format as they arrive",
	  .extcap = EXTCAP_ARG_FILESELECT, .display = "Key log file", .group = "TLS" },
	{ .id = OPT_TLS_WAIT, .name = "tls-wait", .arg = "MS",
	  .help = "How long packets of a TLS handshake may wait for its secrets, so that each "
		  "secret is in the file before the packets it decrypts",
	  .def = "1000", .min = 0, .max = 60000, .extcap = EXTCAP_ARG_UNSIGNED,
	  .display = "Wait for secrets (ms)", .group = "TLS" },
	{ .id = OPT_VERBOSE, .name = "verbose", .short_name = 'v',
	  .help = "Print debug messages, libbpf's included, to standard error",
	  .extcap = EXTCAP_ARG_BOOLFLAG, .display = "Verbose messages", .group = "Debug" },
	{ .id = OPT_VERSION, .name = "version", .help = "Print the versions and exit" },
	{ .id = OPT_CLEANUP, .name = "cleanup",
	  .help = "Remove the TC filters of captures that were killed (SIGKILL) in this network "
		  "namespace, and exit; every capture also does it when it starts" },
	{ 0 },
};
/* clang-format on */

const struct option_desc *options_table(void)
{
	return table;
}

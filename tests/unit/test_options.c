// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line with known vectors: tcpdump habits, Wireshark's extcap
 * calls as it makes them, and the errors, each exactly one line on stderr
 * that starts with "ecap-tls: " and names the culprit.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include "check.h"
#include "options.h"

#define MAX_SNAPLEN_VALUE 262144

/* A check about the command line in scope. */
#define CHECK_ARGS(cond) CHECK((cond), "%s  [ecap-tls %s]", #cond, cmdline)

/* Where the parse's stdout goes: /dev/null unless a test wants a terminal. */
static int quiet_stdout = -1;

/*
 * Parses @cmdline (shell quoting) with @out_fd as standard output and stderr
 * captured. Returns options_parse()'s result; *@err_text gets what it printed.
 */
static int parse_as(int out_fd, const char *cmdline, struct ecap_options *opts, char **err_text)
{
	char *full = g_strconcat("ecap-tls ", cmdline, NULL);
	int saved_out, saved_err, argc, ret;
	FILE *cap = tmpfile();
	char **argv = NULL;
	long len;

	if (!cap || !g_shell_parse_argv(full, &argc, &argv, NULL)) {
		printf("FAIL: cannot set up the parse of [%s]\n", cmdline);
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(fileno(cap), STDERR_FILENO);

	ret = options_parse(argc, argv, opts);

	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);

	len = ftell(cap);
	*err_text = g_malloc0(len + 1);
	rewind(cap);
	if (len > 0 && fread(*err_text, 1, len, cap) != (size_t)len)
		(*err_text)[0] = '\0';
	fclose(cap);
	g_strfreev(argv);
	g_free(full);
	return ret;
}

/* A parse that must succeed silently. */
static bool parse_ok(const char *cmdline, struct ecap_options *opts, int line)
{
	char *err_text;
	int ret = parse_as(quiet_stdout, cmdline, opts, &err_text);

	check(ret == 0, __FILE__, line, "%s  [ecap-tls %s]", "options_parse() succeeds", cmdline);
	check(!err_text[0], __FILE__, line, "%s  [ecap-tls %s]", "nothing on stderr", cmdline);
	if (err_text[0])
		printf("  stderr: %s", err_text);
	g_free(err_text);
	return ret == 0;
}

/* The one stderr line of a failed parse: "ecap-tls: ...@culprit...\n". */
static void check_error_line(const char *err_text, const char *culprit, const char *cmdline,
			     int line)
{
	const char *nl = strchr(err_text, '\n');

	check(g_str_has_prefix(err_text, "ecap-tls: "), __FILE__, line, "%s  [ecap-tls %s]",
	      "error starts with 'ecap-tls: '", cmdline);
	check(nl && !nl[1], __FILE__, line, "%s  [ecap-tls %s]", "error is exactly one line",
	      cmdline);
	check(strstr(err_text, culprit) != NULL, __FILE__, line, "%s  [ecap-tls %s]",
	      "error names the culprit", cmdline);
	if (!g_str_has_prefix(err_text, "ecap-tls: ") || !nl || nl[1] || !strstr(err_text, culprit))
		printf("  stderr: [%s], expected to name [%s]\n", err_text, culprit);
}

static void parse_fails_as(int out_fd, const char *cmdline, const char *culprit, int line)
{
	struct ecap_options opts;
	char *err_text;
	int ret = parse_as(out_fd, cmdline, &opts, &err_text);

	check(ret == -1, __FILE__, line, "%s  [ecap-tls %s]", "options_parse() fails", cmdline);
	check_error_line(err_text, culprit, cmdline, line);
	check(!opts.output && !opts.interfaces && !opts.filter, __FILE__, line, "%s  [ecap-tls %s]",
	      "nothing left allocated", cmdline);
	g_free(err_text);
}

#define PARSE(cmd)	    parse_ok((cmdline = (cmd)), &o, __LINE__)
#define FAILS(cmd, culprit) parse_fails_as(quiet_stdout, (cmdline = (cmd)), (culprit), __LINE__)

static bool str_is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

static bool ifaces_are(char **ifaces, ...)
{
	const char *want;
	va_list ap;
	size_t i = 0;
	bool same = ifaces != NULL;

	va_start(ap, ifaces);
	while (same && (want = va_arg(ap, const char *)))
		same = ifaces[i] && !strcmp(ifaces[i], want) && ++i;
	va_end(ap);
	return same && !ifaces[i];
}

static void test_defaults(void)
{
	const char *cmdline;
	struct ecap_options o;

	if (!PARSE(""))
		return;
	CHECK_ARGS(o.interfaces == NULL);
	CHECK_ARGS(str_is(o.output, "-"));
	CHECK_ARGS(o.filter == NULL);
	CHECK_ARGS(o.snaplen == MAX_SNAPLEN_VALUE);
	CHECK_ARGS(o.count == 0);
	CHECK_ARGS(o.duration == 0);
	CHECK_ARGS(o.buffer_kib == 8192);
	CHECK_ARGS(o.attach == ATTACH_AUTO);
	CHECK_ARGS(!o.verbose && !o.version && !o.capture);
	CHECK_ARGS(!options_is_query(&o));
	options_free(&o);
}

static void test_tcpdump_habits(void)
{
	const char *cmdline;
	struct ecap_options o;

	if (PARSE("-i lo -i eth0")) {
		CHECK_ARGS(ifaces_are(o.interfaces, "lo", "eth0", NULL));
		options_free(&o);
	}
	if (PARSE("-i lo,eth0 --interface veth0 --interface=ecapg0,ecapg1")) {
		CHECK_ARGS(
		    ifaces_are(o.interfaces, "lo", "eth0", "veth0", "ecapg0", "ecapg1", NULL));
		options_free(&o);
	}
	if (PARSE("-i lo,eth0 -i lo")) {
		CHECK_ARGS(ifaces_are(o.interfaces, "lo", "eth0", NULL));
		options_free(&o);
	}
	if (PARSE("-i any")) {
		CHECK_ARGS(o.interfaces == NULL);
		options_free(&o);
	}
	if (PARSE("-w out.pcapng -s 96 -c 10 --duration 30 -B 65536 --attach clsact -v")) {
		CHECK_ARGS(str_is(o.output, "out.pcapng"));
		CHECK_ARGS(o.snaplen == 96 && o.count == 10 && o.duration == 30);
		CHECK_ARGS(o.buffer_kib == 65536 && o.attach == ATTACH_CLSACT && o.verbose);
		options_free(&o);
	}
	/* values glued to the option, as tcpdump users type them */
	if (PARSE("-ilo -s0 -c5 -w- -B64")) {
		CHECK_ARGS(ifaces_are(o.interfaces, "lo", NULL));
		CHECK_ARGS(o.snaplen == MAX_SNAPLEN_VALUE && o.count == 5 && o.buffer_kib == 64);
		CHECK_ARGS(str_is(o.output, "-"));
		options_free(&o);
	}
	if (PARSE("-vs100 -w /dev/null")) {
		CHECK_ARGS(o.verbose && o.snaplen == 100);
		options_free(&o);
	}
	if (PARSE("-w - --attach=tcx")) {
		CHECK_ARGS(str_is(o.output, "-") && o.attach == ATTACH_TCX);
		options_free(&o);
	}
	if (PARSE("-s 0")) {
		CHECK_ARGS(o.snaplen == MAX_SNAPLEN_VALUE);
		options_free(&o);
	}
	if (PARSE("-s 262144 -c 18446744073709551615 --duration 4294967295 -B 1048576")) {
		CHECK_ARGS(o.snaplen == MAX_SNAPLEN_VALUE && o.count == UINT64_MAX);
		CHECK_ARGS(o.duration == UINT32_MAX && o.buffer_kib == 1048576);
		options_free(&o);
	}
	if (PARSE("--version")) {
		CHECK_ARGS(o.version && options_is_query(&o) && !o.output);
		options_free(&o);
	}
}

static void test_filters(void)
{
	const char *cmdline;
	struct ecap_options o;

	if (PARSE("-i lo tcp port 443")) {
		CHECK_ARGS(str_is(o.filter, "tcp port 443"));
		options_free(&o);
	}
	if (PARSE("tcp and not port 22 -c 3")) {
		CHECK_ARGS(str_is(o.filter, "tcp and not port 22") && o.count == 3);
		options_free(&o);
	}
	if (PARSE("-f 'udp or icmp'")) {
		CHECK_ARGS(str_is(o.filter, "udp or icmp"));
		options_free(&o);
	}
	if (PARSE("-c 1 -- -1 and tcp")) {
		CHECK_ARGS(str_is(o.filter, "-1 and tcp") && o.count == 1);
		options_free(&o);
	}
	if (PARSE("-f ''")) {
		CHECK_ARGS(o.filter == NULL);
		options_free(&o);
	}
	FAILS("-f tcp udp", "-f");
	FAILS("--filter 'tcp' port 80", "port 80");
	FAILS("--capture --fifo /tmp/x --extcap-capture-filter tcp -f udp",
	      "--extcap-capture-filter");
}

static void test_range_errors(void)
{
	const char *cmdline;

	FAILS("-s 262145", "-s '262145'");
	FAILS("--snaplen=-1", "--snaplen '-1'");
	FAILS("-s abc", "-s 'abc'");
	FAILS("-s ' 5'", "-s ' 5'");
	FAILS("-c -1", "-c '-1'");
	FAILS("--count 18446744073709551616", "--count '18446744073709551616'");
	FAILS("-c 1e3", "-c '1e3'");
	FAILS("--duration 4294967296", "--duration '4294967296'");
	FAILS("-B 63", "-B '63'");
	FAILS("--buffer-size 1048577", "--buffer-size '1048577'");
	FAILS("--attach bpf", "--attach 'bpf'");
	FAILS("-i ''", "-i ''");
	FAILS("-i lo,,eth0", "'lo,,eth0'");
	FAILS("-i averyveryverylongname", "averyveryverylongname");
	FAILS("-w ''", "-w");
}

static void test_bad_usage(void)
{
	const char *cmdline;

	FAILS("--bogus", "--bogus");
	FAILS("-x", "-x");
	FAILS("-w", "-w");
	FAILS("--snaplen", "--snaplen");
	FAILS("--capture", "--fifo");
	FAILS("--capture --extcap-interface ecap-tls -i lo", "--fifo");
	FAILS("-w a.pcapng --fifo b", "--fifo 'b'");
	FAILS("--extcap-dlts --extcap-interface eth0", "--extcap-interface 'eth0'");
	FAILS("--capture --extcap-interface nope --fifo /tmp/x", "'nope'");
}

/* The calls Wireshark 4.x makes, argument for argument. */
static void test_wireshark_calls(void)
{
	const char *cmdline;
	struct ecap_options o;

	if (PARSE("--extcap-interfaces --extcap-version=4.0")) {
		CHECK_ARGS(o.extcap_interfaces && str_is(o.extcap_version, "4.0"));
		CHECK_ARGS(options_is_query(&o) && !o.output);
		options_free(&o);
	}
	if (PARSE("--extcap-interfaces")) { /* the fallback call without a version */
		CHECK_ARGS(o.extcap_interfaces && !o.extcap_version);
		options_free(&o);
	}
	if (PARSE("--extcap-dlts --extcap-interface ecap-tls")) {
		CHECK_ARGS(o.extcap_dlts && str_is(o.extcap_interface, "ecap-tls"));
		CHECK_ARGS(options_is_query(&o));
		options_free(&o);
	}
	if (PARSE("--extcap-config --extcap-interface ecap-tls")) {
		CHECK_ARGS(o.extcap_config && options_is_query(&o));
		options_free(&o);
	}
	/* a reload passes the dialog's current settings along */
	if (PARSE("--extcap-config --extcap-interface ecap-tls --extcap-reload-option interface "
		  "--interface lo,eth0 --snaplen 100 --verbose")) {
		CHECK_ARGS(o.extcap_config && str_is(o.extcap_reload_option, "interface"));
		CHECK_ARGS(options_is_query(&o));
		options_free(&o);
	}
	if (PARSE("--extcap-capture-filter 'tcp port 80' --extcap-interface ecap-tls")) {
		CHECK_ARGS(str_is(o.extcap_capture_filter, "tcp port 80") && !o.capture);
		CHECK_ARGS(options_is_query(&o) && !o.filter && !o.output);
		options_free(&o);
	}
	/* a capture nobody configured: the defaults of --extcap-config come back */
	if (PARSE("--capture --extcap-interface ecap-tls --fifo /tmp/wireshark_extcap_ecap-tls_X "
		  "--snaplen 262144 --count 0 --duration 0 --buffer-size 8192")) {
		CHECK_ARGS(o.capture && !options_is_query(&o));
		CHECK_ARGS(str_is(o.output, "/tmp/wireshark_extcap_ecap-tls_X"));
		CHECK_ARGS(o.interfaces == NULL && o.filter == NULL);
		options_free(&o);
	}
	/* a configured capture with a capture filter; the multicheck is one "a,b" argument */
	if (PARSE("--capture --extcap-interface ecap-tls --extcap-capture-filter 'tcp port 443' "
		  "--fifo /tmp/fifo --interface lo,ecapg0 --snaplen 0 --count 7 --duration 60 "
		  "--buffer-size 4096 --attach clsact --verbose")) {
		CHECK_ARGS(o.capture && str_is(o.output, "/tmp/fifo"));
		CHECK_ARGS(str_is(o.filter, "tcp port 443"));
		CHECK_ARGS(ifaces_are(o.interfaces, "lo", "ecapg0", NULL));
		CHECK_ARGS(o.snaplen == MAX_SNAPLEN_VALUE && o.count == 7 && o.duration == 60);
		CHECK_ARGS(o.buffer_kib == 4096 && o.attach == ATTACH_CLSACT && o.verbose);
		options_free(&o);
	}
	/* what Wireshark passes only to extcaps that declare it, and its control pipes */
	if (PARSE("--capture --extcap-interface ecap-tls --fifo /tmp/f --extcap-control-in /tmp/ci "
		  "--extcap-control-out /tmp/co --debug --debug-file /tmp/d --log-level debug "
		  "--log-file /tmp/l")) {
		CHECK_ARGS(o.capture && str_is(o.output, "/tmp/f") && !o.verbose);
		options_free(&o);
	}
}

/* No -w, no --fifo: standard output, unless it is a terminal. */
static void test_terminal(void)
{
	const char *cmdline = "-i lo";
	struct ecap_options o;
	char *err_text;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		printf("note: no pseudo-terminal here, terminal checks skipped\n");
		return;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0) {
		printf("note: no pseudo-terminal here, terminal checks skipped\n");
		close(master);
		return;
	}
	parse_fails_as(slave, cmdline, "refusing to write pcapng to a terminal", __LINE__);

	cmdline = "-i lo -w /dev/null";
	CHECK_ARGS(parse_as(slave, cmdline, &o, &err_text) == 0);
	options_free(&o);
	g_free(err_text);

	cmdline = "--extcap-interfaces";
	CHECK_ARGS(parse_as(slave, cmdline, &o, &err_text) == 0 && !o.output);
	options_free(&o);
	g_free(err_text);

	close(slave);
	close(master);
}

/* The table behind --help and --extcap-config holds together. */
static void test_table(void)
{
	const char *cmdline = "(table)";
	const struct option_desc *o, *p;
	const struct option_choice *c;

	for (o = options_table(); o->name; o++) {
		bool unique = true;

		for (p = o + 1; p->name; p++)
			unique &= strcmp(o->name, p->name) &&
				  (!o->short_name || o->short_name != p->short_name);
		CHECK_ARGS(unique);
		if (o->extcap == EXTCAP_ARG_NONE)
			continue;
		CHECK_ARGS(o->display && o->help && o->group);
		if (o->extcap == EXTCAP_ARG_UNSIGNED)
			CHECK_ARGS(o->def && o->arg);
		if (o->extcap == EXTCAP_ARG_SELECTOR) {
			bool def_listed = false;

			CHECK_ARGS(o->choices && o->def);
			for (c = o->choices; c && c->value; c++)
				def_listed |= !strcmp(c->value, o->def);
			CHECK_ARGS(def_listed);
		}
	}
}

int main(void)
{
	quiet_stdout = open("/dev/null", O_WRONLY);
	if (quiet_stdout < 0) {
		perror("open /dev/null");
		return 2;
	}
	test_defaults();
	test_tcpdump_habits();
	test_filters();
	test_range_errors();
	test_bad_usage();
	test_wireshark_calls();
	test_terminal();
	test_table();
	close(quiet_stdout);
	return check_summary("options");
}

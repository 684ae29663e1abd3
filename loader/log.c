// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

static bool verbose;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "ecap-tls: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings span many lines (verifier logs); our own error names the failure. */
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_set_verbose(bool on)
{
	verbose = on;
	libbpf_set_print(libbpf_print);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_load_error(const char *what, int err)
{
	if (err == -EPERM)
		log_error("not allowed to load eBPF programs: run as root, or give the binary "
			  "CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON");
	else
		log_error("failed to load the %s eBPF programs: %s%s", what, strerror(-err),
			  verbose ? "" : " (run with --verbose for the verifier's log)");
}

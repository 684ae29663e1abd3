/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Diagnostics. stderr is kept for the one line a user must read (warn/error);
 * debug lines appear only with --verbose, libbpf's own chatter among them.
 */
#ifndef ECAP_LOG_H
#define ECAP_LOG_H

#include <stdbool.h>

void log_set_verbose(bool verbose);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Why loading the @what eBPF programs failed with @err, in one line that says what to do. */
void log_load_error(const char *what, int err);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture loop: kernel events in, pcapng out, until a stop condition. */
#ifndef ECAP_CAPTURE_H
#define ECAP_CAPTURE_H

#include "options.h"

/* Runs a capture as @opts says. Returns the process exit status. */
int capture_run(const struct ecap_options *opts);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wireshark's extcap protocol: the answers to its queries, printed on standard
 * output in the sentence format of doc/extcap.adoc (Wireshark 4.0 and later).
 *
 *   --extcap-interfaces [--extcap-version=4.0]   the extcap and interface lines
 *   --extcap-dlts --extcap-interface ecap-tls    the link type
 *   --extcap-config --extcap-interface ecap-tls  one arg line per dialog option
 *   --extcap-config ... --extcap-reload-option interface
 *                                                the value lines of that option
 *   --extcap-capture-filter F (no --capture)     nothing if F compiles, else one
 *                                                line with libpcap's error text
 */
#ifndef ECAP_EXTCAP_H
#define ECAP_EXTCAP_H

#include "options.h"

/*
 * Answers the extcap query @opts asks. Returns the exit status (0, or 1 after
 * one line on stderr), or -1 when @opts asks no extcap query, so the caller
 * goes on to capture.
 */
int extcap_answer(const struct ecap_options *opts);

#endif

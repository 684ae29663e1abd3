/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bytes as lower-case hex: key-log lines, build IDs. */
#ifndef ECAP_HEX_H
#define ECAP_HEX_H

#include <stddef.h>

/* Writes two digits per byte of @in to @out, no NUL; returns the end. */
char *hex_put(char *out, const void *in, size_t len);

#endif

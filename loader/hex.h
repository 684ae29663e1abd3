/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bytes as lower-case hex and back: key-log lines, build IDs, /proc tables. */
#ifndef ECAP_HEX_H
#define ECAP_HEX_H

#include <stddef.h>

/* Writes two digits per byte of @in to @out, no NUL; returns the end. */
char *hex_put(char *out, const void *in, size_t len);

/* The value of hex digit @c, either case; -1 for any other character. */
int hex_digit(char c);

/* Reads two digits per byte of @out from @hex; -1 unless all 2 * @len are digits. */
int hex_get(void *out, const char *hex, size_t len);

#endif

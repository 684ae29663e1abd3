// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <string.h>
#include "hex.h"

/* Two digits per byte from one table: a key-log line takes ~160 of them. */
char *hex_put(char *out, const void *in, size_t len)
{
	static char pairs[256][2];
	const uint8_t *b = in;

	if (!pairs[0][0]) {
		static const char digits[] = "0123456789abcdef";

		for (int v = 0; v < 256; v++) {
			pairs[v][0] = digits[v >> 4];
			pairs[v][1] = digits[v & 0xf];
		}
	}
	for (size_t i = 0; i < len; i++, out += 2)
		memcpy(out, pairs[b[i]], 2);
	return out;
}

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

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_get(void *out, const char *hex, size_t len)
{
	uint8_t *b = out;

	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);

		if (lo < 0)
			return -1;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

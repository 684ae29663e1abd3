// SPDX-License-Identifier: GPL-2.0-or-later
/* Hex both ways: key-log lines out, the probe's key-log lines and /proc tables in. */
#include "check.h"
#include "hex.h"

static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };

static void test_put(void)
{
	char out[2 * sizeof(bytes) + 1] = { 0 };

	CHECK(hex_put(out, bytes, sizeof(bytes)) == out + 2 * sizeof(bytes), "end returned");
	CHECK_STR(out, "00017f80abcdefff");
}

static void test_digit(void)
{
	CHECK_EQ(hex_digit('0'), 0);
	CHECK_EQ(hex_digit('9'), 9);
	CHECK_EQ(hex_digit('a'), 10);
	CHECK_EQ(hex_digit('F'), 15);
	CHECK_EQ(hex_digit('g'), -1);
	CHECK_EQ(hex_digit(' '), -1);
	CHECK_EQ(hex_digit('\0'), -1);
}

static void test_get(void)
{
	uint8_t out[sizeof(bytes)];

	CHECK(!hex_get(out, "00017f80abcdefff", sizeof(out)), "lower case read");
	CHECK(!memcmp(out, bytes, sizeof(bytes)), "lower case bytes");
	CHECK(!hex_get(out, "00017F80ABCDEFFF trailing", sizeof(out)), "upper case read");
	CHECK(!memcmp(out, bytes, sizeof(bytes)), "upper case bytes");
	CHECK(hex_get(out, "00017f80abcdefg0", sizeof(out)) < 0, "a non-digit refused");
	CHECK(hex_get(out, "0001", sizeof(out)) < 0, "a short string refused, not read past");
	CHECK(hex_get(out, "0", 1) < 0, "half a byte refused");
}

int main(void)
{
	test_put();
	test_digit();
	test_get();
	return check_summary("hex");
}

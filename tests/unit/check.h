/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The unit tests' checks: each failure prints where and why and the test
 * goes on; main() ends with check_summary(), whose "N passed, N failed" line
 * is what CI reads.
 */
#ifndef ECAP_TEST_CHECK_H
#define ECAP_TEST_CHECK_H

#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static inline void check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline void check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond, ...) check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		CHECK(a_ == b_, "%s == %s: %lld != %lld", #a, #b, a_, b_);                         \
	} while (0)

#define CHECK_U64(a, b)                                                                            \
	do {                                                                                       \
		unsigned long long a_ = (a), b_ = (b);                                             \
		CHECK(a_ == b_, "%s == %s: %llu != %llu", #a, #b, a_, b_);                         \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		CHECK(a_ && b_ && !strcmp(a_, b_), "%s == %s:\n  got  [%s]\n  want [%s]", #a, #b,  \
		      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
	} while (0)

/* Test vectors are written as hex, spaces allowed between bytes: their bytes, at most @size. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;

	while (*hex && n < size) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		sscanf(hex, "%2hhx", &out[n++]);
		hex += 2;
	}
	return n;
}

/* Prints "@name: N passed, N failed" and returns the exit status. */
static inline int check_summary(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, passed, failed);
	return failed ? 1 : 0;
}

#endif

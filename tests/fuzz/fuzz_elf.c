// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the loader reads from a library file itself: its
 * GNU build ID (loader/build_id.c, through libelf), the key under which a
 * probed libssl's layout is remembered. The input is the file, handed over
 * as a descriptor the way tls_source.c does (a memfd here).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "build_id.h"

static int fd = -1;

static void check_hex(const char *hex)
{
	size_t len = strnlen(hex, 2 * BUILD_ID_MAX + 1);

	if (!len || len % 2 || len > 2 * BUILD_ID_MAX || strspn(hex, "0123456789abcdef") != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hex[2 * BUILD_ID_MAX + 1];

	if (fd < 0)
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(hex, 'X', sizeof(hex));
	if (!build_id_hex(fd, hex))
		check_hex(hex);
	return 0;
}

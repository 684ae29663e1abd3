// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the /proc line parsers (loader/proc_parse.c): the
 * input, as one line, goes through each of them. Each gets its own copy of
 * exactly the input's size, so that ASan sees any read past the line, and
 * whatever a parser accepts must make sense to its caller.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc_parse.h"

/* A NUL-terminated copy of the input, for parsers that cut the line in place. */
static char *copy_of(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* @p points into the @size bytes of @line (its NUL included), at a terminated string. */
static void check_inside(const char *p, const char *line, size_t size)
{
	if (!p || p < line || p > line + size)
		abort();
	if (!memchr(p, 0, line + size + 1 - p))
		abort(); /* not terminated within the line */
}

static void fuzz_cgroup2(const char *line)
{
	char path[64];

	if (!proc_parse_cgroup2(line, path, sizeof(path)) &&
	    (path[0] != '/' || strlen(path) >= sizeof(path) || strchr(path, '\n')))
		abort();
}

static void fuzz_maps(const uint8_t *data, size_t size)
{
	char *line = copy_of(data, size);
	struct proc_map m;

	if (!proc_parse_maps(line, &m)) {
		check_inside(m.path, line, size);
		if (m.start >= m.end || strchr(m.path, '\n'))
			abort();
	}
	free(line);
}

static void fuzz_mount(const uint8_t *data, size_t size)
{
	char *line = copy_of(data, size);
	struct proc_mount m;

	if (!proc_parse_mount(line, &m)) {
		check_inside(m.source, line, size);
		check_inside(m.dir, line, size);
		check_inside(m.type, line, size);
		if (!m.source[0] || !m.dir[0] || !m.type[0])
			abort();
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = copy_of(data, size);
	uint64_t ino;

	proc_parse_socket_link(line, &ino);
	fuzz_cgroup2(line);
	free(line);
	fuzz_maps(data, size);
	fuzz_mount(data, size);
	return 0;
}

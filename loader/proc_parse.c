// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parsers for the lines of /proc files. They are strict on purpose: a line
 * read in pieces (too long for the reader's buffer) or of an unexpected
 * format is refused rather than half understood, since some of what these
 * lines hold (paths, the process names behind them) is chosen by whoever
 * runs the process.
 */
#include <string.h>
#include "hex.h"
#include "proc_parse.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* Up to @max_digits hex digits at *@p; returns how many were read, 0 for none. */
static int read_hex(const char **p, int max_digits, uint64_t *v)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < max_digits && hex_digit((*p)[i]) >= 0; i++)
		n = n << 4 | (uint64_t)hex_digit((*p)[i]);
	*p += i;
	*v = n;
	return i;
}

/* A decimal number at *@p, no larger than @max. */
static int read_dec(const char **p, uint64_t max, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = *s - '0';

		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*p = s;
	*v = n;
	return 0;
}

/* Steps over blanks and one word that is not empty. */
static int skip_word(const char **p)
{
	const char *s = skip_blanks(*p);

	if (!*s || *s == '\n')
		return -1;
	while (*s && !is_blank(*s) && *s != '\n')
		s++;
	*p = s;
	return 0;
}

static bool at_word_end(const char *p)
{
	return !*p || is_blank(*p) || *p == '\n';
}

int proc_parse_socket_link(const char *target, uint64_t *ino)
{
	const char *p = target;

	if (strncmp(p, "socket:[", 8))
		return -1;
	p += 8;
	if (read_dec(&p, UINT64_MAX, ino) || strcmp(p, "]"))
		return -1;
	return 0;
}

/* Hierarchy 0, no controllers: "0::/path". */
int proc_parse_cgroup2(const char *line, char *path, size_t size)
{
	size_t len;

	if (strncmp(line, "0::/", 4))
		return -1;
	line += 3;
	len = strcspn(line, "\n");
	if (len >= size)
		return -1;
	memcpy(path, line, len);
	path[len] = 0;
	return 0;
}

/* Cuts @suffix off @s if it ends with it. */
static bool cut_suffix(char *s, const char *suffix)
{
	size_t len = strlen(s), n = strlen(suffix);

	if (len < n || strcmp(s + len - n, suffix))
		return false;
	s[len - n] = 0;
	return true;
}

/* "7f93e5ff5000-7f93e5ff9000 r-xp 00002000 fe:00 247498      /usr/bin/head" */
int proc_parse_maps(char *line, struct proc_map *m)
{
	const char *p = line;
	char *path;

	memset(m, 0, sizeof(*m));
	if (read_hex(&p, 16, &m->start) < 1 || *p++ != '-')
		return -1;
	if (read_hex(&p, 16, &m->end) < 1 || !is_blank(*p) || m->end <= m->start)
		return -1;
	if (skip_word(&p)) /* permissions */
		return -1;
	p = skip_blanks(p);
	if (read_hex(&p, 16, &m->offset) < 1 || !at_word_end(p))
		return -1;
	if (skip_word(&p)) /* device */
		return -1;
	p = skip_blanks(p);
	if (read_dec(&p, UINT64_MAX, &m->inode) || !at_word_end(p))
		return -1;
	path = line + (skip_blanks(p) - line);
	path[strcspn(path, "\n")] = 0;
	m->deleted = cut_suffix(path, " (deleted)");
	m->path = path;
	return 0;
}

static int octal_value(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}

/* The kernel writes blank, tab, newline and backslash in a field as \040, \011, \012, \134. */
static void decode_escapes(char *s)
{
	char *out = s;

	for (; *s; s++) {
		int a, b, c;

		if (*s == '\\' && (a = octal_value(s[1])) >= 0 && (b = octal_value(s[2])) >= 0 &&
		    (c = octal_value(s[3])) >= 0 && a <= 3 && (a | b | c)) {
			*out++ = (char)(a << 6 | b << 3 | c);
			s += 3;
			continue;
		}
		*out++ = *s;
	}
	*out = 0;
}

/* The next blank-separated field of *@p, cut out and decoded; NULL at the end of the line. */
static char *next_field(char **p)
{
	char *start = *p, *end;

	while (is_blank(*start))
		start++;
	if (!*start)
		return NULL;
	end = start + strcspn(start, " \t");
	*p = *end ? end + 1 : end;
	*end = 0;
	decode_escapes(start);
	return start;
}

/* "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0" */
int proc_parse_mount(char *line, struct proc_mount *m)
{
	char *p = line;

	memset(m, 0, sizeof(*m));
	line[strcspn(line, "\n")] = 0;
	m->source = next_field(&p);
	m->dir = m->source ? next_field(&p) : NULL;
	m->type = m->dir ? next_field(&p) : NULL;
	return m->type ? 0 : -1;
}

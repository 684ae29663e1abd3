/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The lines of the /proc files the loader reads, parsed without any I/O, so
 * that the unit tests and the fuzzers (tests/fuzz/fuzz_proc.c) see the very
 * code the capture runs. Every function takes one line, with or without its
 * newline, and returns 0, or -1 for a line it does not understand.
 */
#ifndef ECAP_PROC_PARSE_H
#define ECAP_PROC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The socket inode in a /proc/PID/fd link target, "socket:[12345]". */
int proc_parse_socket_link(const char *target, uint64_t *ino);

/*
 * The cgroup v2 path of a /proc/PID/cgroup line ("0::/user.slice/..."),
 * copied into @path. -1 for another hierarchy's line, or a path over @size.
 */
int proc_parse_cgroup2(const char *line, char *path, size_t size);

/* One mapping of /proc/PID/maps. */
struct proc_map {
	uint64_t start, end; /* addresses, end excluded */
	uint64_t offset;     /* file offset of start */
	uint64_t inode;	     /* of the file, 0 for none */
	const char *path;    /* into the line: a file, "[heap]" and the like, or "" */
	bool deleted;	     /* the file was removed or replaced since it was mapped */
};

/* Parses @line in place: the newline and a " (deleted)" are cut off the path. */
int proc_parse_maps(char *line, struct proc_map *m);

/* One line of /proc/self/mounts; the strings point into the line. */
struct proc_mount {
	const char *source;
	const char *dir;
	const char *type;
};

/* Splits @line in place and decodes the octal escapes (\040) of blanks and backslashes. */
int proc_parse_mount(char *line, struct proc_mount *m);

#endif

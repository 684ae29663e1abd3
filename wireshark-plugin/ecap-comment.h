/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A parser for the ecap/1 process comment (docs/comment-format.md), in plain
 * C with no Wireshark dependency: packet-ecap.c, the unit test and the fuzz
 * target share it.
 *
 * ecap_comment_parse() never reads outside s[0..len), needs no NUL
 * terminator, allocates nothing, and takes the comment whole or not at all:
 * on any result but ECAP_OK, no field of the comment is set.
 */
#ifndef ECAP_COMMENT_PARSE_H
#define ECAP_COMMENT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* A pcapng option, and so a comment, holds at most this many bytes. */
#define ECAP_COMMENT_LEN_MAX 65535

/* The longest values taken, after decoding, plus the NUL. */
#define ECAP_COMM_SIZE	    (64 + 1)
#define ECAP_PATH_SIZE	    (4096 + 1)
#define ECAP_CONTAINER_SIZE (128 + 1)

enum ecap_status {
	ECAP_OK,	      /* an ecap/1 comment: the fields in .has are set */
	ECAP_NOT_ECAP,	      /* does not start with "ecap/": someone else's comment */
	ECAP_UNKNOWN_VERSION, /* ecap/N with N != 1: .version is set, nothing else */
	ECAP_MALFORMED,	      /* ours but broken: .error and .error_offset say why */
};

/* Bits of ecap_comment.has: which keys the comment holds. */
#define ECAP_HAS_PID	   (1u << 0)
#define ECAP_HAS_TID	   (1u << 1)
#define ECAP_HAS_UID	   (1u << 2)
#define ECAP_HAS_COMM	   (1u << 3)
#define ECAP_HAS_EXE	   (1u << 4)
#define ECAP_HAS_CGROUP	   (1u << 5)
#define ECAP_HAS_CONTAINER (1u << 6)

/*
 * Strings are the decoded bytes, NUL-terminated (a value never holds a NUL);
 * they are not necessarily valid UTF-8, since \xHH can encode any byte.
 */
struct ecap_comment {
	uint32_t version;
	unsigned int has;
	uint32_t pid;
	uint32_t tid;
	uint32_t uid;
	char comm[ECAP_COMM_SIZE];
	char exe[ECAP_PATH_SIZE];
	char cgroup[ECAP_PATH_SIZE];
	char container[ECAP_CONTAINER_SIZE];
	const char *error;   /* ECAP_MALFORMED: what is wrong (static text) */
	size_t error_offset; /* ECAP_MALFORMED: at which byte of the comment */
};

enum ecap_status ecap_comment_parse(const char *s, size_t len, struct ecap_comment *c);

#endif

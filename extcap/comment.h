/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-packet process comment, format ecap/1 (docs/comment-format.md):
 *
 *   ecap/1 pid=1234 tid=1240 uid=1000 comm="curl" exe="/usr/bin/curl" cgroup="/..." container="..."
 *
 * comment_format() turns a struct process_info into that line, ready to be
 * the opt_comment of an Enhanced Packet Block (struct pcapng_packet.comment).
 * The line depends on the process (and thread) only, so format it once when
 * the process is learned and hand the same string to every packet of it.
 *
 * Strings are read up to their first NUL or the end of their array, so a
 * comm[16] straight from the kernel needs no terminator. An empty string
 * means "unknown" and leaves its key out; so do has_tid and has_uid = false.
 * pid is always written.
 */
#ifndef ECAP_COMMENT_H
#define ECAP_COMMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCESS_COMM_SIZE      16   /* TASK_COMM_LEN */
#define PROCESS_PATH_SIZE      4096 /* PATH_MAX */
#define PROCESS_CONTAINER_SIZE 128

struct process_info {
	uint32_t pid; /* thread group id, host PID namespace */
	uint32_t tid; /* the thread, if has_tid */
	uint32_t uid; /* real UID, host user namespace, if has_uid */
	bool has_tid;
	bool has_uid;
	char comm[PROCESS_COMM_SIZE];		/* task comm, "" if unknown */
	char exe[PROCESS_PATH_SIZE];		/* readlink /proc/PID/exe, "" if unknown */
	char cgroup[PROCESS_PATH_SIZE];		/* cgroup v2 path, "" if none */
	char container[PROCESS_CONTAINER_SIZE]; /* container id, "" if none */
};

/*
 * A buffer this big always holds the comment and its NUL: every string byte
 * takes at most 4 (\xHH). About 33 KiB, under a pcapng option's 65535.
 */
#define COMMENT_MAX                                                                                \
	(sizeof("ecap/1 pid=4294967295 tid=4294967295 uid=4294967295 comm=\"\" exe=\"\" "          \
		"cgroup=\"\" container=\"\"") +                                                    \
	 4 * (PROCESS_COMM_SIZE + 2 * PROCESS_PATH_SIZE + PROCESS_CONTAINER_SIZE))

/*
 * Writes the NUL-terminated comment for @p into @buf. Returns its length
 * (without the NUL), or -ENOSPC if @size is too small, in which case @buf
 * holds "" (when @size > 0).
 */
int comment_format(const struct process_info *p, char *buf, size_t size);

#endif

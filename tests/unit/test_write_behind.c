// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extcap/write_behind.c on a real file: each chunk is sent to disk when the
 * next begins, and the one before it dropped from the page cache, the file
 * reading back byte for byte as written; on a pipe, nothing is done.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "check.h"
#include "scratch.h"
#include "write_behind.h"

#define PIECE 65536

/* Byte @i of the file: a pattern that tells every offset apart within a chunk. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
}

static void fill(uint8_t *buf, uint64_t at)
{
	for (size_t i = 0; i < PIECE; i++)
		buf[i] = pattern(at + i);
}

static void check_regular_file(const char *path)
{
	const uint64_t total = 3 * WRITE_BEHIND_CHUNK + WRITE_BEHIND_CHUNK / 2;
	static uint8_t buf[PIECE];
	struct write_behind wb;
	uint64_t at, bad = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0, "cannot create %s", path);
	if (fd < 0)
		return;
	write_behind_init(&wb, fd);
	CHECK(wb.on, "write-behind is off on a regular file");
	for (at = 0; at < total; at += PIECE) {
		fill(buf, at);
		CHECK(write(fd, buf, PIECE) == PIECE, "write at %llu", (unsigned long long)at);
		write_behind_wrote(&wb, PIECE);
		if (at + PIECE == WRITE_BEHIND_CHUNK)
			CHECK(wb.sent == WRITE_BEHIND_CHUNK && wb.dropped == 0,
			      "after one chunk: sent %llu, dropped %llu",
			      (unsigned long long)wb.sent, (unsigned long long)wb.dropped);
	}
	CHECK_EQ(wb.written, total);
	CHECK(wb.sent == 3 * WRITE_BEHIND_CHUNK && wb.dropped == 2 * WRITE_BEHIND_CHUNK,
	      "after 3.5 chunks: sent %llu, dropped %llu", (unsigned long long)wb.sent,
	      (unsigned long long)wb.dropped);
	for (at = 0; at < total; at += PIECE) {
		CHECK(pread(fd, buf, PIECE, (off_t)at) == PIECE, "read at %llu",
		      (unsigned long long)at);
		for (size_t i = 0; i < PIECE; i++)
			bad += buf[i] != pattern(at + i);
	}
	CHECK(bad == 0, "%llu bytes read back differ", (unsigned long long)bad);
	close(fd);
	unlink(path);
}

static void check_pipe(void)
{
	struct write_behind wb;
	int fds[2];

	CHECK(pipe(fds) == 0, "pipe");
	write_behind_init(&wb, fds[1]);
	CHECK(!wb.on, "write-behind is on on a pipe");
	write_behind_wrote(&wb, 2 * WRITE_BEHIND_CHUNK);
	CHECK(wb.sent == 0 && wb.dropped == 0, "a pipe's bytes were sent or dropped");
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	char dir[4096], path[4200];

	if (check_scratch_dir("write_behind", dir, sizeof(dir)))
		return 1;
	snprintf(path, sizeof(path), "%s/capture.bin", dir);
	check_regular_file(path);
	check_pipe();
	return check_summary("write_behind");
}

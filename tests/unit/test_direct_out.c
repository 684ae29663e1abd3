// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extcap/direct_out.c on a real file: thousands of small buffers of every
 * length, submitted faster than its thread writes them (so that it maps
 * more than its usual four, and writes through the page cache while half of
 * them wait), read back byte for byte, the tails carried from one buffer to
 * the next included; after direct_out_wait() the file holds everything
 * submitted. This copy of direct_out.c unmaps the extra buffers
 * as soon as the thread is idle, not 10 s after the last was mapped
 * (tests/CMakeLists.txt): once it has caught up, four are left.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "scratch.h"
#include "direct_out.h"

#define BUF_SIZE (2 * DIRECT_OUT_ALIGN)
#define SUBMITS 4000

/* Byte @i of the file: a pattern that tells every offset apart within a block. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
}

/* How many of the file's first @len bytes differ from the pattern. */
static uint64_t differing(int fd, uint64_t len)
{
	static uint8_t buf[1 << 16];
	uint64_t at, bad = 0;

	for (at = 0; at < len; at += sizeof(buf)) {
		size_t n = len - at < sizeof(buf) ? len - at : sizeof(buf);

		if (pread(fd, buf, n, (off_t)at) != (ssize_t)n)
			return len;
		for (size_t i = 0; i < n; i++)
			bad += buf[i] != pattern(at + i);
	}
	return bad;
}

static void check_file(const char *path)
{
	struct direct_out *d = NULL;
	uint64_t total = 0;
	size_t mapped, most = 0;
	size_t used = 0;
	uint8_t *buf;
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0, "cannot create %s", path);
	if (fd < 0)
		return;
	CHECK_EQ(direct_out_open(&d, fd, BUF_SIZE, &buf), 0);
	if (!d) {
		close(fd);
		return;
	}
	srand(1);
	for (int i = 0; i < SUBMITS; i++) {
		/* From the carried tail to anywhere up to the end: 1 byte, whole blocks, a full buffer. */
		size_t end = used + (size_t)rand() % (BUF_SIZE - used + 1);

		for (; used < end; used++)
			buf[used] = pattern(total + used);
		total += used;
		CHECK_EQ(direct_out_submit(d, &buf, &used), 0);
		total -= used; /* the tail comes back, to be submitted again */
		mapped = direct_out_buffers(d);
		most = mapped > most ? mapped : most;
		if (i == SUBMITS / 2) {
			CHECK(most > DIRECT_OUT_IDLE_BUFS, "%zu buffers at most, want more than %d",
			      most, DIRECT_OUT_IDLE_BUFS);
			CHECK_EQ(direct_out_wait(d), 0);
			CHECK_U64(differing(fd, total + used), 0);
			mapped = direct_out_buffers(d);
			CHECK(mapped == DIRECT_OUT_IDLE_BUFS, "%zu buffers once idle, want %d", mapped,
			      DIRECT_OUT_IDLE_BUFS);
		}
	}
	CHECK_EQ(direct_out_close(d), 0);
	total += used;
	CHECK(fstat(fd, &st) == 0 && (uint64_t)st.st_size == total, "file size %lld, want %llu",
	      (long long)st.st_size, (unsigned long long)total);
	CHECK_U64(differing(fd, total), 0);
	close(fd);
	unlink(path);
}

int main(void)
{
	char dir[4096], path[4200];

	if (check_scratch_dir("direct_out", dir, sizeof(dir)))
		return 1;
	snprintf(path, sizeof(path), "%s/capture.bin", dir);
	check_file(path);
	return check_summary("direct_out");
}

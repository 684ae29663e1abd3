// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "direct_out.h"
#include "write_all.h"
#include "write_behind.h"

/*
 * When the disk or the scheduler holds the thread back, the loop maps more
 * buffers rather than wait: while it waits, the kernel's rings fill and drop
 * packets (small UDP at the highest rate, bench/where-the-time-goes.md,
 * session 31). 8 of 2 MiB (pcapng.c's) hold some 0.2 s of that traffic.
 */
#define MAX_BUFS 8
/*
 * With this many queued, the thread writes through the page cache, at the
 * speed of memory, rather than wait for the disk with each chunk; the
 * write-behind sends them on and drops them. A disk slowed down by another
 * writer then costs memory for a moment, not packets: before, at UDP's
 * highest rate, the queue took all its 16 MiB and the loop stopped for
 * 174 ms (session 33).
 */
#define BEHIND_BUFS (MAX_BUFS / 2)
/*
 * The extra ones go back once none has been mapped for this long. Under
 * keep-alive HTTPS the thread falls a few buffers behind many times a
 * second: unmapped at once, they were mapped again, and their page faults
 * cost about 1% of the requests (10700 faults a run against 550). The unit
 * test builds its copy with 0.
 */
#ifndef SHRINK_AFTER_NS
#define SHRINK_AFTER_NS (10 * 1000000000ULL)
#endif

struct chunk {
	uint8_t *buf;
	size_t len;
	size_t carried; /* buf's first bytes: the previous chunk's tail, in the file already */
	uint64_t off;	/* where buf[0] goes in the file, a multiple of DIRECT_OUT_ALIGN */
};

struct direct_out {
	int fd;	 /* through the page cache: the tails */
	int dfd; /* the same file, O_DIRECT */
	bool direct;
	uint64_t next_off; /* where the buffer handed out goes */
	size_t carried;	   /* and how much of it is in the file already */

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct chunk queue[MAX_BUFS]; /* submitted, in file order */
	size_t head, queued;
	uint8_t *free_bufs[MAX_BUFS];
	size_t n_free;
	size_t n_bufs;	  /* mapped: free, queued or handed out */
	size_t buf_size;
	uint64_t grown_ns; /* CLOCK_MONOTONIC when the last was mapped */
	uint8_t *current;  /* the one handed out */
	bool closing;
	int err; /* the thread's first */
	struct write_behind behind; /* drops the blocks that went through the page cache */
};

/*
 * A buffer of a huge page's size and alignment can be one huge page: an
 * O_DIRECT write then pins one page, not 512, and hands the disk one segment.
 * Writing 1.6 GB from 2 MiB buffers took 50-58 ms of CPU on small pages, 28
 * on huge ones; TCP bulk captured whole took ecap-tls ~0.4 ms of CPU a MB
 * written, now ~0.3 (session 35). Where free memory is fragmented the kernel
 * may first compact some (THP defrag "madvise"), while the loop waits for
 * the buffer it maps.
 */
#define HUGE_PAGE_SIZE (2u << 20)

/* @size bytes at a multiple of HUGE_PAGE_SIZE: more are mapped, and the ends cut off. */
static uint8_t *map_huge_aligned(size_t size)
{
	size_t span = size + HUGE_PAGE_SIZE;
	uint8_t *raw, *buf;

	raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
	if (buf > raw)
		munmap(raw, buf - raw);
	munmap(buf + size, raw + span - (buf + size));
	return buf;
}

/*
 * Page-aligned, as O_DIRECT wants, and unmapped, not freed: its memory goes
 * back. Populated at once: under light traffic a buffer goes out with only
 * its first pages written, and the rest would come in one fault at a time
 * as bursts reach them, over minutes; RSS counts the buffers whole from the
 * start instead, and the soak's slope is the heap's alone. Where the kernel
 * has no huge pages, or no MADV_POPULATE_WRITE (before 5.14), the buffer
 * gets small pages, or takes its faults as it fills.
 */
static uint8_t *map_buf(struct direct_out *d)
{
	uint8_t *buf = map_huge_aligned(d->buf_size);

	if (!buf)
		return NULL;
	madvise(buf, d->buf_size, MADV_HUGEPAGE);
	madvise(buf, d->buf_size, MADV_POPULATE_WRITE);
	d->n_bufs++;
	d->grown_ns = clock_ns(CLOCK_MONOTONIC);
	return buf;
}

static void unmap_buf(struct direct_out *d, uint8_t *buf)
{
	munmap(buf, d->buf_size);
	d->n_bufs--;
}

/* A free buffer, or a new one while there may be more; else waits for the thread's next. */
static uint8_t *take_buf(struct direct_out *d)
{
	uint8_t *buf;

	while (!d->n_free) {
		if (d->n_bufs < MAX_BUFS && (buf = map_buf(d)))
			return buf;
		pthread_cond_wait(&d->changed, &d->lock);
	}
	return d->free_bufs[--d->n_free];
}

/* The buffers mapped beyond the usual few, free and idle: the loop takes one at a time. */
static void shrink_bufs(struct direct_out *d)
{
	if (d->n_bufs <= DIRECT_OUT_IDLE_BUFS ||
	    clock_ns(CLOCK_MONOTONIC) < d->grown_ns + SHRINK_AFTER_NS)
		return;
	while (d->n_bufs > DIRECT_OUT_IDLE_BUFS && d->n_free > 1)
		unmap_buf(d, d->free_bufs[--d->n_free]);
}

/*
 * The whole 4 KiB blocks straight to the disk; through the page cache the
 * last one, partial, and the first one if the previous chunk's tail began
 * it there. A direct write over a page the cache holds dirty would first
 * wait for its write-back. All of it through the page cache when @behind.
 */
static int write_chunk(struct direct_out *d, const struct chunk *c, bool behind)
{
	size_t from = c->carried ? DIRECT_OUT_ALIGN : 0;
	size_t to = c->len & ~(size_t)(DIRECT_OUT_ALIGN - 1);
	int err;

	if (!d->direct || behind || to <= from)
		return write_all_at(d->fd, c->buf + c->carried, c->len - c->carried,
				    c->off + c->carried);
	err = write_all_at(d->fd, c->buf + c->carried, from - c->carried, c->off + c->carried);
	if (!err)
		err = write_all_at(d->dfd, c->buf + from, to - from, c->off + from);
	/* A file system that takes O_DIRECT files but not their writes. */
	if (err == -EINVAL) {
		d->direct = false;
		err = write_all_at(d->fd, c->buf + from, to - from, c->off + from);
	}
	if (!err)
		err = write_all_at(d->fd, c->buf + to, c->len - to, c->off + to);
	return err;
}

static void *writer_thread(void *arg)
{
	struct direct_out *d = arg;
	struct chunk c;
	bool behind;
	int err;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->queued && !d->closing)
			pthread_cond_wait(&d->changed, &d->lock);
		if (!d->queued)
			break;
		c = d->queue[d->head];
		behind = d->queued > BEHIND_BUFS;
		pthread_mutex_unlock(&d->lock);

		err = d->err ? 0 : write_chunk(d, &c, behind);
		if (!err)
			write_behind_wrote(&d->behind, c.len - c.carried);

		pthread_mutex_lock(&d->lock);
		if (err && !d->err)
			d->err = err;
		d->head = (d->head + 1) % MAX_BUFS;
		d->queued--;
		d->free_bufs[d->n_free++] = c.buf;
		shrink_bufs(d);
		pthread_cond_broadcast(&d->changed);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* The same file once more, O_DIRECT: the flag is the open file's, not the descriptor's. */
static int reopen_direct(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

/* With the thread gone or never started: every buffer is free but the one handed out. */
static void free_direct_out(struct direct_out *d)
{
	while (d->n_free)
		unmap_buf(d, d->free_bufs[--d->n_free]);
	if (d->current)
		unmap_buf(d, d->current);
	if (d->dfd >= 0)
		close(d->dfd);
	free(d);
}

int direct_out_open(struct direct_out **dp, int fd, size_t buf_size, uint8_t **buf)
{
	struct direct_out *d = calloc(1, sizeof(*d));
	sigset_t all, old;
	int err;

	if (!d)
		return -ENOMEM;
	*d = (struct direct_out){.fd = fd, .dfd = reopen_direct(fd), .direct = true,
				 .buf_size = buf_size};
	if (d->dfd < 0) {
		err = -errno;
		free_direct_out(d);
		return err;
	}
	d->current = map_buf(d);
	if (!d->current) {
		free_direct_out(d);
		return -ENOMEM;
	}
	write_behind_init(&d->behind, fd);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->changed, NULL);
	/* Signals are the capture loop's to handle: the thread starts with them all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&d->thread, NULL, writer_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free_direct_out(d);
		return err;
	}
	*buf = d->current;
	*dp = d;
	return 0;
}

int direct_out_submit(struct direct_out *d, uint8_t **buf, size_t *used)
{
	uint64_t end = d->next_off + *used;
	size_t tail = end % DIRECT_OUT_ALIGN;
	uint8_t *next;
	int err;

	pthread_mutex_lock(&d->lock);
	next = take_buf(d);
	/* Before the thread has it: once written, it may be unmapped. */
	memcpy(next, *buf + *used - tail, tail);
	d->queue[(d->head + d->queued) % MAX_BUFS] =
		(struct chunk){.buf = *buf, .len = *used, .carried = d->carried, .off = d->next_off};
	d->queued++;
	pthread_cond_broadcast(&d->changed);
	d->current = next;
	err = d->err;
	pthread_mutex_unlock(&d->lock);

	d->next_off = end - tail;
	d->carried = tail;
	*buf = next;
	*used = tail;
	return err;
}

size_t direct_out_buffers(struct direct_out *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->n_bufs;
	pthread_mutex_unlock(&d->lock);
	return n;
}

int direct_out_wait(struct direct_out *d)
{
	int err;

	pthread_mutex_lock(&d->lock);
	while (d->queued)
		pthread_cond_wait(&d->changed, &d->lock);
	err = d->err;
	pthread_mutex_unlock(&d->lock);
	return err;
}

int direct_out_close(struct direct_out *d)
{
	int err;

	if (!d)
		return 0;
	pthread_mutex_lock(&d->lock);
	d->closing = true;
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	err = d->err;
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->changed);
	free_direct_out(d);
	return err;
}

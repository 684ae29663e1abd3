// SPDX-License-Identifier: GPL-2.0-or-later
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "direct_out.h"
#include "write_all.h"
#include "write_behind.h"

/* Enough for the thread to write two while the loop fills a third. */
#define N_BUFS 4

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
	struct chunk queue[N_BUFS]; /* submitted, in file order */
	size_t head, queued;
	uint8_t *free_bufs[N_BUFS];
	size_t n_free;
	bool closing;
	int err; /* the thread's first */
	struct write_behind behind; /* drops the blocks that went through the page cache */
	uint8_t *all_bufs[N_BUFS];
};

/*
 * The whole 4 KiB blocks straight to the disk; through the page cache the
 * last one, partial, and the first one if the previous chunk's tail began
 * it there. A direct write over a page the cache holds dirty would first
 * wait for its write-back.
 */
static int write_chunk(struct direct_out *d, const struct chunk *c)
{
	size_t from = c->carried ? DIRECT_OUT_ALIGN : 0;
	size_t to = c->len & ~(size_t)(DIRECT_OUT_ALIGN - 1);
	int err;

	if (!d->direct || to <= from)
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
	int err;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->queued && !d->closing)
			pthread_cond_wait(&d->changed, &d->lock);
		if (!d->queued)
			break;
		c = d->queue[d->head];
		pthread_mutex_unlock(&d->lock);

		err = d->err ? 0 : write_chunk(d, &c);
		if (!err)
			write_behind_wrote(&d->behind, c.len - c.carried);

		pthread_mutex_lock(&d->lock);
		if (err && !d->err)
			d->err = err;
		d->head = (d->head + 1) % N_BUFS;
		d->queued--;
		d->free_bufs[d->n_free++] = c.buf;
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

static void free_direct_out(struct direct_out *d)
{
	for (size_t i = 0; i < N_BUFS; i++)
		free(d->all_bufs[i]);
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
	*d = (struct direct_out){.fd = fd, .dfd = reopen_direct(fd), .direct = true};
	if (d->dfd < 0) {
		err = -errno;
		free_direct_out(d);
		return err;
	}
	for (size_t i = 0; i < N_BUFS; i++) {
		if (posix_memalign((void **)&d->all_bufs[i], DIRECT_OUT_ALIGN, buf_size)) {
			free_direct_out(d);
			return -ENOMEM;
		}
		d->free_bufs[d->n_free++] = d->all_bufs[i];
	}
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
	*buf = d->free_bufs[--d->n_free];
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
	d->queue[(d->head + d->queued) % N_BUFS] =
		(struct chunk){.buf = *buf, .len = *used, .carried = d->carried, .off = d->next_off};
	d->queued++;
	pthread_cond_broadcast(&d->changed);
	while (!d->n_free)
		pthread_cond_wait(&d->changed, &d->lock);
	next = d->free_bufs[--d->n_free];
	err = d->err;
	pthread_mutex_unlock(&d->lock);

	/* The buffer just submitted is only read, by the thread too, until it comes back. */
	memcpy(next, *buf + *used - tail, tail);
	d->next_off = end - tail;
	d->carried = tail;
	*buf = next;
	*used = tail;
	return err;
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

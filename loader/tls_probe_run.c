// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Running the probe (tls_probe.h): in a child of ours, or, for a library of
 * another root, in the helper program run by that root's dynamic loader; and
 * collecting its result, whatever the library did to the child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#include "tls_probe.h"

#define PROBE_TIMEOUT_MS 10000

/* The helper program, built as ecap-tls-probe and embedded by tls_probe_helper.S. */
extern const unsigned char tls_probe_helper_start[], tls_probe_helper_end[];

static int helper_memfd(void)
{
	const unsigned char *p = tls_probe_helper_start;
	int fd = memfd_create("ecap-tls-probe", 0);

	while (fd >= 0 && p < tls_probe_helper_end) {
		ssize_t n = write(fd, p, (size_t)(tls_probe_helper_end - p));

		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
	}
	return fd;
}

/*
 * The child, for a library of another root: the helper program, run by that
 * root's dynamic loader with that root's C library (a container's may be
 * newer than ours, and its libcrypto need it), does what tls_probe_child()
 * does in a child of ours. Descriptors, not paths, name every file: after the
 * helper drops its privileges, it could not go through /proc/PID/root.
 */
static void exec_in_root(int out, int ssl_fd, int crypto_fd, const struct tls_probe_root *root,
			 bool per_secret)
{
	char lib_path[64], prog[32], out_s[16], ssl_s[16], crypto_s[16];
	int helper = helper_memfd();
	const int keep[] = { out, ssl_fd, crypto_fd, root->loader_fd, root->libc_dir_fd,
			     root->ssl_dir_fd, helper };
	char *argv[] = { "ld.so", "--library-path", lib_path, prog, out_s, ssl_s, crypto_s,
			 per_secret ? "per-secret" : "any", NULL };
	char *envp[] = { NULL };
	struct tls_probe_result res = { 0 };

	if (helper < 0) {
		snprintf(res.err, sizeof(res.err), "cannot make the probe program: %s",
			 strerror(errno));
		goto fail;
	}
	/* Only these cross the exec: the capture's descriptors are none of the helper's. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	}
	snprintf(lib_path, sizeof(lib_path), "/proc/self/fd/%d:/proc/self/fd/%d", root->libc_dir_fd,
		 root->ssl_dir_fd);
	snprintf(prog, sizeof(prog), "/proc/self/fd/%d", helper);
	snprintf(out_s, sizeof(out_s), "%d", out);
	snprintf(ssl_s, sizeof(ssl_s), "%d", ssl_fd);
	snprintf(crypto_s, sizeof(crypto_s), "%d", crypto_fd);
	syscall(SYS_execveat, root->loader_fd, "", argv, envp, AT_EMPTY_PATH);
	snprintf(res.err, sizeof(res.err), "cannot run the process's dynamic loader: %s",
		 strerror(errno));
fail:
	if (write(out, &res, sizeof(res)) != sizeof(res))
		_exit(2);
	_exit(0);
}

static int read_result(int fd, pid_t child, struct tls_probe_result *res)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = 0;

	if (poll(&pfd, 1, PROBE_TIMEOUT_MS) == 1)
		n = read(fd, res, sizeof(*res));
	if (n != sizeof(*res)) {
		kill(child, SIGKILL);
		snprintf(res->err, sizeof(res->err), "the probe %s",
			 n == 0 ? "timed out or crashed" : "reported nothing");
		res->ok = 0;
	}
	waitpid(child, NULL, 0);
	return res->ok ? 0 : -1;
}

int tls_probe_start(int ssl_fd, int crypto_fd, const struct tls_probe_root *root,
		    bool per_secret, struct tls_probe_job *job, char *err, size_t errlen)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	job->child = fork();
	if (job->child < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (job->child == 0) {
		close(fds[0]);
		if (root)
			exec_in_root(fds[1], ssl_fd, crypto_fd, root, per_secret);
		tls_probe_child(fds[1], ssl_fd, crypto_fd, per_secret);
	}
	close(fds[1]);
	job->fd = fds[0];
	return 0;
}

int tls_probe_finish(struct tls_probe_job *job, struct tls_layout *layout, char *err,
		     size_t errlen)
{
	struct tls_probe_result res = { 0 };
	int ret = read_result(job->fd, job->child, &res);

	close(job->fd);
	if (ret) {
		snprintf(err, errlen, "%s", res.err);
		return -1;
	}
	*layout = res.layout;
	return 0;
}

int tls_probe(int ssl_fd, int crypto_fd, const struct tls_probe_root *root, bool per_secret,
	      struct tls_layout *layout, char *err, size_t errlen)
{
	struct tls_probe_job job;

	if (tls_probe_start(ssl_fd, crypto_fd, root, per_secret, &job, err, errlen))
		return -1;
	return tls_probe_finish(&job, layout, err, errlen);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Running the probe (tls_probe.h) in the helper program, which ecap-tls
 * carries inside, and collecting its result, whatever the library did to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tls_probe.h"

#define PROBE_TIMEOUT_MS 10000

/* The helper program, built as ecap-tls-probe and embedded by tls_probe_helper.S. */
extern const unsigned char tls_probe_helper_start[], tls_probe_helper_end[];

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int helper_memfd(void)
{
	const unsigned char *p = tls_probe_helper_start;
	/* Executable, said outright: where vm.memfd_noexec is 1, memfds are sealed noexec. */
	int fd = memfd_create("ecap-tls-probe", MFD_CLOEXEC | MFD_EXEC);

	if (fd < 0 && errno == EINVAL) /* Linux before 6.3 has no MFD_EXEC */
		fd = memfd_create("ecap-tls-probe", MFD_CLOEXEC);

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

/* The helper's command line, its numbers in decimal. */
struct spawn_args {
	char path[32], lib_path[64], prog[32], out[16], ssl[16], crypto[16];
	char *argv[9];
};

/*
 * Run by the kernel with our dynamic loader or, for a library of another
 * root, by that root's loader with that root's C library (a container's may
 * be newer than ours, and its libcrypto need it). Descriptors, not paths,
 * name every file: after the helper drops its privileges, it could not go
 * through /proc/PID/root.
 */
static void spawn_command(struct spawn_args *a, int helper, int out, int ssl_fd, int crypto_fd,
			  const struct tls_probe_root *root, bool per_secret)
{
	char **arg = a->argv;

	snprintf(a->prog, sizeof(a->prog), "/proc/self/fd/%d", helper);
	snprintf(a->out, sizeof(a->out), "%d", out);
	snprintf(a->ssl, sizeof(a->ssl), "%d", ssl_fd);
	snprintf(a->crypto, sizeof(a->crypto), "%d", crypto_fd);
	snprintf(a->path, sizeof(a->path), "%s", a->prog);
	if (root) {
		snprintf(a->path, sizeof(a->path), "/proc/self/fd/%d", root->loader_fd);
		snprintf(a->lib_path, sizeof(a->lib_path), "/proc/self/fd/%d:/proc/self/fd/%d",
			 root->libc_dir_fd, root->ssl_dir_fd);
		*arg++ = "ld.so";
		*arg++ = "--library-path";
		*arg++ = a->lib_path;
	}
	*arg++ = a->prog;
	*arg++ = a->out;
	*arg++ = a->ssl;
	*arg++ = a->crypto;
	*arg++ = per_secret ? "per-secret" : "any";
	*arg = NULL;
}

/*
 * Starts the helper with only @keep open (the helper closes whatever else it
 * inherits before it loads a library). posix_spawn, not fork: ecap-tls's
 * address space, tens of MiB while its programs load, is neither copied nor
 * made copy-on-write under the capture, which would then fault on every page
 * it writes: slow on a VM.
 */
static int spawn(pid_t *child, const char *path, char **argv, const int *keep, size_t n_keep)
{
	posix_spawn_file_actions_t files;
	posix_spawnattr_t attr;
	char *envp[] = { NULL };
	sigset_t none;
	int err;

	posix_spawn_file_actions_init(&files);
	posix_spawnattr_init(&attr);
	/* Equal descriptors: the child's copy loses FD_CLOEXEC. */
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i] >= 0)
			posix_spawn_file_actions_adddup2(&files, keep[i], keep[i]);
	}
	/* Started from a thread that blocks them all; the probe's traps need them. */
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_USEVFORK);
	err = posix_spawn(child, path, &files, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&files);
	return err;
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

static int start_helper(struct tls_probe_job *job, int helper, int out, int ssl_fd,
			int crypto_fd, const struct tls_probe_root *root, bool per_secret)
{
	const int keep[] = { helper, out, ssl_fd, crypto_fd, root ? root->loader_fd : -1,
			     root ? root->libc_dir_fd : -1, root ? root->ssl_dir_fd : -1 };
	struct spawn_args args;

	spawn_command(&args, helper, out, ssl_fd, crypto_fd, root, per_secret);
	return spawn(&job->child, args.path, args.argv, keep, sizeof(keep) / sizeof(keep[0]));
}

int tls_probe_start(int ssl_fd, int crypto_fd, const struct tls_probe_root *root,
		    bool per_secret, struct tls_probe_job *job, char *err, size_t errlen)
{
	int fds[2], helper, ret;

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	helper = helper_memfd();
	if (helper < 0) {
		snprintf(err, errlen, "cannot make the probe program in memory: %s%s", strerror(errno),
			 errno == EACCES ? " (vm.memfd_noexec is 2: set it to 0 or 1)" : "");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	ret = start_helper(job, helper, fds[1], ssl_fd, crypto_fd, root, per_secret);
	close(helper);
	close(fds[1]);
	if (ret) {
		snprintf(err, errlen, "cannot start the probe program: %s", strerror(ret));
		close(fds[0]);
		return -1;
	}
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

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SSLKEYLOGFILE for programs that do not read it (nginx, wrk): preloaded with
 * LD_PRELOAD, it wraps SSL_new() and sets OpenSSL's key-log callback on each
 * new connection's context, which appends every secret line to the file named
 * by SSLKEYLOGFILE, one write() per line, as browsers and curl do. This is the
 * "tcpdump plus a key-log file" way of recording decryptable TLS that
 * bench/tls_nginx.sh compares ecap-tls with; it is not part of ecap-tls.
 *
 *   cc -shared -fPIC -O2 -o sslkeylog.so sslkeylog.c -ldl
 *   SSLKEYLOGFILE=keys.log LD_PRELOAD=./sslkeylog.so nginx ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef void (*keylog_cb)(const SSL *ssl, const char *line);

static int keylog_fd = -1;

static void write_line(const SSL *ssl, const char *line)
{
	size_t len = strlen(line);
	char buf[1024];

	(void)ssl;
	if (keylog_fd < 0 || len + 1 > sizeof(buf))
		return;
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* One write of the whole line: O_APPEND keeps lines of processes apart. */
	if (write(keylog_fd, buf, len + 1) < 0)
		return;
}

__attribute__((constructor)) static void open_keylog(void)
{
	const char *path = getenv("SSLKEYLOGFILE");

	if (path && *path)
		keylog_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

SSL *SSL_new(SSL_CTX *ctx)
{
	static SSL *(*real_new)(SSL_CTX *);
	static void (*set_cb)(SSL_CTX *, keylog_cb);

	if (!real_new) {
		real_new = (SSL *(*)(SSL_CTX *))dlsym(RTLD_NEXT, "SSL_new");
		set_cb = (void (*)(SSL_CTX *, keylog_cb))dlsym(RTLD_NEXT,
							      "SSL_CTX_set_keylog_callback");
	}
	if (set_cb && ctx && keylog_fd >= 0)
		set_cb(ctx, write_line);
	return real_new(ctx);
}

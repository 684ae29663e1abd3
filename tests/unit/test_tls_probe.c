// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Layout discovery (loader/tls_probe.c) against real libraries: the system
 * libssl, a copy of it in another directory (the same answers), and files
 * that are not libssl (a clear refusal, never an answer). Each hook is
 * checked: the uprobe per handshake, and the one per secret, which the probe
 * looks for only when asked or where the first cannot be placed.
 *
 * Where ssl_log_secret() really is, is checked against the machine code:
 * OpenSSL 3.0's version loads the client random's address (ssl + offset)
 * into the third argument register before it jumps to nss_keylog_int(), so
 * `lea offset(%rax|%rdi),%rdx` must be among its first instructions. Then
 * it jumps to nss_keylog_int(), where the uprobe goes (a push, which the
 * kernel emulates): the jump's target must be the hook.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/types.h>
#include "check.h"
#include "scratch.h"
#include "tls.h"
#include "tls_probe.h"

#define SYSTEM_SSL    "/usr/lib/x86_64-linux-gnu/libssl.so.3"
#define SYSTEM_CRYPTO "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;
	int ret = -1;

	if (in && out) {
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, out);
		ret = ferror(in) || ferror(out) ? -1 : 0;
	}
	if (in)
		fclose(in);
	if (out && fclose(out))
		ret = -1;
	return ret;
}

#define CODE_BYTES 48

/* The first CODE_BYTES bytes of code at file offset @offset of @path. */
static int read_code(const char *path, uint64_t offset, unsigned char code[CODE_BYTES])
{
	FILE *f = fopen(path, "rb");
	int ok;

	if (!f)
		return 0;
	ok = !fseek(f, (long)offset, SEEK_SET) && fread(code, 1, CODE_BYTES, f) == CODE_BYTES;
	fclose(f);
	return ok;
}

/* Does the code at @offset of @path start by computing ssl + @cr_offset into %rdx? */
static int loads_client_random(const char *path, uint64_t offset, uint32_t cr_offset)
{
	unsigned char code[CODE_BYTES];
	int found = 0;

	if (!read_code(path, offset, code))
		return 0;
	/* lea disp32(%rax or %rdi), %rdx: 48 8d 90/97 disp32 */
	for (size_t i = 0; i + 7 <= 32; i++) {
		uint32_t disp;

		memcpy(&disp, code + i + 3, 4);
		if (code[i] == 0x48 && code[i + 1] == 0x8d && (code[i + 2] == 0x90 || code[i + 2] == 0x97) &&
		    disp == cr_offset)
			found = 1;
	}
	return found;
}

/* Does the code at @offset of @path jump or call to @target within its first bytes? */
static int branches_to(const char *path, uint64_t offset, uint64_t target)
{
	unsigned char code[CODE_BYTES];
	int found = 0;

	if (!read_code(path, offset, code))
		return 0;
	/* jmp/call rel32: e9/e8 rel32, relative to the next instruction (file offsets
	 * and addresses differ by a constant within the code segment). */
	for (size_t i = 0; i + 5 <= CODE_BYTES; i++) {
		int32_t rel;

		memcpy(&rel, code + i + 1, 4);
		if ((code[i] == 0xe9 || code[i] == 0xe8) && offset + i + 5 + rel == target)
			found = 1;
	}
	return found;
}

/* With @root, through the helper program that root's dynamic loader runs. */
static int probe_in(const char *ssl, const char *crypto, const struct tls_probe_root *root,
		    bool per_secret, struct tls_layout *layout, char *err, size_t errlen)
{
	int ssl_fd = open(ssl, O_RDONLY | O_CLOEXEC);
	int crypto_fd = crypto ? open(crypto, O_RDONLY | O_CLOEXEC) : -1;
	int ret;

	if (ssl_fd < 0) {
		snprintf(err, errlen, "cannot open %s", ssl);
		return -1;
	}
	ret = tls_probe(ssl_fd, crypto_fd, root, per_secret, layout, err, errlen);
	close(ssl_fd);
	if (crypto_fd >= 0)
		close(crypto_fd);
	return ret;
}

static int probe(const char *ssl, const char *crypto, bool per_secret, struct tls_layout *layout,
		 char *err, size_t errlen)
{
	return probe_in(ssl, crypto, NULL, per_secret, layout, err, errlen);
}

/*
 * The helper program, run by the system's dynamic loader named as a root's
 * (as for a container), with the system's libraries: the same answers as
 * when the kernel runs it with ours.
 */
static void probe_through_helper(const struct tls_layout *sys)
{
	struct tls_probe_root root = {
		.loader_fd = open("/lib64/ld-linux-x86-64.so.2", O_RDONLY | O_CLOEXEC),
		.libc_dir_fd = open("/usr/lib/x86_64-linux-gnu", O_PATH | O_DIRECTORY | O_CLOEXEC),
		.ssl_dir_fd = open("/usr/lib/x86_64-linux-gnu", O_PATH | O_DIRECTORY | O_CLOEXEC),
	};
	struct tls_layout l;
	char err[256];

	CHECK(root.loader_fd >= 0 && root.libc_dir_fd >= 0, "opening the dynamic loader");
	CHECK(probe_in(SYSTEM_SSL, SYSTEM_CRYPTO, &root, false, &l, err, sizeof(err)) == 0,
	      "helper: %s", err);
	CHECK(!memcmp(&l, sys, sizeof(l)), "the helper's layout differs: uprobe at 0x%llx, random "
	      "at +%u", (unsigned long long)l.done_offset, l.client_random_offset);
	close(root.loader_fd);
	close(root.libc_dir_fd);
	close(root.ssl_dir_fd);
}

#define MEMFD_NOEXEC "/proc/sys/vm/memfd_noexec"

static char memfd_noexec_was[16];

static void write_memfd_noexec(const char *value)
{
	FILE *f = fopen(MEMFD_NOEXEC, "w");

	if (f) {
		fputs(value, f);
		fclose(f);
	}
}

static void restore_memfd_noexec(void)
{
	write_memfd_noexec(memfd_noexec_was);
}

/*
 * Where vm.memfd_noexec is 1 (Linux 6.3), a memfd is sealed against exec
 * unless asked for otherwise: the probe program, run from one, must ask.
 * Only as root, where the kernel has the setting; put back at exit.
 */
static void probe_with_memfds_sealed(const struct tls_layout *done)
{
	FILE *f = fopen(MEMFD_NOEXEC, "r");
	struct tls_layout l;
	char err[256];
	bool read;

	if (!f || geteuid()) {
		printf("vm.memfd_noexec not tried: %s\n", f ? "not root" : "no such setting");
		if (f)
			fclose(f);
		return;
	}
	read = fgets(memfd_noexec_was, sizeof(memfd_noexec_was), f);
	fclose(f);
	if (!read)
		return;
	atexit(restore_memfd_noexec);
	write_memfd_noexec("1");
	CHECK(probe(SYSTEM_SSL, SYSTEM_CRYPTO, false, &l, err, sizeof(err)) == 0,
	      "vm.memfd_noexec=1: %s", err);
	CHECK(!memcmp(&l, done, sizeof(l)), "vm.memfd_noexec=1: another layout");
	restore_memfd_noexec();
}

static void expect_refusal(const char *what, const char *path)
{
	struct tls_layout layout;
	char err[256] = "";

	CHECK(probe(path, NULL, false, &layout, err, sizeof(err)) == -1, "%s: probe succeeded", what);
	CHECK(err[0], "%s: no reason given", what);
	printf("%s refused: %s\n", what, err);
}

/*
 * The uprobe at the end of each handshake, and what it reads: each stored
 * secret in a slot of its own in the block, the version before it.
 */
static void check_handshake_done(const char *what, const struct tls_layout *l)
{
	const uint32_t fields[] = { l->hs_secret, l->hs_hash, l->master, l->finished_hash,
				    l->exporter };

	printf("%s: uprobe per handshake at 0x%llx%s%s, version at +%u, TLS 1.3 secrets in "
	       "%u bytes at +%u, TLS 1.2 master key at +%u of the pointer at +%u\n", what,
	       (unsigned long long)l->done_offset, l->done_offset ? "" : ": ", l->no_done_why,
	       l->version_offset, l->block_len, l->block_offset, l->master_key_offset,
	       l->session_via);
	CHECK(l->done_offset > 0, "%s: no uprobe per handshake: %s", what, l->no_done_why);
	CHECK(l->block_len > 0 && l->block_len <= TLS_MAX_BLOCK_SIZE, "%s: block of %u bytes", what,
	      l->block_len);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		CHECK(fields[i] + TLS_MAX_SECRET_SIZE <= l->block_len, "%s: field %zu at +%u", what,
		      i, fields[i]);
		for (size_t j = 0; j < i; j++)
			CHECK(fields[i] != fields[j], "%s: fields %zu and %zu share +%u", what, i, j,
			      fields[i]);
	}
	CHECK(l->session_via != TLS_RANDOM_INLINE, "%s: the master key found in the SSL object",
	      what);
}

/*
 * Debian 11's OpenSSL 1.1.1, unpacked by tests/fixtures.sh: its SSL object
 * points to its s3 state, and its nss_keylog_int() is split so that the test
 * for a key-log callback comes before the call: the uprobe must stay on
 * ssl_log_secret(), and find the client random behind the pointer.
 */
static void probe_openssl_111(void)
{
	const char *fixtures = getenv("ECAP_FIXTURES");
	char ssl[4200], crypto[4200];
	struct tls_layout l;
	char err[256];

	snprintf(ssl, sizeof(ssl), "%s/openssl-1.1.1/root/usr/lib/x86_64-linux-gnu/libssl.so.1.1",
		 fixtures ? fixtures : "/var/cache/ecap-tls/fixtures");
	snprintf(crypto, sizeof(crypto), "%.*s/libcrypto.so.1.1", (int)(strrchr(ssl, '/') - ssl), ssl);
	if (access(ssl, R_OK)) {
		CHECK(!getenv("CI"), "no OpenSSL 1.1.1 at %s (tests/fixtures.sh)", ssl);
		printf("OpenSSL 1.1.1 not probed: no %s\n", ssl);
		return;
	}
	CHECK(probe(ssl, crypto, false, &l, err, sizeof(err)) == 0, "1.1.1: %s", err);
	check_handshake_done("1.1.1", &l);
	CHECK(probe(ssl, crypto, true, &l, err, sizeof(err)) == 0, "1.1.1, per secret: %s", err);
	printf("OpenSSL 1.1.1: %s, uprobe at 0x%llx (%s), client random at +%u of the pointer at "
	       "+%u\n", l.version, (unsigned long long)l.hook_offset,
	       l.hook == TLS_HOOK_KEYLOG_LINE ? "nss_keylog_int" : "ssl_log_secret",
	       l.client_random_offset, l.client_random_via);
	CHECK(!strncmp(l.version, "OpenSSL 1.1.1", 13), "version '%s'", l.version);
	CHECK(l.hook == TLS_HOOK_LOG_SECRET && l.hook_offset == l.log_secret_offset,
	      "1.1.1's uprobe is not on ssl_log_secret");
	CHECK(l.client_random_via != TLS_RANDOM_INLINE, "1.1.1's client random found in the object");
}

int main(void)
{
	char dir[4096], ssl_copy[4200], crypto_copy[4200], junk[4200];
	struct tls_layout sys, done, copy;
	char err[256];
	FILE *f;

	CHECK(probe(SYSTEM_SSL, SYSTEM_CRYPTO, false, &done, err, sizeof(err)) == 0, "system: %s",
	      err);
	check_handshake_done("system libssl", &done);
	CHECK(done.hook_offset == 0, "system: the uprobe per secret looked for, at 0x%llx",
	      (unsigned long long)done.hook_offset);
	CHECK(probe(SYSTEM_SSL, SYSTEM_CRYPTO, true, &sys, err, sizeof(err)) == 0,
	      "system, per secret: %s", err);
	printf("system libssl: %s, ssl_log_secret at 0x%llx, uprobe at 0x%llx (%s), client random "
	       "at +%u\n", sys.version, (unsigned long long)sys.log_secret_offset,
	       (unsigned long long)sys.hook_offset,
	       sys.hook == TLS_HOOK_KEYLOG_LINE ? "nss_keylog_int" : "ssl_log_secret",
	       sys.client_random_offset);
	CHECK(!strncmp(sys.version, "OpenSSL 3.", 10), "version '%s'", sys.version);
	CHECK(sys.log_secret_offset > 0, "no function offset");
	CHECK(sys.client_random_offset > 0 && sys.client_random_offset < 16384,
	      "client random offset %u", sys.client_random_offset);
	CHECK(loads_client_random(SYSTEM_SSL, sys.log_secret_offset, sys.client_random_offset),
	      "the code at 0x%llx does not load ssl+%u", (unsigned long long)sys.log_secret_offset,
	      sys.client_random_offset);
	CHECK(sys.client_random_via == TLS_RANDOM_INLINE, "3.0's client random behind a pointer at %u",
	      sys.client_random_via);
	CHECK(sys.hook == TLS_HOOK_KEYLOG_LINE, "the uprobe is not on nss_keylog_int");
	CHECK(branches_to(SYSTEM_SSL, sys.log_secret_offset, sys.hook_offset),
	      "ssl_log_secret at 0x%llx does not go to 0x%llx", (unsigned long long)sys.log_secret_offset,
	      (unsigned long long)sys.hook_offset);
	CHECK(sys.done_offset == 0 && sys.client_random_offset == done.client_random_offset,
	      "system, per secret: uprobe per handshake at 0x%llx, random at +%u",
	      (unsigned long long)sys.done_offset, sys.client_random_offset);

	/* A private copy elsewhere, probed with its own libcrypto: the same answers. */
	if (check_scratch_dir("tls_probe", dir, sizeof(dir)))
		return 1;
	snprintf(ssl_copy, sizeof(ssl_copy), "%s/libssl.so.3", dir);
	snprintf(crypto_copy, sizeof(crypto_copy), "%s/libcrypto.so.3", dir);
	CHECK(!copy_file(SYSTEM_SSL, ssl_copy) && !copy_file(SYSTEM_CRYPTO, crypto_copy),
	      "copying the libraries to %s", dir);
	CHECK(probe(ssl_copy, crypto_copy, false, &copy, err, sizeof(err)) == 0, "copy: %s", err);
	CHECK(!memcmp(&copy, &done, sizeof(copy)), "copy: the uprobe per handshake at 0x%llx, "
	      "random at +%u", (unsigned long long)copy.done_offset, copy.client_random_offset);
	CHECK(probe(ssl_copy, crypto_copy, true, &copy, err, sizeof(err)) == 0,
	      "copy, per secret: %s", err);
	CHECK(!memcmp(&copy, &sys, sizeof(copy)), "copy, per secret: uprobe at 0x%llx, random at +%u",
	      (unsigned long long)copy.hook_offset, copy.client_random_offset);

	probe_through_helper(&done);
	probe_with_memfds_sealed(&done);
	probe_openssl_111();

	/* Not libssl: refused with a reason, never a layout. */
	expect_refusal("libcrypto", SYSTEM_CRYPTO);
	expect_refusal("a missing file", "/nonexistent/libssl.so.3");
	snprintf(junk, sizeof(junk), "%s/not-elf.so", dir);
	f = fopen(junk, "w");
	if (f) {
		fputs("this is not an ELF file\n", f);
		fclose(f);
	}
	expect_refusal("a text file", junk);

	return check_summary("tls_probe");
}

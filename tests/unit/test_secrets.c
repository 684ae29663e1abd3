// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NSS key log lines: exact text for RFC 8448 values, dedupe and its bound,
 * invalid secrets, and the key log file (mode, whole lines, appending).
 *
 * Files go to $ECAP_TEST_TMP/secrets (a mkdtemp folder when unset). Exit status 0 means pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"
#include "secrets.h"

static char tmpdir[256];

/* RFC 8448 section 3: the ClientHello's random and the client handshake traffic secret. */
#define RFC8448_RANDOM "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
#define RFC8448_C_HS   "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"

static struct tls_secret make_secret(const char *label, const char *random_hex,
				     const char *secret_hex)
{
	struct tls_secret sec = {.ts_ns = 1, .pid = 2, .tid = 3};

	snprintf(sec.label, sizeof(sec.label), "%s", label);
	unhex(random_hex, sec.client_random, sizeof(sec.client_random));
	sec.secret_len = unhex(secret_hex, sec.secret, sizeof(sec.secret));
	return sec;
}

/* A distinct valid secret per @n. */
static struct tls_secret numbered_secret(uint32_t n)
{
	struct tls_secret sec = make_secret("CLIENT_RANDOM", RFC8448_RANDOM, RFC8448_C_HS);

	memcpy(sec.secret, &n, sizeof(n));
	sec.secret_len = 48;
	return sec;
}

static void test_line_text(void)
{
	struct tls_secret sec =
	    make_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", RFC8448_RANDOM, RFC8448_C_HS);
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];

	CHECK_EQ(secrets_open(&s, NULL), 0);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 1);
	CHECK_STR(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET " RFC8448_RANDOM " " RFC8448_C_HS "\n");

	/* A 48-byte TLS 1.2 master secret, with every hex digit in it. */
	sec = make_secret("CLIENT_RANDOM",
			  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			  "0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"
			  "00112233445566778899aabbccddeeff");
	CHECK_EQ(sec.secret_len, 48);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 1);
	CHECK_STR(line, "CLIENT_RANDOM "
			"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
			"0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"
			"00112233445566778899aabbccddeeff\n");
	secrets_close(s);
}

static void test_longest_line(void)
{
	struct tls_secret sec = numbered_secret(7);
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];
	size_t need;

	/* The longest label of the key log format. */
	snprintf(sec.label, sizeof(sec.label), "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
	memset(sec.secret, 0x5a, TLS_MAX_SECRET_SIZE);
	sec.secret_len = TLS_MAX_SECRET_SIZE;
	need = strlen(sec.label) + 1 + 64 + 1 + 2 * TLS_MAX_SECRET_SIZE + 1 + 1;
	CHECK(need <= SECRETS_LINE_MAX, "a line of %zu bytes, SECRETS_LINE_MAX %d", need,
	      SECRETS_LINE_MAX);

	CHECK_EQ(secrets_open(&s, NULL), 0);
	/* Too small by one: refused, and not remembered as seen. */
	CHECK_EQ(secrets_add(s, &sec, line, need - 1), -ENOSPC);
	CHECK_STR(line, "");
	CHECK_EQ(secrets_add(s, &sec, line, need), 1);
	CHECK_EQ(strlen(line), need - 1);
	CHECK_EQ(line[need - 2], '\n');
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 0);
	secrets_close(s);
}

static void test_repeats(void)
{
	struct tls_secret a = make_secret("SERVER_TRAFFIC_SECRET_0", RFC8448_RANDOM, RFC8448_C_HS);
	struct tls_secret b;
	struct secrets_stats st;
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];

	CHECK_EQ(secrets_open(&s, NULL), 0);
	CHECK_EQ(secrets_add(s, &a, line, sizeof(line)), 1);
	/* The other end of the connection reports it too, from another process. */
	b = a;
	b.pid = 99;
	b.tid = 100;
	b.ts_ns = 12345;
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 0);
	CHECK_STR(line, "SERVER_TRAFFIC_SECRET_0 " RFC8448_RANDOM " " RFC8448_C_HS "\n");

	/* Any field that differs makes a different secret. */
	b = a;
	snprintf(b.label, sizeof(b.label), "CLIENT_TRAFFIC_SECRET_0");
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 1);
	b = a;
	b.client_random[31] ^= 1;
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 1);
	b = a;
	b.secret[0] ^= 1;
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 1);
	b = a;
	b.secret_len = 31; /* a prefix of a known secret */
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 1);
	/* Bytes past secret_len are not part of it. */
	b = a;
	b.secret[40] = 0xee;
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 0);
	/* Its first 16 bytes name it: no two real secrets share them. */
	b = a;
	b.secret[20] ^= 1;
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 0);

	secrets_get_stats(s, &st);
	CHECK_EQ(st.added, 5);
	CHECK_EQ(st.repeated, 3);
	CHECK_EQ(st.invalid, 0);
	secrets_close(s);
}

static void test_bounded(void)
{
	struct secrets_stats st;
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];
	struct tls_secret sec;
	int news = 0;

	CHECK_EQ(secrets_open(&s, NULL), 0);
	for (uint32_t i = 0; i < SECRETS_REMEMBERED + 10; i++) {
		sec = numbered_secret(i);
		news += secrets_add(s, &sec, line, sizeof(line)) == 1;
	}
	CHECK_EQ(news, SECRETS_REMEMBERED + 10);

	/* The newest SECRETS_REMEMBERED are remembered ... */
	sec = numbered_secret(SECRETS_REMEMBERED + 9);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 0);
	sec = numbered_secret(10);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 0);
	/* ... the ten oldest are forgotten, first in, first out. */
	sec = numbered_secret(0);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 1);
	sec = numbered_secret(9);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 1);
	/* Re-adding 0 and 9 pushed out 10 and 11; re-adding 10 pushes out 12. */
	sec = numbered_secret(10);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 1);
	sec = numbered_secret(13);
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 0);

	secrets_get_stats(s, &st);
	CHECK_EQ(st.added, SECRETS_REMEMBERED + 13);
	CHECK_EQ(st.repeated, 3);
	secrets_close(s);
}

static void test_invalid(void)
{
	struct tls_secret good = make_secret("EXPORTER_SECRET", RFC8448_RANDOM, RFC8448_C_HS);
	struct secrets_stats st;
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];
	struct tls_secret bad;
	int n = 0;

	CHECK_EQ(secrets_open(&s, NULL), 0);

#define CHECK_INVALID(mutate)                                                                      \
	do {                                                                                       \
		bad = good;                                                                        \
		mutate;                                                                            \
		strcpy(line, "junk");                                                              \
		CHECK_EQ(secrets_add(s, &bad, line, sizeof(line)), -EINVAL);                       \
		CHECK_STR(line, "");                                                               \
		n++;                                                                               \
	} while (0)

	CHECK_INVALID(bad.secret_len = 0);
	CHECK_INVALID(bad.secret_len = TLS_MAX_SECRET_SIZE + 1);
	CHECK_INVALID(bad.secret_len = UINT32_MAX);
	CHECK_INVALID(memset(bad.secret, 0, sizeof(bad.secret)));
	CHECK_INVALID(memset(bad.client_random, 0, sizeof(bad.client_random)));
	CHECK_INVALID(bad.label[0] = '\0');
	CHECK_INVALID(strcpy(bad.label, "client_random"));
	CHECK_INVALID(strcpy(bad.label, "CLIENT RANDOM"));
	CHECK_INVALID(strcpy(bad.label, "CLIENT-RANDOM"));
	CHECK_INVALID(strcpy(bad.label, "CLIENT_RANDOM\n"));
	CHECK_INVALID(bad.label[3] = (char)0xc3);
	/* No NUL within the label field: a bad read, not a 48-letter label. */
	CHECK_INVALID(memset(bad.label, 'A', sizeof(bad.label)));
#undef CHECK_INVALID

	secrets_get_stats(s, &st);
	CHECK_EQ(st.invalid, n);
	CHECK_EQ(st.added, 0);

	/* Neither invalid one was remembered: the good one is still new. */
	CHECK_EQ(secrets_add(s, &good, line, sizeof(line)), 1);
	/* Secrets of every size a suite uses are fine, down to one byte. */
	bad = good;
	bad.secret_len = 1;
	CHECK_EQ(secrets_add(s, &bad, line, sizeof(line)), 1);
	CHECK_STR(line, "EXPORTER_SECRET " RFC8448_RANDOM " b3\n");
	secrets_close(s);
}

/* OpenSSL 3 logs TLS 1.3 key updates with labels no key log reader takes. */
static void test_key_update_lines(void)
{
	struct tls_secret sec = make_secret("CLIENT_TRAFFIC_SECRET_N", RFC8448_RANDOM, RFC8448_C_HS);
	struct secrets_stats st;
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];

	CHECK_EQ(secrets_open(&s, NULL), 0);
	strcpy(line, "junk");
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 0);
	CHECK_STR(line, "");
	snprintf(sec.label, sizeof(sec.label), "SERVER_TRAFFIC_SECRET_N");
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 0);
	secrets_get_stats(s, &st);
	CHECK_EQ(st.added, 0);
	CHECK_EQ(st.repeated, 0);
	CHECK_EQ(st.invalid, 0);
	/* Not remembered either: the same secret under its real label is new. */
	snprintf(sec.label, sizeof(sec.label), "SERVER_TRAFFIC_SECRET_0");
	CHECK_EQ(secrets_add(s, &sec, line, sizeof(line)), 1);
	secrets_close(s);
}

static char *read_file(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void test_keylog_file(void)
{
	struct tls_secret a = make_secret("CLIENT_TRAFFIC_SECRET_0", RFC8448_RANDOM, RFC8448_C_HS);
	struct tls_secret b = make_secret("SERVER_TRAFFIC_SECRET_0", RFC8448_RANDOM, RFC8448_C_HS);
	struct tls_secret c = numbered_secret(42);
	struct tls_secret bad = a;
	char want[4 * SECRETS_LINE_MAX] = "";
	char line[SECRETS_LINE_MAX];
	char path[512];
	struct secrets_stats st;
	struct secrets *s = NULL;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/keylog.txt", tmpdir);
	unlink(path);
	CHECK_EQ(secrets_open(&s, path), 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "key log mode is 0%o",
	      sb.st_mode & 0777);

	CHECK_EQ(secrets_add(s, &a, line, sizeof(line)), 1);
	strcat(want, line);
	/* Each line is in the file as soon as secrets_add() returns. */
	CHECK_STR(read_file(path), want);
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 1);
	strcat(want, line);
	CHECK_EQ(secrets_add(s, &a, line, sizeof(line)), 0); /* not written again */
	bad.secret_len = 0;
	CHECK_EQ(secrets_add(s, &bad, line, sizeof(line)), -EINVAL); /* not written at all */
	CHECK_EQ(secrets_add(s, &c, line, sizeof(line)), 1);
	strcat(want, line);
	CHECK_STR(read_file(path), want);
	secrets_get_stats(s, &st);
	CHECK_EQ(st.keylog_errors, 0);
	CHECK_EQ(st.keylog_errno, 0);
	secrets_close(s);

	/* Another run appends; dedupe state is per run, so a known secret is written again. */
	CHECK_EQ(secrets_open(&s, path), 0);
	CHECK_EQ(secrets_add(s, &a, line, sizeof(line)), 1);
	strcat(want, line);
	secrets_close(s);
	CHECK_STR(read_file(path), want);
}

static void test_open_errors(void)
{
	struct secrets *s = (struct secrets *)1;
	char path[512];

	snprintf(path, sizeof(path), "%s/no-such-folder/keylog.txt", tmpdir);
	CHECK_EQ(secrets_open(&s, path), -ENOENT);
	CHECK(s == NULL, "secrets_open() leaves NULL behind on failure");
	CHECK_EQ(secrets_open(&s, tmpdir), -EISDIR);
	secrets_close(NULL);
}

/* A key log file that refuses writes is counted, and secrets still come out. */
static void test_keylog_error(void)
{
	struct tls_secret a = numbered_secret(1), b = numbered_secret(2);
	struct secrets_stats st;
	struct secrets *s = NULL;
	char line[SECRETS_LINE_MAX];

	if (access("/dev/full", W_OK))
		return;
	CHECK_EQ(secrets_open(&s, "/dev/full"), 0);
	CHECK_EQ(secrets_add(s, &a, line, sizeof(line)), 1);
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 1);
	CHECK_EQ(secrets_add(s, &b, line, sizeof(line)), 0);
	secrets_get_stats(s, &st);
	CHECK_EQ(st.keylog_errors, 2);
	CHECK_EQ(st.keylog_errno, ENOSPC);
	secrets_close(s);
}

int main(void)
{
	if (check_scratch_dir("secrets", tmpdir, sizeof(tmpdir)))
		return 1;
	test_line_text();
	test_longest_line();
	test_repeats();
	test_bounded();
	test_invalid();
	test_key_update_lines();
	test_keylog_file();
	test_open_errors();
	test_keylog_error();

	printf("secrets: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

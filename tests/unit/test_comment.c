// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ecap/1 process comment (docs/comment-format.md): the formatter
 * (extcap/comment.c) against exact strings, the plugin's parser
 * (wireshark-plugin/ecap-comment.c) against good and broken comments, and
 * the two together: whatever the formatter writes, the parser reads back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "comment.h"
#include "ecap-comment.h"

static char buf[COMMENT_MAX];
static struct ecap_comment parsed;

static struct process_info proc(uint32_t pid, const char *comm)
{
	struct process_info p = {.pid = pid};

	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	return p;
}

/* Formats @p and checks the exact result. */
#define CHECK_FORMAT(p, want)                                                                      \
	do {                                                                                       \
		int n_ = comment_format(&(p), buf, sizeof(buf));                                   \
		CHECK_STR(buf, want);                                                              \
		CHECK_EQ(n_, strlen(want));                                                        \
	} while (0)

static void test_format(void)
{
	struct process_info p = {
	    .pid = 1234,
	    .tid = 1235,
	    .uid = 1000,
	    .has_tid = true,
	    .has_uid = true,
	    .comm = "curl",
	    .exe = "/usr/bin/curl",
	    .cgroup = "/system.slice/docker-0123abcd.scope",
	    .container = "0123abcd",
	};

	CHECK_FORMAT(p, "ecap/1 pid=1234 tid=1235 uid=1000 comm=\"curl\" exe=\"/usr/bin/curl\" "
			"cgroup=\"/system.slice/docker-0123abcd.scope\" container=\"0123abcd\"");

	/* Unknown fields are left out; pid always stays. */
	p = proc(7, "");
	CHECK_FORMAT(p, "ecap/1 pid=7");
	p = proc(0, "swapper/0");
	p.uid = UINT32_MAX;
	p.has_uid = true;
	CHECK_FORMAT(p, "ecap/1 pid=0 uid=4294967295 comm=\"swapper/0\"");
	p = proc(42, "nginx");
	p.tid = 43;
	p.has_tid = true;
	snprintf(p.container, sizeof(p.container), "abc");
	CHECK_FORMAT(p, "ecap/1 pid=42 tid=43 comm=\"nginx\" container=\"abc\"");

	/* Quotes and backslashes. */
	p = proc(1, "a\"b\\c");
	snprintf(p.exe, sizeof(p.exe), "/tmp/\" x=\"1");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"a\\\"b\\\\c\" exe=\"/tmp/\\\" x=\\\"1\"");

	/* Control bytes, lowercase hex. */
	p = proc(1, "\t\n\r\x1b[31m\x7f");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"\\x09\\x0a\\x0d\\x1b[31m\\x7f\"");

	/* Bytes that are not UTF-8: stray, overlong, surrogate, above U+10FFFF, cut short. */
	p = proc(1, "\xff\xc3(");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"\\xff\\xc3(\"");
	p = proc(1, "\xc0\xaf\xe0\x80\xaf");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"\\xc0\\xaf\\xe0\\x80\\xaf\"");
	p = proc(1, "\xed\xa0\x80\xf4\x90\x80\x80");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80\"");
	p = proc(1, "ok\xe2\x82");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"ok\\xe2\\x82\"");

	/* Valid UTF-8 stays as it is. */
	p = proc(1, "caf\xc3\xa9");
	snprintf(p.exe, sizeof(p.exe), "/opt/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80 x=y");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"caf\xc3\xa9\" "
			"exe=\"/opt/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80 x=y\"");

	/* Invisible and reordering characters: C1 NEL, RLO, ZWSP, BOM. */
	p = proc(1, "a\xc2\x85"
		    "b\xe2\x80\xae");
	snprintf(p.exe, sizeof(p.exe), "\xe2\x80\x8b\xef\xbb\xbf");
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"a\\xc2\\x85b\\xe2\\x80\\xae\" "
			"exe=\"\\xe2\\x80\\x8b\\xef\\xbb\\xbf\"");

	/* A comm that fills its array, no NUL: all 16 bytes. */
	p = proc(1, "");
	memcpy(p.comm, "0123456789abcdef", 16);
	CHECK_FORMAT(p, "ecap/1 pid=1 comm=\"0123456789abcdef\"");
}

static void test_format_space(void)
{
	static struct process_info p;
	char small[64];
	int n;

	p = proc(1234, "curl");
	n = comment_format(&p, small, sizeof(small));
	CHECK_EQ(n, strlen("ecap/1 pid=1234 comm=\"curl\""));
	CHECK_EQ(comment_format(&p, small, n + 1), n);
	CHECK_STR(small, "ecap/1 pid=1234 comm=\"curl\"");
	CHECK_EQ(comment_format(&p, small, n), -ENOSPC);
	CHECK_STR(small, "");
	CHECK_EQ(comment_format(&p, small, 1), -ENOSPC);
	CHECK_EQ(comment_format(&p, small, 0), -ENOSPC);

	/* The worst case fills COMMENT_MAX exactly. */
	p.pid = p.tid = p.uid = UINT32_MAX;
	p.has_tid = p.has_uid = true;
	memset(p.comm, 0xff, sizeof(p.comm));
	memset(p.exe, 0xff, sizeof(p.exe));
	memset(p.cgroup, 0x01, sizeof(p.cgroup));
	memset(p.container, 0x80, sizeof(p.container));
	CHECK_EQ(comment_format(&p, buf, sizeof(buf)), COMMENT_MAX - 1);
	CHECK_EQ(comment_format(&p, buf, sizeof(buf) - 1), -ENOSPC);
	CHECK(COMMENT_MAX <= ECAP_COMMENT_LEN_MAX, "COMMENT_MAX %zu", (size_t)COMMENT_MAX);
}

static enum ecap_status parse(const char *s)
{
	return ecap_comment_parse(s, strlen(s), &parsed);
}

#define CHECK_PARSE(s, want) CHECK(parse(s) == (want), "parse(%s) != %s", s, #want)

/* Malformed at byte @offset, and nothing taken from it. */
#define CHECK_MALFORMED(s, offset)                                                                 \
	do {                                                                                       \
		CHECK_PARSE(s, ECAP_MALFORMED);                                                    \
		CHECK(parsed.error &&parsed.error_offset == (offset),                              \
		      "parse(%s): error \"%s\" at %zu, want at %d", s,                             \
		      parsed.error ? parsed.error : "(none)", parsed.error_offset, offset);        \
		CHECK_EQ(parsed.has, 0);                                                           \
	} while (0)

static void test_parse(void)
{
	CHECK_PARSE("ecap/1 pid=1234 tid=1235 uid=1000 comm=\"curl\" exe=\"/usr/bin/curl\" "
		    "cgroup=\"/a b\" container=\"0123\"",
		    ECAP_OK);
	CHECK_EQ(parsed.version, 1);
	CHECK_EQ(parsed.has, ECAP_HAS_PID | ECAP_HAS_TID | ECAP_HAS_UID | ECAP_HAS_COMM |
				 ECAP_HAS_EXE | ECAP_HAS_CGROUP | ECAP_HAS_CONTAINER);
	CHECK_EQ(parsed.pid, 1234);
	CHECK_EQ(parsed.tid, 1235);
	CHECK_EQ(parsed.uid, 1000);
	CHECK_STR(parsed.comm, "curl");
	CHECK_STR(parsed.exe, "/usr/bin/curl");
	CHECK_STR(parsed.cgroup, "/a b");
	CHECK_STR(parsed.container, "0123");

	CHECK_PARSE("ecap/1", ECAP_OK);
	CHECK_EQ(parsed.has, 0);
	CHECK_PARSE("ecap/1 pid=0 uid=4294967295", ECAP_OK);
	CHECK_EQ(parsed.uid, UINT32_MAX);

	/* Any order; unknown keys skipped, whatever their value. */
	CHECK_PARSE("ecap/1 comm=\"x\" ppid=1 future=\"a \\\" b\" zz_9=A-b.c:d/e= pid=5", ECAP_OK);
	CHECK_EQ(parsed.has, ECAP_HAS_PID | ECAP_HAS_COMM);
	CHECK_EQ(parsed.pid, 5);
	CHECK_STR(parsed.comm, "x");

	/* Escapes writers do not need, uppercase hex, raw characters writers escape. */
	CHECK_PARSE("ecap/1 comm=\"\\x41\\xFF\\x7f\\\\\\\"\xe2\x80\xae\"", ECAP_OK);
	CHECK_STR(parsed.comm, "A\xff\x7f\\\"\xe2\x80\xae");

	/* Not ours. */
	CHECK_PARSE("", ECAP_NOT_ECAP);
	CHECK_PARSE("ecap", ECAP_NOT_ECAP);
	CHECK_PARSE("Ecap/1 pid=1", ECAP_NOT_ECAP);
	CHECK_PARSE(" ecap/1 pid=1", ECAP_NOT_ECAP);
	CHECK_PARSE("ecap1 pid=1", ECAP_NOT_ECAP);
	CHECK_PARSE("a user's comment", ECAP_NOT_ECAP);

	/* Ours, a version we do not read: the rest is not looked at. */
	CHECK_PARSE("ecap/2 pid=1", ECAP_UNKNOWN_VERSION);
	CHECK_EQ(parsed.version, 2);
	CHECK_EQ(parsed.has, 0);
	CHECK_PARSE("ecap/0", ECAP_UNKNOWN_VERSION);
	CHECK_PARSE("ecap/10 {\"json\": \"maybe\"}", ECAP_UNKNOWN_VERSION);
	CHECK_EQ(parsed.version, 10);

	/* Broken: the version. */
	CHECK_MALFORMED("ecap/", 5);
	CHECK_MALFORMED("ecap/x", 5);
	CHECK_MALFORMED("ecap/01 pid=1", 5);
	CHECK_MALFORMED("ecap/1x pid=1", 6);
	CHECK_MALFORMED("ecap/99999999999", 5);

	/* Spaces. */
	CHECK_MALFORMED("ecap/1  pid=1", 7);
	CHECK_MALFORMED("ecap/1 pid=1 ", 13);
	CHECK_MALFORMED("ecap/1 pid=1\n", 12);
	CHECK_MALFORMED("ecap/1 pid=1\tuid=2", 12);

	/* Keys. */
	CHECK_MALFORMED("ecap/1 PID=1", 7);
	CHECK_MALFORMED("ecap/1 =1", 7);
	CHECK_MALFORMED("ecap/1 pid", 10);
	CHECK_MALFORMED("ecap/1 pid =1", 10);
	CHECK_MALFORMED("ecap/1 pid=1 uid=2 pid=1", 19);
	CHECK_MALFORMED("ecap/1 comm=\"a\" comm=\"a\"", 16);

	/* Numbers. */
	CHECK_MALFORMED("ecap/1 pid=", 11);
	CHECK_MALFORMED("ecap/1 pid=01", 11);
	CHECK_MALFORMED("ecap/1 pid=-1", 11);
	CHECK_MALFORMED("ecap/1 pid=4294967296", 11);
	CHECK_MALFORMED("ecap/1 pid=12a", 13);
	CHECK_MALFORMED("ecap/1 pid=\"1\"", 11);

	/* Strings. */
	CHECK_MALFORMED("ecap/1 comm=curl", 12);
	CHECK_MALFORMED("ecap/1 comm=\"curl", 12);
	CHECK_MALFORMED("ecap/1 comm=\"curl\\", 12);
	CHECK_MALFORMED("ecap/1 comm=\"curl\\\"", 12);
	CHECK_MALFORMED("ecap/1 comm=\"a\\n\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\\x4\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\\xg0\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\\x00\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\tb\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\x7f\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\xff\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"a\xc3\"", 14);
	CHECK_MALFORMED("ecap/1 comm=\"x\"y", 15);

	/* Unknown keys still follow the grammar. */
	CHECK_MALFORMED("ecap/1 future=", 14);
	CHECK_MALFORMED("ecap/1 future=a\\b", 15);
	CHECK_MALFORMED("ecap/1 future=\"a", 14);
	CHECK_MALFORMED("ecap/1 future=\"\\q\"", 15);

	/* A broken comment gives no field, even those before the error. */
	CHECK_MALFORMED("ecap/1 pid=1 comm=\"ok\" uid=x", 27);
}

static void test_parse_limits(void)
{
	static char s[ECAP_COMMENT_LEN_MAX + 2];
	size_t n;

	/* comm up to 64 bytes, exe up to 4096, container up to 128. */
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 comm=\"%064d\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_OK);
	CHECK_EQ(strlen(parsed.comm), 64);
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 comm=\"%065d\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_MALFORMED);
	CHECK_EQ(parsed.error_offset, 12);
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 comm=\"%060d\\xff\\xff\\xff\\xff\\xff\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_MALFORMED);
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 exe=\"%04096d\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_OK);
	CHECK_EQ(strlen(parsed.exe), 4096);
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 exe=\"%04097d\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_MALFORMED);
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 container=\"%0128d\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_OK);
	n = (size_t)snprintf(s, sizeof(s), "ecap/1 container=\"%0129d\"", 0);
	CHECK_EQ(ecap_comment_parse(s, n, &parsed), ECAP_MALFORMED);

	/* A whole comment of 65535 bytes is fine (an unknown key's long value), one more is not. */
	memset(s, 'v', sizeof(s));
	memcpy(s, "ecap/1 pid=3 future=", 20);
	CHECK_EQ(ecap_comment_parse(s, ECAP_COMMENT_LEN_MAX, &parsed), ECAP_OK);
	CHECK_EQ(parsed.pid, 3);
	CHECK_EQ(ecap_comment_parse(s, ECAP_COMMENT_LEN_MAX + 1, &parsed), ECAP_MALFORMED);
	CHECK_EQ(parsed.has, 0);

	/* len is the end, not a NUL: a bounded read of a longer buffer. */
	CHECK_EQ(ecap_comment_parse("ecap/1 pid=12 uid=3", 13, &parsed), ECAP_OK);
	CHECK_EQ(parsed.pid, 12);
	CHECK_EQ(parsed.has, ECAP_HAS_PID);
	CHECK_EQ(ecap_comment_parse("ecap/1 comm=\"ab\"", 15, &parsed), ECAP_MALFORMED);
}

/* format -> parse gives back what went in. */
static void round_trip(const struct process_info *p)
{
	unsigned int want = ECAP_HAS_PID;
	int n = comment_format(p, buf, sizeof(buf));
	enum ecap_status st;

	CHECK(n > 0, "format: %d", n);
	st = ecap_comment_parse(buf, (size_t)n, &parsed);
	CHECK(st == ECAP_OK, "parse(%s): %d, %s at %zu", buf, st, parsed.error ? parsed.error : "",
	      parsed.error_offset);
	if (st != ECAP_OK)
		return;
	CHECK_EQ(parsed.pid, p->pid);
	if (p->has_tid) {
		want |= ECAP_HAS_TID;
		CHECK_EQ(parsed.tid, p->tid);
	}
	if (p->has_uid) {
		want |= ECAP_HAS_UID;
		CHECK_EQ(parsed.uid, p->uid);
	}
#define SAME_STRING(f, bit)                                                                        \
	do {                                                                                       \
		size_t len_ = strnlen(p->f, sizeof(p->f));                                         \
		if (len_)                                                                          \
			want |= bit;                                                               \
		CHECK(strlen(parsed.f) == len_ && !memcmp(parsed.f, p->f, len_),                   \
		      "round trip of " #f " through %s", buf);                                     \
	} while (0)
	SAME_STRING(comm, ECAP_HAS_COMM);
	SAME_STRING(exe, ECAP_HAS_EXE);
	SAME_STRING(cgroup, ECAP_HAS_CGROUP);
	SAME_STRING(container, ECAP_HAS_CONTAINER);
#undef SAME_STRING
	CHECK_EQ(parsed.has, want);
}

/* A random string of bytes 1..255, UTF-8 pieces and quoting hazards mixed in. */
static void random_string(char *s, size_t size, unsigned int *seed)
{
	static const char *const pieces[] = {"\"",
					     "\\",
					     "\\x41",
					     " x=\"",
					     "\xc3\xa9",
					     "\xe2\x80\xae",
					     "\xf0\x9f\x98\x80",
					     "\xc2\x85",
					     "\xed\xa0\x80",
					     "\xef\xbb\xbf"};
	size_t len = (size_t)rand_r(seed) % size, n = 0;

	while (n < len) {
		if (rand_r(seed) % 3) {
			s[n++] = (char)(1 + rand_r(seed) % 255);
		} else {
			const char *piece = pieces[(size_t)rand_r(seed) % 10];
			size_t k = strlen(piece);

			if (n + k > len)
				break;
			memcpy(s + n, piece, k);
			n += k;
		}
	}
	if (n < size)
		s[n] = '\0';
}

static void test_round_trip(void)
{
	static struct process_info p;
	unsigned int seed = 1;
	int i;

	p = proc(1, "curl");
	round_trip(&p);
	memset(p.comm, 0xff, sizeof(p.comm));
	memset(p.exe, '"', sizeof(p.exe));
	memset(p.cgroup, '\\', sizeof(p.cgroup));
	memset(p.container, 0x1f, sizeof(p.container));
	p.has_tid = p.has_uid = true;
	round_trip(&p);

	for (i = 0; i < 2000; i++) {
		memset(&p, 0, sizeof(p));
		p.pid = (uint32_t)rand_r(&seed);
		p.tid = (uint32_t)rand_r(&seed);
		p.uid = (uint32_t)rand_r(&seed);
		p.has_tid = rand_r(&seed) & 1;
		p.has_uid = rand_r(&seed) & 1;
		random_string(p.comm, sizeof(p.comm), &seed);
		random_string(p.exe, i % 10 ? 256 : sizeof(p.exe), &seed);
		random_string(p.cgroup, i % 10 ? 256 : sizeof(p.cgroup), &seed);
		random_string(p.container, sizeof(p.container), &seed);
		round_trip(&p);
	}
}

int main(void)
{
	test_format();
	test_format_space();
	test_parse();
	test_parse_limits();
	test_round_trip();
	return check_summary("comment");
}

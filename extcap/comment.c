// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ecap/1 process comment (docs/comment-format.md). The parser lives with
 * the Wireshark plugin (wireshark-plugin/ecap-comment.c); tests/unit/test_comment.c
 * checks that the two agree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "comment.h"
#include "ecap-utf8.h"

_Static_assert(COMMENT_MAX <= 65535, "a pcapng option holds at most 65535 bytes");

struct out {
	char *buf;
	size_t size; /* of buf */
	size_t len;  /* written so far, without the NUL */
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_hex(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};

	put(o, e, sizeof(e));
}

/* Characters that would hide or rearrange what a reader sees. */
static bool invisible(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x061c ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x206f) || c == 0xfeff;
}

static void put_string(struct out *o, const char *key, const char *s, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, size), i = 0, len, j;
	uint32_t c;

	if (!n)
		return;
	put(o, " ", 1);
	put(o, key, strlen(key));
	put(o, "=\"", 2);
	while (i < n) {
		len = ecap_utf8_seq(p + i, n - i, &c);
		if (len == 0) {
			put_hex(o, p[i++]);
		} else if (invisible(c)) {
			for (j = 0; j < len; j++)
				put_hex(o, p[i++]);
		} else if (c == '\\' || c == '"') {
			put(o, "\\", 1);
			put(o, s + i++, 1);
		} else {
			put(o, s + i, len);
			i += len;
		}
	}
	put(o, "\"", 1);
}

static void put_number(struct out *o, const char *key, uint32_t v)
{
	char num[sizeof(" =4294967295") + 16];
	int n = snprintf(num, sizeof(num), " %s=%u", key, v);

	put(o, num, (size_t)n);
}

int comment_format(const struct process_info *p, char *buf, size_t size)
{
	struct out o = {.buf = buf, .size = size};

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	put(&o, "ecap/1", 6);
	put_number(&o, "pid", p->pid);
	if (p->has_tid)
		put_number(&o, "tid", p->tid);
	if (p->has_uid)
		put_number(&o, "uid", p->uid);
	put_string(&o, "comm", p->comm, sizeof(p->comm));
	put_string(&o, "exe", p->exe, sizeof(p->exe));
	put_string(&o, "cgroup", p->cgroup, sizeof(p->cgroup));
	put_string(&o, "container", p->container, sizeof(p->container));
	if (o.full) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)o.len;
}

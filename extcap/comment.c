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

/*
 * The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) at @s, holding at most @n bytes, and its
 * code point in @cp; 0 if there is none.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return len;
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
		len = utf8_seq(p + i, n - i, &c);
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

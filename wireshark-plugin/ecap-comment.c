// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ecap/1 comment parser: one pass, left to right, each step checking that
 * the bytes it needs are there. The grammar and the reasons for it are in
 * docs/comment-format.md.
 */
#include <stdbool.h>
#include <string.h>

#include "ecap-comment.h"
#include "ecap-utf8.h"

#define MAGIC "ecap/"

enum kind { NUM, STR };

struct key {
	const char *name;
	enum kind kind;
	unsigned int bit;
	size_t offset; /* of the value in struct ecap_comment */
	size_t size;   /* STR: of the buffer */
};

#define FIELD(n) offsetof(struct ecap_comment, n)
#define SIZE(n)	 sizeof(((struct ecap_comment *)0)->n)

static const struct key keys[] = {
    {"pid", NUM, ECAP_HAS_PID, FIELD(pid), 0},
    {"tid", NUM, ECAP_HAS_TID, FIELD(tid), 0},
    {"uid", NUM, ECAP_HAS_UID, FIELD(uid), 0},
    {"comm", STR, ECAP_HAS_COMM, FIELD(comm), SIZE(comm)},
    {"exe", STR, ECAP_HAS_EXE, FIELD(exe), SIZE(exe)},
    {"cgroup", STR, ECAP_HAS_CGROUP, FIELD(cgroup), SIZE(cgroup)},
    {"container", STR, ECAP_HAS_CONTAINER, FIELD(container), SIZE(container)},
};

struct parser {
	const unsigned char *s;
	size_t len;
	size_t pos;
	const char *error;
	size_t error_offset;
};

static bool fail(struct parser *ps, size_t offset, const char *why)
{
	ps->error = why;
	ps->error_offset = offset;
	return false;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* number = "0" / %x31-39 *DIGIT, at most 4294967295 */
static bool parse_number(struct parser *ps, uint32_t *value)
{
	size_t start = ps->pos;
	uint64_t v = 0;

	if (ps->pos >= ps->len || !is_digit(ps->s[ps->pos]))
		return fail(ps, ps->pos, "expected a decimal number");
	if (ps->s[ps->pos] == '0' && ps->pos + 1 < ps->len && is_digit(ps->s[ps->pos + 1]))
		return fail(ps, start, "number with a leading zero");
	while (ps->pos < ps->len && is_digit(ps->s[ps->pos])) {
		v = v * 10 + (ps->s[ps->pos] - '0');
		if (v > UINT32_MAX)
			return fail(ps, start, "number above 4294967295");
		ps->pos++;
	}
	*value = (uint32_t)v;
	return true;
}

/*
 * string = DQUOTE *(char / escape) DQUOTE, decoded into @dst (@size bytes,
 * NUL included), or only checked if @dst is NULL.
 */
static bool parse_string(struct parser *ps, char *dst, size_t size)
{
	size_t start = ps->pos, n = 0, k;
	unsigned char byte;
	int hi, lo;

	if (ps->pos >= ps->len || ps->s[ps->pos] != '"')
		return fail(ps, ps->pos, "expected a quoted string");
	ps->pos++;
	for (;;) {
		const unsigned char *p = ps->s + ps->pos;
		size_t left = ps->len - ps->pos;

		if (!left)
			return fail(ps, start, "unterminated string");
		if (p[0] == '"') {
			ps->pos++;
			break;
		}
		if (p[0] == '\\') {
			if (left < 2)
				return fail(ps, start, "unterminated string");
			if (p[1] == '\\' || p[1] == '"') {
				byte = p[1];
				k = 2;
			} else if (p[1] == 'x') {
				if (left < 4 || (hi = hex_value(p[2])) < 0 ||
				    (lo = hex_value(p[3])) < 0)
					return fail(ps, ps->pos, "\\x needs two hex digits");
				byte = (unsigned char)(hi << 4 | lo);
				if (!byte)
					return fail(ps, ps->pos, "\\x00 in a string");
				k = 4;
			} else {
				return fail(ps, ps->pos,
					    "unknown escape (only \\\\, \\\" and \\xHH)");
			}
			if (dst) {
				if (n + 1 >= size)
					return fail(ps, start, "string too long");
				dst[n] = (char)byte;
			}
			n++;
			ps->pos += k;
			continue;
		}
		if (p[0] < 0x20 || p[0] == 0x7f)
			return fail(ps, ps->pos, "control byte in a string (must be \\xHH)");
		k = ecap_utf8_seq(p, left, NULL);
		if (!k)
			return fail(ps, ps->pos, "invalid UTF-8 in a string (must be \\xHH)");
		if (dst) {
			if (n + k >= size)
				return fail(ps, start, "string too long");
			memcpy(dst + n, p, k);
		}
		n += k;
		ps->pos += k;
	}
	if (dst)
		dst[n] = '\0';
	return true;
}

/* token = 1*(%x21 / %x23-5B / %x5D-7E), the value of a key we do not know */
static bool parse_token(struct parser *ps)
{
	size_t start = ps->pos;
	unsigned char c;

	while (ps->pos < ps->len) {
		c = ps->s[ps->pos];
		if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
			break;
		ps->pos++;
	}
	if (ps->pos == start)
		return fail(ps, start, "expected a value");
	return true;
}

static const struct key *find_key(const unsigned char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].name) == n && !memcmp(keys[i].name, name, n))
			return &keys[i];
	}
	return NULL;
}

/* pair = key "=" value, at ps->pos */
static bool parse_pair(struct parser *ps, struct ecap_comment *c)
{
	size_t start = ps->pos;
	const struct key *k;
	unsigned char ch;

	while (ps->pos < ps->len) {
		ch = ps->s[ps->pos];
		if (!((ch >= 'a' && ch <= 'z') || (ps->pos > start && (is_digit(ch) || ch == '_'))))
			break;
		ps->pos++;
	}
	if (ps->pos == start)
		return fail(ps, start, "expected a key (a-z, then a-z, 0-9, _)");
	if (ps->pos >= ps->len || ps->s[ps->pos] != '=')
		return fail(ps, ps->pos, "expected = after the key");
	k = find_key(ps->s + start, ps->pos - start);
	ps->pos++;

	if (!k) {
		/* Forward compatibility: skip it, whatever its type. */
		if (ps->pos < ps->len && ps->s[ps->pos] == '"')
			return parse_string(ps, NULL, 0);
		return parse_token(ps);
	}
	if (c->has & k->bit)
		return fail(ps, start, "duplicate key");
	c->has |= k->bit;
	if (k->kind == NUM)
		return parse_number(ps, (uint32_t *)((char *)c + k->offset));
	return parse_string(ps, (char *)c + k->offset, k->size);
}

enum ecap_status ecap_comment_parse(const char *s, size_t len, struct ecap_comment *c)
{
	struct parser ps = {.s = (const unsigned char *)s, .len = len};

	memset(c, 0, sizeof(*c));
	if (len < strlen(MAGIC) || memcmp(s, MAGIC, strlen(MAGIC)))
		return ECAP_NOT_ECAP;
	if (len > ECAP_COMMENT_LEN_MAX) {
		fail(&ps, ECAP_COMMENT_LEN_MAX, "longer than 65535 bytes");
		goto malformed;
	}
	ps.pos = strlen(MAGIC);
	if (!parse_number(&ps, &c->version))
		goto malformed;
	if (ps.pos < len && ps.s[ps.pos] != ' ') {
		fail(&ps, ps.pos, "expected a space after the version");
		goto malformed;
	}
	if (c->version != 1)
		return ECAP_UNKNOWN_VERSION;

	while (ps.pos < len) {
		/* The version or the last value is followed by exactly one space. */
		if (ps.s[ps.pos] != ' ') {
			fail(&ps, ps.pos, "expected a space between pairs");
			goto malformed;
		}
		ps.pos++;
		if (!parse_pair(&ps, c))
			goto malformed;
	}
	return ECAP_OK;

malformed:
	/* Whole or not at all: drop what the pairs before the error set. */
	memset(c, 0, sizeof(*c));
	c->error = ps.error;
	c->error_offset = ps.error_offset;
	return ECAP_MALFORMED;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the plugin's ecap/1 comment parser
 * (wireshark-plugin/ecap-comment.c), built with ASan and UBSan
 * (tests/fuzz/CMakeLists.txt). Beyond "no crash, no out-of-bounds access",
 * it checks the parser's promises on every input, and that whatever it
 * accepts, the extcap's formatter (extcap/comment.c) writes in a form the
 * parser reads back to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "comment.h"
#include "ecap-comment.h"

#define ALL_FIELDS                                                                                 \
	(ECAP_HAS_PID | ECAP_HAS_TID | ECAP_HAS_UID | ECAP_HAS_COMM | ECAP_HAS_EXE |               \
	 ECAP_HAS_CGROUP | ECAP_HAS_CONTAINER)

static struct ecap_comment c, again;
static struct process_info p;
static char out[COMMENT_MAX];

static void check_string(const char *s, size_t size)
{
	if (strnlen(s, size) >= size)
		abort(); /* not NUL-terminated within its array */
}

/* Copies a parsed string into the formatter's array; false if it does not fit. */
static int copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n > size)
		return 0;
	memset(dst, 0, size);
	memcpy(dst, src, n);
	return 1;
}

/* The formatter leaves empty strings out: comm="" comes back without comm. */
static unsigned int expected_has(void)
{
	unsigned int has = c.has;

	if (!c.comm[0])
		has &= ~ECAP_HAS_COMM;
	if (!c.exe[0])
		has &= ~ECAP_HAS_EXE;
	if (!c.cgroup[0])
		has &= ~ECAP_HAS_CGROUP;
	if (!c.container[0])
		has &= ~ECAP_HAS_CONTAINER;
	return has;
}

static void round_trip(void)
{
	int n;

	memset(&p, 0, sizeof(p));
	if (!(c.has & ECAP_HAS_PID))
		return; /* the formatter always writes pid */
	p.pid = c.pid;
	p.tid = c.tid;
	p.uid = c.uid;
	p.has_tid = !!(c.has & ECAP_HAS_TID);
	p.has_uid = !!(c.has & ECAP_HAS_UID);
	if (!copy(p.comm, sizeof(p.comm), c.comm) || !copy(p.exe, sizeof(p.exe), c.exe) ||
	    !copy(p.cgroup, sizeof(p.cgroup), c.cgroup) ||
	    !copy(p.container, sizeof(p.container), c.container))
		return;
	n = comment_format(&p, out, sizeof(out));
	if (n < 0 || ecap_comment_parse(out, (size_t)n, &again) != ECAP_OK)
		abort();
	if (again.has != expected_has() || again.pid != c.pid ||
	    (p.has_tid && again.tid != c.tid) || (p.has_uid && again.uid != c.uid) ||
	    strcmp(again.comm, c.comm) || strcmp(again.exe, c.exe) ||
	    strcmp(again.cgroup, c.cgroup) || strcmp(again.container, c.container))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	switch (ecap_comment_parse((const char *)data, size, &c)) {
	case ECAP_OK:
		if (c.version != 1 || (c.has & ~ALL_FIELDS) || c.error)
			abort();
		check_string(c.comm, sizeof(c.comm));
		check_string(c.exe, sizeof(c.exe));
		check_string(c.cgroup, sizeof(c.cgroup));
		check_string(c.container, sizeof(c.container));
		round_trip();
		break;
	case ECAP_NOT_ECAP:
		if (size >= 5 && !memcmp(data, "ecap/", 5))
			abort();
		break;
	case ECAP_UNKNOWN_VERSION:
		if (c.version == 1 || c.has)
			abort();
		break;
	case ECAP_MALFORMED:
		if (!c.error || c.error_offset > size || c.has)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}

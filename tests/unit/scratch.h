/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The unit tests' scratch folders, for those that write files. nftw() wants
 * _GNU_SOURCE (or _XOPEN_SOURCE) before the first system header.
 */
#ifndef ECAP_TEST_SCRATCH_H
#define ECAP_TEST_SCRATCH_H

#include <ftw.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

static char scratch_made[4096]; /* a folder of our own, for remove_scratch() */

static inline int remove_entry(const char *path, const struct stat *st, int flag,
			       struct FTW *ftw)
{
	remove(path);
	return 0;
}

static inline void remove_scratch(void)
{
	nftw(scratch_made, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A scratch folder for test @name: $ECAP_TEST_TMP/@name when ctest sets it
 * (kept for a look afterwards), else a new /tmp/ecap-test-@name.XXXXXX,
 * removed at exit. Returns 0, or -1 after saying why on stderr.
 */
static inline int check_scratch_dir(const char *name, char *dir, size_t size)
{
	const char *base = getenv("ECAP_TEST_TMP");

	if (base && *base) {
		snprintf(dir, size, "%s/%s", base, name);
		if (!g_mkdir_with_parents(dir, 0755))
			return 0;
	} else {
		snprintf(dir, size, "/tmp/ecap-test-%s.XXXXXX", name);
		if (mkdtemp(dir)) {
			snprintf(scratch_made, sizeof(scratch_made), "%s", dir);
			atexit(remove_scratch);
			return 0;
		}
	}
	fprintf(stderr, "test_%s: cannot make a scratch folder %s\n", name, dir);
	return -1;
}

#endif

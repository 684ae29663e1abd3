// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_parse.h"
#include "tls_libs.h"

static bool has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/*
 * A path we can open for the file of @map: its path names it in the
 * process's root (a container's mount namespace) or, for a process chrooted
 * within our root, in ours. The inode tells which.
 */
static bool mapped_file(int pid, const struct proc_map *map, char *path, size_t size)
{
	struct stat st;

	snprintf(path, size, "/proc/%d/root%s", pid, map->path);
	if (!stat(path, &st) && st.st_ino == map->inode)
		return true;
	snprintf(path, size, "%s", map->path);
	return !stat(path, &st) && st.st_ino == map->inode;
}

static void add_mapping(struct tls_libs *libs, int pid, const struct proc_map *map)
{
	const char *name = strrchr(map->path, '/');
	char path[PATH_MAX], *dst = NULL;
	bool ssl;

	name = name ? name + 1 : map->path;
	ssl = has_prefix(name, "libssl.so");
	if (has_prefix(name, "libcrypto.so"))
		dst = libs->crypto;
	else if (has_prefix(name, "ld-linux") || has_prefix(name, "ld-musl"))
		dst = libs->loader;
	else if (has_prefix(name, "libc.so"))
		dst = libs->libc;
	if ((!ssl && !dst) || !mapped_file(pid, map, path, sizeof(path)))
		return;
	if (dst) {
		snprintf(dst, PATH_MAX, "%s", path);
		return;
	}
	for (guint i = 0; i < libs->libssl->len; i++) {
		if (!strcmp(g_ptr_array_index(libs->libssl, i), path))
			return;
	}
	g_ptr_array_add(libs->libssl, g_strdup(path));
}

int tls_libs_read(int pid, struct tls_libs *libs)
{
	char path[64], *line = NULL;
	size_t size = 0;
	FILE *maps;

	*libs = (struct tls_libs){ .libssl = g_ptr_array_new_with_free_func(g_free) };
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return -errno;
	/* Whole lines: past PATH_MAX, a piece of a path must not pass for a mapping. */
	while (getline(&line, &size, maps) > 0) {
		struct proc_map map;

		/* Only file mappings; a replaced file shows " (deleted)" and is not opened. */
		if (proc_parse_maps(line, &map) || map.path[0] != '/' || map.deleted)
			continue;
		add_mapping(libs, pid, &map);
	}
	free(line);
	fclose(maps);
	return 0;
}

void tls_libs_free(struct tls_libs *libs)
{
	if (libs->libssl)
		g_ptr_array_free(libs->libssl, TRUE);
	libs->libssl = NULL;
}

/* glibc's libc.so, or musl's, which is its own loader. */
bool tls_libs_loadable(const struct tls_libs *libs)
{
	return libs->crypto[0] && (libs->libc[0] || strstr(libs->loader, "/ld-musl"));
}

bool tls_libs_other_root(int pid, const struct tls_libs *libs)
{
	struct stat theirs, ours;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	if (stat(path, &theirs) || stat("/", &ours))
		return false;
	if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
		return false;
	return libs->libc[0] && strstr(libs->loader, "/ld-linux");
}

int tls_libs_open(const char *path)
{
	return path && path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
}

/* The folder @path is in, open as a path only; -1 if none. */
static int open_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash)
		return -1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

void tls_libs_close_root(struct tls_probe_root *root)
{
	const int fds[] = { root->loader_fd, root->libc_dir_fd, root->ssl_dir_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

int tls_libs_open_root(const struct tls_libs *libs, const char *ssl_path,
		       struct tls_probe_root *root)
{
	root->loader_fd = tls_libs_open(libs->loader);
	root->libc_dir_fd = open_dir_of(libs->libc);
	root->ssl_dir_fd = open_dir_of(ssl_path);
	if (root->loader_fd >= 0 && root->libc_dir_fd >= 0 && root->ssl_dir_fd >= 0)
		return 0;
	tls_libs_close_root(root);
	return -1;
}

const char *tls_libs_sibling_crypto(const char *ssl_path, char *buf, size_t size)
{
	const char *name = strrchr(ssl_path, '/');
	int dir_len = name ? (int)(name - ssl_path + 1) : 0;

	name = name ? name + 1 : ssl_path;
	if (!has_prefix(name, "libssl"))
		return NULL;
	snprintf(buf, size, "%.*slibcrypto%s", dir_len, ssl_path, name + strlen("libssl"));
	return access(buf, R_OK) ? NULL : buf;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The /proc line parsers (loader/proc_parse.c) against lines copied from a
 * Debian 12 machine's /proc, and against the lines they must refuse.
 */
#include "check.h"
#include "proc_parse.h"

static void test_socket_link(void)
{
	uint64_t ino;

	CHECK_EQ(proc_parse_socket_link("socket:[10545295]", &ino), 0);
	CHECK_U64(ino, 10545295);
	CHECK_EQ(proc_parse_socket_link("socket:[18446744073709551615]", &ino), 0);
	CHECK_U64(ino, UINT64_MAX);
	CHECK_EQ(proc_parse_socket_link("socket:[18446744073709551616]", &ino), -1);
	CHECK_EQ(proc_parse_socket_link("socket:[]", &ino), -1);
	CHECK_EQ(proc_parse_socket_link("socket:[12", &ino), -1);
	CHECK_EQ(proc_parse_socket_link("pipe:[10545295]", &ino), -1);
	CHECK_EQ(proc_parse_socket_link("/dev/null", &ino), -1);
}

static void test_cgroup2(void)
{
	char path[64];

	CHECK_EQ(proc_parse_cgroup2("0::/user.slice/user-1000.slice/session-2.scope\n", path,
				    sizeof(path)),
		 0);
	CHECK_STR(path, "/user.slice/user-1000.slice/session-2.scope");
	CHECK_EQ(proc_parse_cgroup2("0::/", path, sizeof(path)), 0);
	CHECK_STR(path, "/");
	/* cgroup v1 hierarchies of a hybrid setup */
	CHECK_EQ(proc_parse_cgroup2("4:memory:/process_api/679e05e3691abee50d4d2a6b1340c6e5\n",
				    path, sizeof(path)),
		 -1);
	CHECK_EQ(proc_parse_cgroup2("9:name=systemd:/\n", path, sizeof(path)), -1);
	CHECK_EQ(proc_parse_cgroup2("0::\n", path, sizeof(path)), -1);
	/* too long for the caller's buffer: refused, not cut */
	CHECK_EQ(proc_parse_cgroup2("0::/0123456789", path, 8), -1);
	CHECK_EQ(proc_parse_cgroup2("0::/0123456", path, 8), -1);
	CHECK_EQ(proc_parse_cgroup2("0::/012345", path, 8), 0);
	CHECK_STR(path, "/012345");
}

static void test_maps(void)
{
	char line[256];
	struct proc_map m;

	snprintf(line, sizeof(line), "%s",
		 "561727131000-561727137000 r-xp 00002000 fe:00 247498                     "
		 "/usr/bin/head\n");
	CHECK_EQ(proc_parse_maps(line, &m), 0);
	CHECK_U64(m.start, 0x561727131000);
	CHECK_U64(m.end, 0x561727137000);
	CHECK_U64(m.offset, 0x2000);
	CHECK_STR(m.path, "/usr/bin/head");
	CHECK(!m.deleted, "not deleted");

	snprintf(line, sizeof(line), "%s",
		 "557159f48000-557159f8a000 rw-p 00000000 00:00 0                          "
		 "[heap]\n");
	CHECK_EQ(proc_parse_maps(line, &m), 0);
	CHECK_STR(m.path, "[heap]");

	/* anonymous: no path at all */
	snprintf(line, sizeof(line), "%s", "7f93e5ff5000-7f93e5ff9000 rw-p 00000000 00:00 0 \n");
	CHECK_EQ(proc_parse_maps(line, &m), 0);
	CHECK_STR(m.path, "");

	snprintf(line, sizeof(line), "%s",
		 "7f0c1a200000-7f0c1a28e000 r-xp 00000000 fe:00 262455                     "
		 "/usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)\n");
	CHECK_EQ(proc_parse_maps(line, &m), 0);
	CHECK_STR(m.path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
	CHECK_U64(m.inode, 262455);
	CHECK(m.deleted, "deleted");

	/* blanks inside a path are the path's */
	snprintf(line, sizeof(line), "%s",
		 "7f0c1a200000-7f0c1a28e000 r--p 00000000 fe:00 262455 /opt/my app/libssl.so.3\n");
	CHECK_EQ(proc_parse_maps(line, &m), 0);
	CHECK_STR(m.path, "/opt/my app/libssl.so.3");

	/* the piece of a long line that fgets() would hand over next */
	snprintf(line, sizeof(line), "%s", "ib/x86_64-linux-gnu/libssl.so.3\n");
	CHECK_EQ(proc_parse_maps(line, &m), -1);
	snprintf(line, sizeof(line), "%s", "7f0c1a200000-7f0c1a28e000 r-xp\n");
	CHECK_EQ(proc_parse_maps(line, &m), -1);
	snprintf(line, sizeof(line), "%s", "7f0c1a28e000-7f0c1a200000 r-xp 0 fe:00 1 /x\n");
	CHECK_EQ(proc_parse_maps(line, &m), -1);
	snprintf(line, sizeof(line), "%s", "10000000000000000-10000000000000001 r-xp 0 fe:00 1 /x\n");
	CHECK_EQ(proc_parse_maps(line, &m), -1);
	snprintf(line, sizeof(line), "%s", "7f0c1a200000-7f0c1a28e000 r-xp 0 fe:00 12x /x\n");
	CHECK_EQ(proc_parse_maps(line, &m), -1);
}

static void test_mount(void)
{
	char line[256];
	struct proc_mount m;

	snprintf(line, sizeof(line), "%s", "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n");
	CHECK_EQ(proc_parse_mount(line, &m), 0);
	CHECK_STR(m.source, "cgroup2");
	CHECK_STR(m.dir, "/sys/fs/cgroup/unified");
	CHECK_STR(m.type, "cgroup2");

	snprintf(line, sizeof(line), "%s",
		 "devtmpfs /dev devtmpfs rw,relatime,size=12334524k,nr_inodes=3083631,mode=755 0 0");
	CHECK_EQ(proc_parse_mount(line, &m), 0);
	CHECK_STR(m.dir, "/dev");
	CHECK_STR(m.type, "devtmpfs");

	/* the kernel's escapes of blank, tab, newline and backslash */
	snprintf(line, sizeof(line), "%s",
		 "none /mnt/a\\040b\\011c\\012d\\134e cgroup2 rw 0 0\n");
	CHECK_EQ(proc_parse_mount(line, &m), 0);
	CHECK_STR(m.dir, "/mnt/a b\tc\nd\\e");
	/* not escapes: kept as they are */
	snprintf(line, sizeof(line), "%s", "none /mnt/\\000\\9\\ x 0 0");
	CHECK_EQ(proc_parse_mount(line, &m), 0);
	CHECK_STR(m.dir, "/mnt/\\000\\9\\");

	snprintf(line, sizeof(line), "%s", "none /mnt\n");
	CHECK_EQ(proc_parse_mount(line, &m), -1);
	snprintf(line, sizeof(line), "%s", "");
	CHECK_EQ(proc_parse_mount(line, &m), -1);
}

int main(void)
{
	test_socket_link();
	test_cgroup2();
	test_maps();
	test_mount();
	return check_summary("proc_parse");
}

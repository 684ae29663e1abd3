// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The /proc line parsers (loader/proc_parse.c) against lines copied from a
 * Debian 12 machine's /proc, and against the lines they must refuse.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include "check.h"
#include "proc_parse.h"

static void test_net_sock_ipv4(void)
{
	struct proc_net_sock s;
	uint8_t loopback[16] = { 127, 0, 0, 1 };

	CHECK_EQ(proc_parse_net_sock("   3: 0100007F:98E0 0100007F:A083 01 00000000:00000000 "
				     "00:00000000 00000000  1000        0 10545295 2 "
				     "00000000ef2a68a9 20 0 0 10 -1                  \n",
				     AF_INET, &s),
		 0);
	CHECK(!memcmp(s.laddr, loopback, 16), "127.0.0.1 local");
	CHECK(!memcmp(s.raddr, loopback, 16), "127.0.0.1 remote");
	CHECK_EQ(s.lport, 0x98e0);
	CHECK_EQ(s.rport, 0xa083);
	CHECK_EQ(s.uid, 1000);
	CHECK_U64(s.ino, 10545295);

	/* A udp line, with its wider slot number and trailing fields */
	CHECK_EQ(proc_parse_net_sock(" 8440: 0100007F:E190 00000000:0000 07 00000000:00000000 "
				     "00:00000000 00000000     0        0 10545292 2 "
				     "0000000002a4aeaf 0      ",
				     AF_INET, &s),
		 0);
	CHECK_EQ(s.lport, 0xe190);
	CHECK_EQ(s.rport, 0);
	CHECK_U64(s.ino, 10545292);

	/* A pending connection: no inode */
	CHECK_EQ(proc_parse_net_sock("   2: 0100007F:A083 0100007F:98E0 01 00000000:00000000 "
				     "00:00000000 00000000     0        0 0 1 00000000ce502c95 "
				     "20 0 0 10 -1",
				     AF_INET, &s),
		 0);
	CHECK_U64(s.ino, 0);
}

static void test_net_sock_ipv6(void)
{
	struct proc_net_sock s;
	struct in6_addr want;

	CHECK_EQ(proc_parse_net_sock("   1: 00000000000000000000000001000000:B7A5 "
				     "00000000000000000000000001000000:9AA2 01 "
				     "00000000:00000000 00:00000000 00000000     0        0 0 1 "
				     "000000008423b39b 20 0 0 10 -1\n",
				     AF_INET6, &s),
		 0);
	inet_pton(AF_INET6, "::1", &want);
	CHECK(!memcmp(s.laddr, &want, 16), "::1 local");
	CHECK(!memcmp(s.raddr, &want, 16), "::1 remote");
	CHECK_EQ(s.lport, 0xb7a5);
	CHECK_EQ(s.rport, 0x9aa2);

	CHECK_EQ(proc_parse_net_sock(" 9196: 0000000000000000FFFF00000100007F:E484 "
				     "00000000000000000000000000000000:0000 07 "
				     "00000000:00000000 00:00000000 00000000     0        0 "
				     "10545293 2 00000000702fe501 0",
				     AF_INET6, &s),
		 0);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &want);
	CHECK(!memcmp(s.laddr, &want, 16), "::ffff:127.0.0.1 local");
	CHECK_U64(s.ino, 10545293);
}

static void test_net_sock_refused(void)
{
	static const char *const bad4[] = {
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
		" timeout inode",
		"",
		/* an IPv6 address in an IPv4 table */
		"   0: 00000000000000000000000001000000:B7A5 00000000000000000000000000000000:0000 "
		"0A 00000000:00000001 00:00000000 00000000     0        0 1 2",
		/* a port past 16 bits */
		"   0: 0100007F:1A083 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
		/* a short address */
		"   0: 100007F:A083 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
		/* cut before the inode (a line read in pieces) */
		"   0: 0100007F:A083 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0",
		/* a uid past 32 bits */
		"   0: 0100007F:A083 00000000:0000 0A 00000000:00000000 00:00000000 00000000 "
		"4294967296 0 1",
		/* a negative inode */
		"   0: 0100007F:A083 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 -1",
	};
	struct proc_net_sock s;

	for (size_t i = 0; i < G_N_ELEMENTS(bad4); i++)
		CHECK(proc_parse_net_sock(bad4[i], AF_INET, &s) == -1, "refuses [%s]", bad4[i]);
	/* an IPv4 address in an IPv6 table */
	CHECK_EQ(proc_parse_net_sock("   0: 0100007F:A083 00000000:0000 0A 00000000:00000000 "
				     "00:00000000 00000000 0 0 1",
				     AF_INET6, &s),
		 -1);
}

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
	test_net_sock_ipv4();
	test_net_sock_ipv6();
	test_net_sock_refused();
	test_socket_link();
	test_cgroup2();
	test_maps();
	test_mount();
	return check_summary("proc_parse");
}

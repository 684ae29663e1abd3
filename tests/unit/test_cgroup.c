// SPDX-License-Identifier: GPL-2.0-or-later
/* The container a cgroup's path names, as the packets' comments show it. */
#include "check.h"
#include "cgroup.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_SHORT "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"

static void check_id(const char *path, const char *want)
{
	char id[CGROUP_CONTAINER_ID_SIZE] = "untouched";
	const char *got = cgroup_container_id(path, id);

	if (!want) {
		CHECK(!got, "no container in '%s', got '%s'", path ? path : "(null)", got);
		return;
	}
	CHECK(got == id, "a container in '%s'", path);
	CHECK_STR(id, want);
}

static void test_runtimes(void)
{
	check_id("/system.slice/docker-" ID ".scope", ID);
	check_id("/docker/" ID, ID);
	check_id("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a"
		 "_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-" ID ".scope",
		 ID);
	check_id("/machine.slice/libpod-" ID ".scope/container", ID);
	check_id(ID, ID);
}

static void test_not_ids(void)
{
	check_id("/user.slice/user-1000.slice/session-2.scope", NULL);
	check_id("/", NULL);
	check_id("", NULL);
	check_id(NULL, NULL);
	/* One digit short, one too many, or part of a longer hex run in either case. */
	check_id("/docker/" ID_SHORT ".scope", NULL);
	check_id("/docker/" ID "0", NULL);
	check_id("/docker/A" ID, NULL);
	check_id("/docker/" ID "F", NULL);
	check_id("/docker/" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", NULL);
}

static void test_first_wins(void)
{
	check_id("/docker/" ID "/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		 ID);
}

int main(void)
{
	test_runtimes();
	test_not_ids();
	test_first_wins();
	return check_summary("cgroup");
}

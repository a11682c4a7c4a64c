/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the hypervisor probe (daemon/xenprobe.c): "no Xen" only
 * when no privcmd node exists; a node that cannot be looked at is
 * reported with its path and error, not as a missing hypervisor (a unit
 * whose device cgroup closes privcmd used to be told "no Xen").
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "xenprobe.h"

static char dir[] = "/tmp/ptswitch-xenprobe-XXXXXX";
static char node[PATH_MAX], gone[PATH_MAX], loop[PATH_MAX];

static int setup(void **state)
{
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(node, sizeof(node), "%s/privcmd", dir);
	snprintf(gone, sizeof(gone), "%s/absent/privcmd", dir);
	/* A symlink loop: access() fails with ELOOP, which is not ENOENT
	 * and needs no privilege to provoke (a device cgroup's EPERM does). */
	snprintf(loop, sizeof(loop), "%s/loop", dir);
	f = fopen(node, "w");
	if (!f)
		return -1;
	fclose(f);
	return symlink(loop, loop);
}

static int teardown(void **state)
{
	(void)state;
	unlink(node);
	unlink(loop);
	return rmdir(dir);
}

static void test_present(void **state)
{
	const char *const paths[] = {gone, node, NULL};
	char why[128];

	(void)state;
	assert_int_equal(xenprobe_privcmd(paths, why, sizeof(why)), 0);
}

static void test_absent(void **state)
{
	const char *const paths[] = {gone, gone, NULL};
	char why[128];

	(void)state;
	assert_int_equal(xenprobe_privcmd(paths, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no privcmd device");
}

static void test_denied_is_not_absent(void **state)
{
	const char *const paths[] = {loop, gone, NULL};
	char why[PATH_MAX + 64], want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(xenprobe_privcmd(paths, why, sizeof(why)), -ELOOP);
	snprintf(want, sizeof(want), "%s: %s", loop, strerror(ELOOP));
	assert_string_equal(why, want);
}

/* A refused newer node does not hide an older one that works. */
static void test_denied_then_present(void **state)
{
	const char *const paths[] = {loop, node, NULL};
	char why[128];

	(void)state;
	assert_int_equal(xenprobe_privcmd(paths, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_present),
	    cmocka_unit_test(test_absent),
	    cmocka_unit_test(test_denied_is_not_absent),
	    cmocka_unit_test(test_denied_then_present),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

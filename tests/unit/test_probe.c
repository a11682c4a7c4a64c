/* SPDX-License-Identifier: MIT */
/* Unit tests of the capability probe on recorded and synthetic roots. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"
#include "proto.h"
#include "sysfile.h"
#include "guest_fixtures.h"

static void probe_fixture(const char *name, struct probe_result *r)
{
	probe_run(guest_fixture(name), r);
}

/*
 * A stock Debian 6.1 kernel, recorded running as a Xen PV domU and as
 * dom0 (also a PV domain).
 */
static void test_debian_stock(void **state)
{
	static const char *const captures[] = {"debian-6.1-pv-domu",
					       "debian-6.1-pv-dom0"};
	struct probe_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		probe_fixture(captures[i], &r);
		assert_string_equal(r.hv_type, "xen");
		assert_string_equal(r.guest_type, "PV");
		assert_true(r.notes_read && r.notes_ok);
		assert_string_equal(r.notes.guest_os, "linux");
		assert_false(r.notes.ptswitch);
		assert_int_equal(r.vm_assist, -1);
		assert_false(r.batch_ok);
		assert_string_equal(r.reason, "kernel-lacks-ptswitch-note");
		assert_int_equal(r.caps, 0);
	}
}

static void test_capable(void **state)
{
	struct probe_result r;

	(void)state;
	probe_fixture("synthetic-capable", &r);
	assert_true(r.batch_ok);
	assert_null(r.reason);
	assert_int_equal(r.vm_assist, 1);
	assert_int_equal(r.runtime, PROBE_RUNTIME_READ);
	assert_int_equal(r.runtime_caps, PROTO_CAPS_BATCH);
	assert_int_equal(r.caps, PROTO_CAPS_BATCH);
}

/* A kernel from before sysfs caps: the note and vm_assist decide. */
static void test_capable_without_runtime_caps(void **state)
{
	struct probe_result r;

	(void)state;
	probe_fixture("synthetic-capable-no-runtime", &r);
	assert_true(r.batch_ok);
	assert_int_equal(r.runtime, PROBE_RUNTIME_ABSENT);
	assert_int_equal(r.caps, PROTO_CAPS_BATCH);
}

static void test_incapable(void **state)
{
	static const struct {
		const char *fixture;
		const char *reason;
		unsigned int caps;
	} cases[] = {
	    {"synthetic-incapable", "kernel-lacks-ptswitch-note", 0},
	    {"synthetic-assist-off", "vm-assist-off", 0},
	    {"synthetic-partial-caps", "kernel-caps-incomplete",
	     PROTO_CAP_MISSING_PDE},
	    {"synthetic-hvm", "not-pv-guest", 0},
	    /* The note says all three; the kernel has only these on. */
	    {"synthetic-flush-off", "kernel-caps-off",
	     PROTO_CAP_MISSING_PDE | PROTO_CAP_SPURIOUS_FAULT},
	    {"synthetic-runtime-malformed", "kernel-caps-malformed", 0},
	};
	struct probe_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		probe_fixture(cases[i].fixture, &r);
		assert_false(r.batch_ok);
		assert_string_equal(r.reason, cases[i].reason);
		assert_int_equal(r.caps, cases[i].caps);
	}
}

/* Roots built on the fly: missing files and damaged notes. */
static char tmproot[256];

static void put_file(const char *rel, const void *data, size_t len)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmproot, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = dir + strlen(tmproot) + 1; (slash = strchr(slash, '/'));
	     slash++) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int make_root(void **state)
{
	(void)state;
	snprintf(tmproot, sizeof(tmproot), "%s/ptswitch-probe-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmproot) ? 0 : -1;
}

static int remove_root(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmproot);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_damaged(void **state)
{
	static const unsigned char bad_notes[] = {
	    4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 'X', 'e', 'n', 0};
	unsigned char big[PROBE_NOTES_MAX + 1];
	struct probe_result r;

	(void)state;
	/* Nothing at all: not Xen. */
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "not-xen");
	put_file("sys/hypervisor/type", "kvm\n", 4);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "not-xen");
	put_file("sys/hypervisor/type", "xen\n", 4);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "not-pv-guest");
	/* A second line is not a guest type. */
	put_file("sys/hypervisor/guest_type", "PV\nPV\n", 6);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "not-pv-guest");
	put_file("sys/hypervisor/guest_type", "PV\n", 3);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-notes-unreadable");
	put_file("sys/kernel/notes", bad_notes, sizeof(bad_notes));
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-notes-malformed");
	/* Oversized notes are refused rather than half read. */
	memset(big, 0, sizeof(big));
	put_file("sys/kernel/notes", big, sizeof(big));
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-notes-unreadable");
	put_file("sys/kernel/notes", "", 0);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-lacks-ptswitch-note");
	/* A vm_assist file alone proves nothing. */
	put_file("sys/hypervisor/ptswitch/vm_assist", "1\n", 2);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-lacks-ptswitch-note");
	assert_int_equal(r.caps, 0);
}

/* Copy a fixture's file into the on-the-fly root. */
static void put_fixture_file(const char *fixture, const char *rel)
{
	unsigned char buf[PROBE_NOTES_MAX];
	size_t len;

	assert_int_equal(
	    sysfile_read(guest_fixture(fixture), rel, buf, sizeof(buf), &len),
	    0);
	put_file(rel, buf, len);
}

/*
 * The runtime list only narrows the note: it cannot add a token the note
 * lacks, and one that cannot be read whole counts as nothing in force.
 */
static void test_runtime_caps_narrow_only(void **state)
{
	char big[PROBE_RUNTIME_CAPS_MAX + 8], path[512];
	struct probe_result r;

	(void)state;
	put_file("sys/hypervisor/type", "xen\n", 4);
	put_file("sys/hypervisor/guest_type", "PV\n", 3);
	put_file("sys/hypervisor/ptswitch/vm_assist", "1\n", 2);
	put_fixture_file("synthetic-partial-caps", "sys/kernel/notes");
	put_file("sys/hypervisor/ptswitch/caps",
		 "missing-pde spurious-fault lazy-flush\n", 38);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-incomplete");
	assert_int_equal(r.caps, PROTO_CAP_MISSING_PDE);

	put_fixture_file("synthetic-capable", "sys/kernel/notes");
	probe_run(tmproot, &r);
	assert_true(r.batch_ok);
	assert_int_equal(r.caps, PROTO_CAPS_BATCH);
	/* Unknown tokens are ignored, as in the note. */
	put_file("sys/hypervisor/ptswitch/caps", "lazy-flush future\n", 18);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-off");
	assert_int_equal(r.caps, PROTO_CAP_LAZY_FLUSH);
	/* Empty: nothing in force. */
	put_file("sys/hypervisor/ptswitch/caps", "\n", 1);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-off");
	assert_int_equal(r.caps, 0);
	/* Too long to be a kernel's, or two lines: not believed. */
	memset(big, 'a', sizeof(big));
	put_file("sys/hypervisor/ptswitch/caps", big, sizeof(big));
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-malformed");
	assert_int_equal(r.caps, 0);
	put_file("sys/hypervisor/ptswitch/caps",
		 "missing-pde spurious-fault\nlazy-flush\n", 38);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-malformed");
	assert_int_equal(r.caps, 0);
	/* Not a regular file: not a line of tokens. */
	snprintf(path, sizeof(path), "%s/sys/hypervisor/ptswitch/caps",
		 tmproot);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-malformed");
	assert_int_equal(r.caps, 0);
	/* There, but it cannot be opened (a link to itself): not believed. */
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(symlink("caps", path), 0);
	probe_run(tmproot, &r);
	assert_string_equal(r.reason, "kernel-caps-unreadable");
	assert_int_equal(r.caps, 0);
}

static void test_sysfile(void **state)
{
	char buf[8];
	size_t len;

	(void)state;
	put_file("f", "hello\n", 6);
	assert_int_equal(sysfile_read(tmproot, "f", buf, 6, &len), 0);
	assert_int_equal(len, 6);
	assert_int_equal(sysfile_read(tmproot, "f", buf, 5, &len), -EFBIG);
	assert_int_equal(sysfile_read(tmproot, "/f", buf, 8, &len), 0);
	assert_int_equal(sysfile_read(tmproot, "nope", buf, 8, &len), -ENOENT);
	assert_int_equal(sysfile_read("", "f", buf, 8, &len), -EINVAL);
	assert_int_equal(sysfile_read_line(tmproot, "f", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "hello");
	assert_int_equal(sysfile_read_line(tmproot, "f", buf, 6), -EINVAL);
	put_file("f", "a\tb\n", 4);
	assert_int_equal(sysfile_read_line(tmproot, "f", buf, sizeof(buf)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian_stock),
	    cmocka_unit_test(test_capable),
	    cmocka_unit_test(test_capable_without_runtime_caps),
	    cmocka_unit_test(test_incapable),
	    cmocka_unit_test_setup_teardown(test_damaged, make_root,
					    remove_root),
	    cmocka_unit_test_setup_teardown(test_runtime_caps_narrow_only,
					    make_root, remove_root),
	    cmocka_unit_test_setup_teardown(test_sysfile, make_root,
					    remove_root),
	};

	return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}

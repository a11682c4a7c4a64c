/* SPDX-License-Identifier: MIT */
/*
 * The ptswitch domctl ABI as the daemon sees it (common/pt_domctl.h):
 * layout fixed by the patched hypervisor, the payload fits Debian's
 * struct xen_domctl, counters map one to one onto struct pt_stats, and
 * the xenctrl backend is really linked in.  hv-patches/check-abi.sh
 * compares the same header with the patched public headers themselves.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <xenctrl.h>

#include "backend.h"
#include "pt_domctl.h"
#include "pt_xc.h"
#include "ptswitch.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " == " #b)

/* xen_domctl_pt_mode: four u32 then a 64-bit guest handle. */
SAME(sizeof(struct pt_domctl_op), 24);
SAME(offsetof(struct pt_domctl_op, op), 0);
SAME(offsetof(struct pt_domctl_op, mode), 4);
SAME(offsetof(struct pt_domctl_op, flags), 8);
SAME(offsetof(struct pt_domctl_op, size), 12);
SAME(offsetof(struct pt_domctl_op, stats), 16);
SAME(sizeof(struct pt_domctl_op) <= sizeof(((struct xen_domctl *)0)->u), 1);

/* xen_domctl_pt_stats: 26 counters, in struct pt_stats order. */
SAME(sizeof(struct pt_domctl_stats), 26 * sizeof(uint64_t));
SAME(sizeof(struct pt_domctl_stats), sizeof(struct pt_stats));
#define FIELD(f)                                                               \
	SAME(offsetof(struct pt_domctl_stats, f), offsetof(struct pt_stats, f))
FIELD(emulated_writes);
FIELD(emul_runs);
FIELD(batches);
FIELD(batch_ptes);
FIELD(batch_hist);
FIELD(flush_reason);
FIELD(spurious_faults);
FIELD(unhook_refused);
FIELD(revalidation_failures);

SAME(PT_DOMCTL_MODE_EMULATE, PT_MODE_EMULATE);
SAME(PT_DOMCTL_MODE_BATCH, PT_MODE_BATCH);
SAME(PT_DOMCTL_HIST_BUCKETS, PT_HIST_BUCKETS);
SAME(PT_DOMCTL_FLUSH_REASONS, PT_FLUSH_REASONS);

/* Every counter lands in the field of the same name. */
static void test_import_stats(void **state)
{
	uint64_t in[26], out[26];
	struct pt_domctl_stats dst;
	struct pt_stats st;
	unsigned int i;

	(void)state;
	for (i = 0; i < 26; i++)
		in[i] = 1000 + i;
	memcpy(&dst, in, sizeof(dst));
	memset(&st, 0xff, sizeof(st));
	pt_xc_import_stats(&dst, &st);
	memcpy(out, &st, sizeof(out));
	for (i = 0; i < 26; i++)
		assert_int_equal(out[i], 1000 + i);
	assert_int_equal(st.emulated_writes, 1000);
	assert_int_equal(st.revalidation_failures, 1025);
	assert_int_equal(st.flush_reason[PT_FLUSH_MODE],
			 1000 + 15 + PT_FLUSH_MODE);
}

/*
 * The backend is found by name; without Xen open() fails cleanly with an
 * errno, with Xen it opens and either can switch or says why not.
 */
static void test_backend_open(void **state)
{
	const struct backend_ops *ops = backend_lookup("xenctrl");
	struct backend be = {0};
	int err;

	(void)state;
	assert_non_null(ops);
	assert_string_equal(ops->name, "xenctrl");
	be.ops = ops;
	err = ops->open(&be, NULL);
	if (access("/dev/xen/privcmd", F_OK) &&
	    access("/proc/xen/privcmd", F_OK)) {
		assert_true(err < 0);
		return;
	}
	assert_int_equal(err, 0);
	if (!be.can_switch)
		assert_true(be.why_not[0] != '\0');
	ops->close(&be);
}

/*
 * hv-patches/ has a series for Xen 4.17 (domctl interface 0x15) and 4.20
 * (0x17): built against either, the op is issued.  Any other interface
 * keeps the gate: there every call fails with -ENOSYS before touching the
 * interface handle, NULL here, so reaching the hypervisor would crash the
 * test (tests/integration/test_domctl_number.sh builds pt_xc.c for such
 * an interface and checks it has no xc_domctl call).
 */
static void test_release_gate(void **state)
{
	struct pt_domctl_op op = {.op = PT_DOMCTL_OP_GET};
	struct pt_stats st;
	uint32_t mode = 7, flags = 7;

	(void)state;
	assert_true(PT_DOMCTL_HAS_SERIES(0x15));
	assert_true(PT_DOMCTL_HAS_SERIES(0x17));
	assert_false(PT_DOMCTL_HAS_SERIES(0x14));
	assert_false(PT_DOMCTL_HAS_SERIES(0x16));
	assert_false(PT_DOMCTL_HAS_SERIES(0x18));
	if (XEN_DOMCTL_INTERFACE_VERSION == 0x15 ||
	    XEN_DOMCTL_INTERFACE_VERSION == 0x17) {
		/* bookworm's and trixie's Xen: the op is issued. */
		assert_null(pt_xc_unsupported());
		return;
	}
	assert_non_null(pt_xc_unsupported());
	assert_non_null(strstr(pt_xc_unsupported(), "never issued"));
	assert_int_equal(pt_xc_op(NULL, 0, &op), -ENOSYS);
	assert_int_equal(pt_xc_get_mode(NULL, 0, &mode, &flags), -ENOSYS);
	assert_int_equal(mode, 7);
	assert_int_equal(pt_xc_set_mode(NULL, 0, PT_DOMCTL_MODE_BATCH),
			 -ENOSYS);
	assert_int_equal(pt_xc_get_stats(NULL, 0, &st, &mode, &flags), -ENOSYS);
}

static void test_backend_rejects_arg(void **state)
{
	const struct backend_ops *ops = backend_lookup("xenctrl");
	struct backend be = {0};

	(void)state;
	be.ops = ops;
	assert_int_equal(ops->open(&be, "bogus"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_import_stats),
	    cmocka_unit_test(test_backend_open),
	    cmocka_unit_test(test_release_gate),
	    cmocka_unit_test(test_backend_rejects_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

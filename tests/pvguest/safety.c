/*
 * Safety tests of BATCH (issue 6, item 3).  Each needs a hypervisor that
 * implements BATCH; until this guest runs in BATCH they report SKIP with
 * the reason, never PASS.
 */
#include "pvg.h"

const char *safety_run(const char *batch_na);

static const char *const batch_tests[] = {
	"writable-alias-past-flush", "pte-maps-xen-page",
	"pte-maps-foreign-page",     "pte-maps-pagetable-writable",
	"l1-hooked-into-second-l2",  "flush-race-from-other-vcpu",
	"mode-switch-mid-batch",     "destroy-mid-batch",
};

const char *safety_run(const char *batch_na)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(batch_tests); i++)
		pr("PVGUEST: SKIP safety-%s %s\n", batch_tests[i],
		   batch_na ? batch_na : "BATCH runs but this test is not "
					 "written yet");
	return batch_na;
}

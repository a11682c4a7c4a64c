/* SPDX-License-Identifier: MIT */
/*
 * pvg.probe=DOMID: an unprivileged guest aims foreign MMU ops at another
 * domain (the victim, in EMULATE and then in BATCH) and reports the
 * errors it gets.  Xen must refuse them for want of privilege before it
 * looks at the victim's page-table mode: the same error in both modes,
 * and no effect on the victim (a refused call must not keep its batches
 * from opening).
 *
 * dom0 (dom0/foreign-probe.sh) drives it through ptswitch/probe: any name
 * but "spin" and "stop" probes once and prints
 *   PVGUEST: PROBE <name> mmuext_op <rc> mmu_update <rc>
 * "spin" issues the two calls in a loop until the key changes, then prints
 * the calls and their results; "stop" ends.
 */
#include "hypercall.h"
#include "pvg.h"

#define PROBE_WAIT_NS 300000000000ul /* dom0 has 5 min in all */

void foreign_probe(u64 victim);

/* A TLB flush of our own, on the victim's behalf: harmless if allowed. */
static long probe_mmuext(u64 victim)
{
	struct mmuext_op op = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};

	return hypercall4(HC_mmuext_op, (u64)&op, 1, 0, victim);
}

/*
 * An update of the victim's page tables (foreign pt_owner in the high
 * half of foreigndom), at a frame beyond any small guest's memory.
 */
static long probe_mmu_update(u64 victim)
{
	struct mmu_update req = {
	    .ptr = (0xfffffful << PAGE_SHIFT) | MMU_NORMAL_PT_UPDATE, .val = 0};
	unsigned int n = 0;

	return hypercall4(HC_mmu_update, (u64)&req, 1, (u64)&n,
			  ((victim + 1) << 16) | DOMID_SELF);
}

static void spin(u64 victim, const char *name)
{
	u64 calls = 0, eperm = 0, ebusy = 0, other = 0;
	long last_other = 0;
	char now[32];

	for (;;) {
		long rc[2];
		unsigned int i;

		rc[0] = probe_mmuext(victim);
		rc[1] = probe_mmu_update(victim);
		for (i = 0; i < 2; i++) {
			calls++;
			if (rc[i] == -XEN_EPERM)
				eperm++;
			else if (rc[i] == -XEN_EBUSY)
				ebusy++;
			else {
				other++;
				last_other = rc[i];
			}
		}
		if (calls & 255)
			continue;
		if (xs_read("ptswitch/probe", now, sizeof(now)) <= 0 ||
		    strncmp(now, name, sizeof(now)))
			break;
	}
	pr("PVGUEST: PROBE spin calls %lu eperm %lu ebusy %lu other %lu "
	   "(last %ld)\n",
	   calls, eperm, ebusy, other, last_other);
}

void foreign_probe(u64 victim)
{
	char seen[32] = "", now[32];
	u64 deadline = now_ns() + PROBE_WAIT_NS;

	pr("PVGUEST: PROBE ready victim %lu\n", victim);
	while (now_ns() < deadline) {
		if (xs_read("ptswitch/probe", now, sizeof(now)) <= 0 ||
		    !strncmp(now, seen, sizeof(now))) {
			sleep_ms(100);
			continue;
		}
		memcpy(seen, now, sizeof(seen));
		if (!strncmp(now, "stop", 5))
			return;
		if (!strncmp(now, "spin", 5)) {
			spin(victim, now);
			continue;
		}
		pr("PVGUEST: PROBE %s mmuext_op %ld mmu_update %ld\n", now,
		   probe_mmuext(victim), probe_mmu_update(victim));
	}
	pr("PVGUEST: PROBE time-out\n");
}

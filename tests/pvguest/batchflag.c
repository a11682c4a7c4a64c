/* SPDX-License-Identifier: MIT */
/*
 * batch-open-flag: a Xen that reports XENFEAT_pt_batch_open keeps
 * vcpu_info.pt_batch_open non-zero, in every vCPU's vcpu_info, exactly
 * while the domain has a batch open, so that a guest leaving lazy-MMU mode
 * can leave out MMUEXT_FLUSH_PT_BATCH when none is.  We open a batch with a
 * native store to l1[1] (as wprotect.c does), read the flag of vCPU 0 and,
 * with two vCPUs, of vCPU 1, then close the batch with the flush op and
 * read them again.  Runs while the guest is opted in, after the benchmark.
 */
#include "hypercall.h"
#include "pvg.h"
#include "testpt.h"

#define BF_SLOT 31
#define BF_TRIES 32

void batchflag_check(bool smp);

/* The flag of every vCPU we run, as a bit each (bit n: vCPU n). */
static unsigned int flags_set(bool smp)
{
	unsigned int cpu, bits = 0;

	for (cpu = 0; cpu < (smp ? 2u : 1u); cpu++)
		if (((volatile struct vcpu_info *)&pvg_shared->vcpu_info[cpu])
			->pt_batch_open)
			bits |= 1u << cpu;
	return bits;
}

void batchflag_check(bool smp)
{
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	struct xen_feature_info fi = {.submap_idx = 0};
	volatile u64 *entry = &tpt.l1[1][BF_SLOT];
	unsigned int all = smp ? 3u : 1u, before = 0, during = 0, after = 0;
	u64 pte = (virt_to_mfn(tpt.data) << PAGE_SHIFT) | PTE_P | PTE_A;
	bool batched = false;
	unsigned int i;
	long rc;

	rc = hyp_xen_features(&fi);
	if (rc || !(fi.submap & (1u << PVG_XENFEAT_PT_BATCH_OPEN))) {
		pr("PVGUEST: FAIL batch-open-flag XENFEAT_pt_batch_open not "
		   "reported (rc %ld, submap 0x%x)\n",
		   rc, fi.submap);
		return;
	}
	for (i = 0; i < BF_TRIES && !batched; i++) {
		/* mmu_update closes any batch: the flag must read 0 after. */
		testpt_set(1, BF_SLOT, 1, 0);
		before = flags_set(smp);
		/* Opens a batch on l1[1] if Xen lets it; else emulated. */
		*entry = pte;
		batched = !(((volatile u64 *)tpt.l2)[1] & PTE_P);
		during = flags_set(smp);
		hyp_mmuext_op(&flush, 1);
		after = flags_set(smp);
	}
	testpt_set(1, BF_SLOT, 1, 0);
	if (!batched) {
		pr("PVGUEST: SKIP batch-open-flag no batch opened in %u "
		   "tries\n",
		   BF_TRIES);
		return;
	}
	if (before == 0 && during == all && after == 0)
		pr("PVGUEST: PASS batch-open-flag set on %s while the batch "
		   "was open, clear before and after (try %u)\n",
		   smp ? "both vCPUs" : "vCPU 0", i);
	else
		pr("PVGUEST: FAIL batch-open-flag vCPUs with it set: before "
		   "0x%x, open 0x%x, after the flush 0x%x (want 0, 0x%x, 0)\n",
		   before, during, after, all);
}

/* SPDX-License-Identifier: MIT */
/*
 * safety-write-protect-refs: a batch that write-protects an entry (what a
 * fork does to every private page) must leave the frame's references as
 * mmu_update would: the entry's writable type reference gone, its general
 * one kept.  We map a fresh page writable through l1[1], make the entry
 * read-only with a native store in a batch, drop our own writable mapping
 * of the page, and pin the page as an L1: Xen pins only a frame that no
 * writable mapping references, so a leaked writable reference fails the
 * pin, and one dropped twice trips Xen's counts (an assertion in a debug
 * build).  Runs while the guest is opted in, right after the benchmark.
 */
#include "hypercall.h"
#include "testpt.h"

#define WP_SLOT 30
#define WP_TRIES 32

void wprotect_check(void);

static long mmuext(unsigned int cmd, u64 mfn)
{
	struct mmuext_op op = {.cmd = cmd, .arg1 = mfn};

	return hyp_mmuext_op(&op, 1);
}

void wprotect_check(void)
{
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	volatile u64 *entry = &tpt.l1[1][WP_SLOT];
	u8 *page = alloc_page();
	u64 mfn = virt_to_mfn(page);
	u64 rw = (mfn << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A | PTE_D;
	u64 ro = (mfn << PAGE_SHIFT) | PTE_P | PTE_A | PTE_D;
	bool batched = false;
	unsigned int i;
	long rc, pin;

	for (i = 0; i < WP_TRIES && !batched; i++) {
		/* Writable, validated by mmu_update (which closes any batch).
		 */
		if ((rc = testpt_set(1, WP_SLOT, 1, rw))) {
			pr("PVGUEST: FAIL safety-write-protect-refs mapping "
			   "the page writable: %ld\n",
			   rc);
			return;
		}
		/* Opens a batch on l1[1] if Xen lets it; else emulated. */
		*entry = ro;
		batched = !(((volatile u64 *)tpt.l2)[1] & PTE_P);
		hyp_mmuext_op(&flush, 1);
	}
	if (!batched) {
		pr("PVGUEST: SKIP safety-write-protect-refs no batch opened in "
		   "%u tries\n",
		   WP_TRIES);
		return;
	}

	/* Our own writable mapping of the page goes; the test's is RO now. */
	rc = hyp_update_va_mapping((u64)page, ro, UVMF_INVLPG | UVMF_LOCAL);
	pin = mmuext(MMUEXT_PIN_L1_TABLE, mfn);
	if (!rc && !pin && pte_same(*entry, ro))
		pr("PVGUEST: PASS safety-write-protect-refs the page pinned as "
		   "an L1 after a batch write-protected it (try %u)\n",
		   i);
	else
		pr("PVGUEST: FAIL safety-write-protect-refs remap %ld, pin "
		   "%ld, "
		   "entry 0x%lx\n",
		   rc, pin, *entry);
	if (!pin)
		mmuext(MMUEXT_UNPIN_TABLE, mfn);
	testpt_set(1, WP_SLOT, 1, 0);
}

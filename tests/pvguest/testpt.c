/* SPDX-License-Identifier: MIT */
/*
 * Build page tables of our own next to the boot ones: one L2 hooked into a
 * free slot of the boot L3, TEST_L1S L1s under it, every table mapped
 * read-only where the pool allocator put it.  Writes to those read-only
 * aliases are what Xen's writable-pagetable emulation (EMULATE) handles.
 */
#include "testpt.h"
#include "hypercall.h"

#define TABLE_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A)
#define DATA_MAGIC 0x7074737769746368ul /* "ptswitch" */

struct testpt tpt;

static u64 entry_mfn(u64 e)
{
	return (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

static long make_readonly(void *va)
{
	return hyp_update_va_mapping(
	    (u64)va, (virt_to_mfn(va) << PAGE_SHIFT) | PTE_P | PTE_A,
	    UVMF_INVLPG | UVMF_LOCAL);
}

/* Set entries [first, first+n) of l1[l1] to VAL with one mmu_update. */
long testpt_set(unsigned int l1, unsigned int first, unsigned int n, u64 val)
{
	static struct mmu_update req[512];
	unsigned int i, done = 0;
	long rc;

	for (i = 0; i < n; i++) {
		req[i].ptr =
		    pte_maddr(tpt.l1[l1], first + i) | MMU_NORMAL_PT_UPDATE;
		req[i].val = val;
	}
	rc = hyp_mmu_update(req, n, &done);
	return rc ? rc : (done == n ? 0 : -1);
}

int testpt_setup(void)
{
	const u64 *l4 = (const u64 *)pvg_si->pt_base;
	struct mmu_update hook;
	unsigned int i, done;
	long rc;

	if (!(l4[0] & PTE_P))
		return -1;
	tpt.l3 = mfn_to_virt(entry_mfn(l4[0]));
	for (i = 1; i < 512 && (tpt.l3[i] & PTE_P); i++)
		;
	if (i == 512)
		return -2;
	tpt.l3_slot = i;
	tpt.va = (u64)i << 30;

	tpt.data = alloc_page();
	*(u64 *)tpt.data = DATA_MAGIC;
	tpt.pte_rw = (virt_to_mfn(tpt.data) << PAGE_SHIFT) | PTE_P | PTE_RW |
		     PTE_A | PTE_D;
	tpt.pte_ro = (virt_to_mfn(tpt.data) << PAGE_SHIFT) | PTE_P | PTE_A;

	tpt.l2 = alloc_page();
	for (i = 0; i < TEST_L1S; i++) {
		tpt.l1[i] = alloc_page();
		tpt.l2[i] =
		    (virt_to_mfn(tpt.l1[i]) << PAGE_SHIFT) | TABLE_FLAGS;
	}
	/* No writable mapping may remain when Xen validates them. */
	for (i = 0; i < TEST_L1S; i++)
		if ((rc = make_readonly(tpt.l1[i])))
			return (int)rc;
	if ((rc = make_readonly(tpt.l2)))
		return (int)rc;

	hook.ptr = pte_maddr(tpt.l3, tpt.l3_slot) | MMU_NORMAL_PT_UPDATE;
	hook.val = (virt_to_mfn(tpt.l2) << PAGE_SHIFT) | TABLE_FLAGS;
	done = 0;
	rc = hyp_mmu_update(&hook, 1, &done);
	if (rc)
		return (int)rc;
	return done == 1 ? 0 : -3;
}

static long invlpg(u64 va)
{
	struct mmuext_op op = {.cmd = MMUEXT_INVLPG_LOCAL, .arg1 = va};

	return hyp_mmuext_op(&op, 1);
}

/*
 * Prove that both write paths really reach the hardware tables: map the
 * data page through an emulated write and through mmu_update, read it
 * back through the new mappings, then unmap both again.
 */
int testpt_selftest(void)
{
	volatile u64 *emul_va = (volatile u64 *)tpt.va;
	volatile u64 *mmu_va = (volatile u64 *)(tpt.va + PAGE_SIZE);

	((volatile u64 *)tpt.l1[0])[0] = tpt.pte_rw; /* traps: EMULATE */
	if (!pte_same(((volatile u64 *)tpt.l1[0])[0], tpt.pte_rw))
		return -1;
	if (*emul_va != DATA_MAGIC)
		return -2;
	if (testpt_set(0, 1, 1, tpt.pte_ro))
		return -3;
	if (*mmu_va != DATA_MAGIC)
		return -4;
	*emul_va = DATA_MAGIC + 1; /* writable alias of the data page */
	if (*(volatile u64 *)tpt.data != DATA_MAGIC + 1)
		return -5;
	*(u64 *)tpt.data = DATA_MAGIC;
	if (testpt_set(0, 0, 2, 0) || invlpg((u64)emul_va) ||
	    invlpg((u64)mmu_va))
		return -6;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Memory of the test kernel.  VIRT_BASE is 0, so in the initial mapping a
 * virtual address is its pseudo-physical address.  Xen's domain builder
 * leaves at least 512 KiB of mapped, unused pages after the boot stack;
 * alloc_page() hands those out.
 */
#include "hypercall.h"
#include "pvg.h"

#define POOL_PAGES 128 /* the guaranteed 512 KiB of padding */

static u64 pool_next, pool_end;

void mm_init(u64 boot_stack_top);

void mm_init(u64 boot_stack_top)
{
	pool_next = (boot_stack_top + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	pool_end = pool_next + POOL_PAGES * PAGE_SIZE;
	if ((pool_end >> PAGE_SHIFT) > pvg_si->nr_pages)
		pool_end = pvg_si->nr_pages << PAGE_SHIFT;
}

u64 virt_to_mfn(const void *va)
{
	const u64 *p2m = (const u64 *)pvg_si->mfn_list;

	return p2m[(u64)va >> PAGE_SHIFT];
}

void *mfn_to_virt(u64 mfn)
{
	const u64 *m2p = (const u64 *)M2P_VIRT_START;

	return (void *)(m2p[mfn] << PAGE_SHIFT);
}

/* A zeroed, writable page of the initial mapping (never freed). */
void *alloc_page(void)
{
	void *p;

	if (pool_next >= pool_end)
		pvg_panic("out of boot padding pages");
	p = (void *)pool_next;
	pool_next += PAGE_SIZE;
	memset(p, 0, PAGE_SIZE);
	return p;
}

/* Machine address of entry INDEX of the page table mapped at TABLE. */
u64 pte_maddr(const u64 *table, unsigned int index)
{
	return (virt_to_mfn(table) << PAGE_SHIFT) + index * sizeof(u64);
}

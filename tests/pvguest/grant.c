/* SPDX-License-Identifier: MIT */
/*
 * attack grant-ad-bits (issue: review C3): a flag-only change of a grant
 * mapping in a batched L1 must be accepted at the close, as mmu_update's
 * fast path accepts it.  dom0 grants us one of its pages (tests/tools/
 * pvg-grant.c) and writes the reference to ptswitch/grant-ref; we map it
 * through l1[1], open a batch with a valid native store, clear the
 * mapping's Accessed bit natively and flush.  We must survive, and the
 * entry must hold what we stored.  Then a second batch is closed by the
 * grant unmap, which the counters must name (flush.grant, issue 14 item
 * 5).  dom0 (dom0/bench.sh) gives the verdicts.
 */
#include "grant.h"
#include "hypercall.h"
#include "testpt.h"

#define GRANT_SLOT 26
#define GRANT_MARK "ptswitch-grant"

bool store_faults(volatile u64 *p, u64 val); /* safety.c */

long grant_wait_ref(u64 seconds)
{
	u64 deadline = now_ns() + seconds * 1000000000ul;
	char val[16];
	const char *end;
	u64 ref;

	while (now_ns() < deadline) {
		if (xs_read("ptswitch/grant-ref", val, sizeof(val)) > 0) {
			ref = parse_u64(val, &end);
			if (end != val)
				return (long)ref;
		}
		sleep_ms(200);
	}
	return -1;
}

bool grant_mark_ok(const volatile char *page)
{
	unsigned int i;

	for (i = 0; i < sizeof(GRANT_MARK); i++)
		if (page[i] != GRANT_MARK[i])
			return false;
	return true;
}

void grant_ad_bits(const char *name)
{
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	volatile u64 *l2 = tpt.l2, *entry = &tpt.l1[1][GRANT_SLOT];
	u64 va = tpt.va + (512ul + GRANT_SLOT) * PAGE_SIZE, before, want;
	struct gnttab_map_grant_ref map = {.host_addr = va,
					   .flags = GNTMAP_host_map};
	struct gnttab_unmap_grant_ref unmap = {.host_addr = va};
	bool opened, trapped, held, mark;
	long ref, rc;

	ref = grant_wait_ref(60);
	if (ref < 0) {
		pr("PVGUEST: SKIP attack-%s dom0 granted no page\n", name);
		return;
	}
	map.ref = (u32)ref;
	map.dom = 0;
	rc = hyp_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
	if (rc || map.status) {
		pr("PVGUEST: FAIL attack-%s map_grant_ref rc %ld status %d\n",
		   name, rc, map.status);
		return;
	}
	mark =
	    grant_mark_ok((const volatile char *)va); /* also sets Accessed */
	before = *entry;
	if (!mark || !(before & PTE_A)) {
		pr("PVGUEST: FAIL attack-%s grant mapping: mark %d, pte "
		   "0x%lx\n",
		   name, mark, before);
		return;
	}
	want = before & ~PTE_A;
	pr("PVGUEST: ATTACK %s start pte=0x%lx\n", name, before);
	/* No hypercall from here to the flush: it would close the batch. */
	tpt.l1[1][20] = tpt.pte_rw; /* faults into Xen, which opens a batch */
	opened = !(l2[1] & PTE_P);
	/* Native, through the now writable alias (if no close came first). */
	trapped = store_faults(entry, want);
	rc = hyp_mmuext_op(&flush, 1);
	if (!opened || trapped) {
		pr("PVGUEST: SKIP attack-%s no batch held the store (opened "
		   "%d, "
		   "store emulated and refused %d): BATCH not exercised\n",
		   name, opened, trapped);
		return;
	}
	/* Read the entry before any access through it sets Accessed again. */
	held = *entry == want;
	pr("PVGUEST: ATTACK %s survived: batch was open %d, flush rc %ld, "
	   "entry held %d (0x%lx), mark %d\n",
	   name, opened, rc, held, *entry,
	   grant_mark_ok((const volatile char *)va));
	/*
	 * A grant-table op is a flush point of its own in the counters
	 * (flush.grant): open a second batch and let the unmap close it.
	 */
	tpt.l1[1][20] = tpt.pte_rw;
	opened = !(l2[1] & PTE_P);
	unmap.handle = map.handle;
	rc = hyp_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
	pr("PVGUEST: INFO attack-%s unmap with a batch open %d: rc %ld "
	   "status %d, pde present after %d\n",
	   name, opened, rc, unmap.status, !!(l2[1] & PTE_P));
}

/* SPDX-License-Identifier: MIT */
/*
 * Safety tests (issue 6, item 3) and the EMULATE controls they build on.
 *
 * EMULATE controls: a forbidden PTE write (a page table or a Xen page
 * mapped writable, a frame that is not ours), through ptwr emulation and
 * through mmu_update, must be refused (a write fault bounced back to us,
 * or a hypercall error) and leave the entry unchanged.
 *
 * BATCH attacks run in a guest of their own (pvg.attack=NAME), because
 * the expected outcome may be that Xen crashes the guest: the guest
 * writes the forbidden PTE natively into a batched L1 and flushes.  Xen
 * must refuse it at the flush (crash this domain, or restore the entry);
 * dom0 (dom0/bench.sh) gives the verdict from the domain's state and the
 * hypervisor's counters.  Tests that cannot run print SKIP, never PASS.
 */
#include "grant.h"
#include "hypercall.h"
#include "testpt.h"

#define PF_ERR_WRITE 0x2

const char *safety_run(const char *batch_na, bool batch_ran);
void safety_attack(const char *name, u64 foreign_mfn);
void smp_attack(const char *name); /* smp_attack.c */
bool store_faults(volatile u64 *p, u64 val);

/* Set by an expected write fault; the hook resumes after the store. */
static volatile u64 expect_addr, resume_rip;
static volatile bool faulted;

static bool refused_write_hook(struct trap_frame *f, u64 cr2)
{
	if (f->vector != 14 || !resume_rip || cr2 != expect_addr ||
	    !(f->error_code & PF_ERR_WRITE))
		return false;
	faulted = true;
	f->rip = resume_rip;
	resume_rip = 0;
	return true;
}

/* A store of VAL to *P; true if Xen bounced it back to us as a #PF. */
bool store_faults(volatile u64 *p, u64 val)
{
	faulted = false;
	expect_addr = (u64)p;
	trap_set_hook(refused_write_hook);
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[resume]\n\t"
		     "movq %[val], (%[ptr])\n"
		     "1:"
		     : [resume] "=m"(resume_rip)
		     : [val] "r"(val), [ptr] "r"(p)
		     : "rax", "memory");
	resume_rip = 0;
	trap_set_hook(NULL);
	return faulted;
}

/* The boot L1 entry that maps VA (the boot tables are 4 KiB pages). */
static volatile u64 *boot_pte(u64 va)
{
	const u64 *t = (const u64 *)pvg_si->pt_base;
	int shift;

	for (shift = 39; shift > 12; shift -= 9)
		t = mfn_to_virt((t[(va >> shift) & 511] & PTE_ADDR_MASK) >>
				PAGE_SHIFT);
	return (volatile u64 *)&t[(va >> 12) & 511];
}

/* The M2P's L3 table: a Xen page Xen maps read-only into every guest. */
static u64 xen_page_mfn(void)
{
	const u64 *l4 = (const u64 *)pvg_si->pt_base;

	return (l4[(M2P_VIRT_START >> 39) & 511] & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

struct forbidden {
	const char *name;
	u64 mfn;
};

static unsigned int forbidden_list(struct forbidden *f, u64 foreign_mfn)
{
	unsigned int n = 0;

	/* Our own page tables, writable: a type conflict. */
	f[n++] =
	    (struct forbidden){"pagetable-writable-l2", virt_to_mfn(tpt.l2)};
	f[n++] =
	    (struct forbidden){"pagetable-writable-l1", virt_to_mfn(tpt.l1[1])};
	f[n++] = (struct forbidden){"xen-page", xen_page_mfn()};
	/* Host frame 0 belongs to no guest. */
	f[n++] = (struct forbidden){"host-frame-0", 0};
	/* Far beyond any RAM: I/O space we have no right to. */
	f[n++] = (struct forbidden){"frame-beyond-ram", 0xfffffffful};
	if (foreign_mfn)
		f[n++] = (struct forbidden){"foreign-page", foreign_mfn};
	return n;
}

static u64 writable_pte(u64 mfn)
{
	return (mfn << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A;
}

static void control(const char *name, u64 pte, unsigned int slot)
{
	volatile u64 *entry = &tpt.l1[1][slot];
	u64 before = *entry;
	bool faulted_back;
	long rc;

	faulted_back = store_faults(entry, pte);
	if (faulted_back && *entry == before)
		pr("PVGUEST: PASS control-emulate-%s Xen refused the emulated "
		   "write\n",
		   name);
	else
		pr("PVGUEST: FAIL control-emulate-%s fault=%d entry 0x%lx "
		   "(was 0x%lx)\n",
		   name, faulted_back, *entry, before);

	rc = testpt_set(1, slot, 1, pte);
	if (rc && *entry == before)
		pr("PVGUEST: PASS control-mmu_update-%s Xen refused it (%ld)\n",
		   name, rc);
	else
		pr("PVGUEST: FAIL control-mmu_update-%s rc=%ld entry 0x%lx "
		   "(was 0x%lx)\n",
		   name, rc, *entry, before);
}

/*
 * Right after a batch was flushed (and with the opt-in withdrawn, so no
 * new batch can open): the alias of the L1 must be read-only again, in
 * the page table and in the TLB, so a forbidden store through it must be
 * trapped and refused rather than land natively.
 */
static void alias_past_flush(void)
{
	volatile u64 *entry = &tpt.l1[0][7];
	u64 before = *entry, alias = *boot_pte((u64)tpt.l1[0]);
	bool refused = store_faults(entry, writable_pte(virt_to_mfn(tpt.l2)));

	if (!(alias & PTE_RW) && refused && *entry == before)
		pr("PVGUEST: PASS safety-writable-alias-past-flush alias PTE "
		   "0x%lx read-only, store trapped and refused\n",
		   alias);
	else
		pr("PVGUEST: FAIL safety-writable-alias-past-flush alias PTE "
		   "0x%lx, refused=%d, entry 0x%lx (was 0x%lx)\n",
		   alias, refused, *entry, before);
}

const char *safety_run(const char *batch_na, bool batch_ran)
{
	struct forbidden f[8];
	unsigned int i, n = forbidden_list(f, 0);

	if (batch_ran)
		alias_past_flush();
	else
		pr("PVGUEST: SKIP safety-writable-alias-past-flush %s\n",
		   batch_na);
	for (i = 0; i < n; i++)
		control(f[i].name, writable_pte(f[i].mfn), 8 + i);
	return batch_na;
}

/*
 * Open a batch on l1[1] with a valid native store and keep it open, with
 * no hypercall, until Xen closes it (the L2 entry is present again) or
 * 30 s pass; dom0 switches the mode or destroys the domain meanwhile.
 */
static void attack_hold_batch(const char *name)
{
	volatile u64 *l2 = tpt.l2, *entry = &tpt.l1[1][21];
	u64 deadline, t0;
	bool opened;

	pr("PVGUEST: ATTACK %s start: holding a batch open\n", name);
	*entry = tpt.pte_rw; /* faults into Xen, which opens the batch */
	opened = !(l2[1] & PTE_P);
	t0 = now_ns();
	deadline = t0 + 30000000000ul;
	while (!(l2[1] & PTE_P) && now_ns() < deadline)
		asm volatile("pause");
	pr("PVGUEST: ATTACK %s survived: batch opened %d, closed by Xen after "
	   "%lu ms: %d, entry kept: %d\n",
	   name, opened, (now_ns() - t0) / 1000000, !!(l2[1] & PTE_P),
	   pte_same(*entry, tpt.pte_rw));
	/* In EMULATE now: this store must be emulated, not batched. */
	tpt.l1[1][22] = tpt.pte_ro;
	pr("PVGUEST: ATTACK %s next store: batch open %d, entry ok %d\n", name,
	   !(l2[1] & PTE_P), pte_same(tpt.l1[1][22], tpt.pte_ro));
}

/*
 * Give the batched L1 a second L2 reference (mmu_update: the hypercall
 * closes the batch first), then store again: Xen must not unhook an L1
 * that two L2 entries map, and emulate instead.
 */
static void attack_second_l2(const char *name)
{
	volatile u64 *l2 = tpt.l2, *entry = &tpt.l1[1][23];
	struct mmu_update hook;
	unsigned int done = 0;
	bool first_open, second_open;
	long rc;

	pr("PVGUEST: ATTACK %s start\n", name);
	*entry = tpt.pte_rw;
	first_open = !(l2[1] & PTE_P);
	hook.ptr = pte_maddr(tpt.l2, 2) | MMU_NORMAL_PT_UPDATE;
	hook.val = (virt_to_mfn(tpt.l1[1]) << PAGE_SHIFT) | PTE_P | PTE_RW |
		   PTE_US | PTE_A;
	rc = hyp_mmu_update(&hook, 1, &done);
	tpt.l1[1][24] = tpt.pte_ro;
	second_open = !(l2[1] & PTE_P) || !(l2[2] & PTE_P);
	pr("PVGUEST: ATTACK %s survived: first batch open %d, second L2 hook "
	   "rc %ld, batch opened on the doubly mapped L1 %d, entries ok %d\n",
	   name, first_open, rc, second_open,
	   pte_same(*entry, tpt.pte_rw) && pte_same(tpt.l1[1][24], tpt.pte_ro));
}

/*
 * Map a Xen page writable through a batched L1 and, before any flush,
 * use the mapping.  The L1 is unhooked, so the access must fault into
 * Xen, which closes the batch and rejects the entry: the mapping must
 * never work.
 */
static void attack_use_while_batched(const char *name)
{
	volatile u64 *entry = &tpt.l1[1][25];
	volatile u64 *va = (volatile u64 *)(tpt.va + (512ul + 25) * PAGE_SIZE);
	u64 pte = writable_pte(xen_page_mfn()), seen;

	pr("PVGUEST: ATTACK %s start pte=0x%lx\n", name, pte);
	*entry = pte; /* opens the batch: native store */
	seen = *va;   /* must not read Xen's page */
	*va = seen;   /* nor write it */
	pr("PVGUEST: FAIL attack-%s the forbidden mapping worked (read "
	   "0x%lx, batch open %d)\n",
	   name, seen, !(((volatile u64 *)tpt.l2)[1] & PTE_P));
}

/*
 * One BATCH attack, in a guest of its own that dom0 has put in BATCH:
 * open a batch on l1[1] with a native store of a forbidden PTE, then
 * flush.  Returning from the flush is fine only if the entry is not live.
 */
void safety_attack(const char *name, u64 foreign_mfn)
{
	struct forbidden f[8];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	unsigned int i, n = forbidden_list(f, foreign_mfn);
	volatile u64 *entry = &tpt.l1[1][20];
	u64 before = *entry, pte, l2e;
	bool trapped;
	long rc;

	if (!strncmp(name, "smp-", 4)) {
		smp_attack(name);
		return;
	}
	if (!strncmp(name, "mode-switch", 32) ||
	    !strncmp(name, "destroy", 32)) {
		attack_hold_batch(name);
		return;
	}
	if (!strncmp(name, "use-while-batched", 32)) {
		attack_use_while_batched(name);
		return;
	}
	if (!strncmp(name, "grant-ad-bits", 32)) {
		grant_ad_bits(name);
		return;
	}
	if (!strncmp(name, "second-l2", 32)) {
		attack_second_l2(name);
		return;
	}
	for (i = 0; i < n && strncmp(f[i].name, name, 32); i++)
		;
	if (i == n) {
		pr("PVGUEST: SKIP attack-%s unknown attack or no frame given\n",
		   name);
		return;
	}
	pte = writable_pte(f[i].mfn);
	pr("PVGUEST: ATTACK %s start pte=0x%lx\n", name, pte);
	/* No hypercall from here to the flush: it would close the batch. */
	trapped = store_faults(entry, pte);
	l2e = ((volatile u64 *)tpt.l2)[1];
	rc = hyp_mmuext_op(&flush, 1);
	if (trapped) {
		pr("PVGUEST: SKIP attack-%s Xen emulated the store instead of "
		   "opening a batch (and refused it): BATCH not exercised\n",
		   name);
		return;
	}
	if (pte_same(*entry, pte))
		pr("PVGUEST: FAIL attack-%s the forbidden PTE is live after "
		   "the flush (rc %ld, batch open: %d)\n",
		   name, rc, !(l2e & PTE_P));
	else
		pr("PVGUEST: ATTACK %s survived: entry 0x%lx (was 0x%lx), "
		   "flush rc %ld, batch was open: %d\n",
		   name, *entry, before, rc, !(l2e & PTE_P));
}

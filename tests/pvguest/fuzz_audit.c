/* SPDX-License-Identifier: MIT */
/*
 * The guest-side audit after a fuzz run, with no batch open (the explicit
 * flush came first).  From every live root (the boot L4, the vCPUs'
 * pinned spare L4s) it walks the guest half of the tables it can read and
 * checks:
 * - no leaf maps a page table with write access along the whole path
 *   (the RW bits of L4e, L3e, L2e and L1e ANDed, so that a read-only
 *   self-map of the L2 is no false alarm); page tables are every table
 *   the walks reach plus the spare tables the vCPUs hold pinned;
 * - every present leaf maps a frame of this domain (or its shared_info);
 * - no L2 entry of a test L1 is left unhooked (present bit clear, frame
 *   kept): that is an open batch;
 * - each vCPU's entries of the test L1s and of its spare L1 hold what it
 *   stored last.
 * What it cannot see (Xen's type and reference counts, mappings held by
 * other domains) needs a hypervisor interface (README.md, "Fuzz mode").
 */
#include "fuzz.h"

#define MAX_TABLES 256
#define PTE_PSE 0x080ul

static u64 tables[MAX_TABLES];
static unsigned int n_tables;

static void add_table(u64 mfn)
{
	unsigned int i;

	for (i = 0; i < n_tables; i++)
		if (tables[i] == mfn)
			return;
	if (n_tables < MAX_TABLES)
		tables[n_tables++] = mfn;
}

static bool is_table(u64 mfn)
{
	unsigned int i;

	for (i = 0; i < n_tables; i++)
		if (tables[i] == mfn)
			return true;
	return false;
}

/* Our pseudo-physical page for MFN, or ~0 if the frame is not ours. */
static u64 our_pfn(u64 mfn)
{
	const u64 *p2m = (const u64 *)pvg_si->mfn_list;
	u64 pfn;

	if (fuzz_load((volatile u64 *)(M2P_VIRT_START + mfn * 8), &pfn))
		return ~0ul;
	if (pfn < pvg_si->nr_pages && p2m[pfn] == mfn)
		return pfn;
	return ~0ul;
}

static bool ours(u64 mfn)
{
	return mfn == pvg_si->shared_info >> PAGE_SHIFT || our_pfn(mfn) != ~0ul;
}

static u64 frame(u64 e)
{
	return (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

/* The table at MFN through the initial mapping; NULL if not readable. */
static const u64 *table_at(u64 mfn)
{
	u64 pfn = our_pfn(mfn), v;
	const u64 *t;

	if (pfn == ~0ul)
		return NULL;
	t = (const u64 *)(pfn << PAGE_SHIFT);
	return fuzz_load((volatile u64 *)t, &v) ? NULL : t;
}

static bool is_test_l1(u64 mfn)
{
	unsigned int i, cpu;

	for (i = 0; i < FUZZ_TABLES; i++)
		if (virt_to_mfn(ft.l1[i]) == mfn)
			return true;
	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		if (virt_to_mfn(ft.spare[cpu][SPARE_L1]) == mfn)
			return true;
	return false;
}

/* A table entry to a frame that is not ours (or not readable). */
static void unreadable(struct fuzz_audit *a, unsigned int pass,
		       unsigned int level, u64 e)
{
	if (!pass)
		return;
	a->foreign++;
	fuzz_violation(&fc[0], "L%u entry 0x%lx: a table we cannot read", level,
		       e);
}

/* Pass 0 collects the tables, pass 1 checks the leaves. */
static void walk(const u64 *l4, unsigned int pass, struct fuzz_audit *a)
{
	unsigned int i4, i3, i2, i1;

	for (i4 = 0; i4 < 256; i4++) {
		u64 e4 = l4[i4];
		const u64 *l3;

		if (!(e4 & PTE_P))
			continue;
		add_table(frame(e4));
		if (!(l3 = table_at(frame(e4)))) {
			unreadable(a, pass, 4, e4);
			continue;
		}
		for (i3 = 0; i3 < 512; i3++) {
			u64 e3 = l3[i3];
			const u64 *l2;

			if (!(e3 & PTE_P))
				continue;
			if (e3 & PTE_PSE) {
				a->superpages += pass;
				continue;
			}
			add_table(frame(e3));
			if (!(l2 = table_at(frame(e3)))) {
				unreadable(a, pass, 3, e3);
				continue;
			}
			for (i2 = 0; i2 < 512; i2++) {
				u64 e2 = l2[i2];
				const u64 *l1;

				if (!(e2 & PTE_P)) {
					if (pass && is_test_l1(frame(e2))) {
						a->unhooked_pdes++;
						fuzz_violation(
						    &fc[0],
						    "L2 entry 0x%lx (slot %u) "
						    "left unhooked",
						    e2, i2);
					}
					continue;
				}
				if (e2 & PTE_PSE) {
					a->superpages += pass;
					continue;
				}
				add_table(frame(e2));
				if (!(l1 = table_at(frame(e2)))) {
					unreadable(a, pass, 2, e2);
					continue;
				}
				if (!pass)
					continue;
				for (i1 = 0; i1 < 512; i1++) {
					u64 e1 = l1[i1], m = frame(e1);

					if (!(e1 & PTE_P))
						continue;
					a->leaves++;
					if (!ours(m)) {
						a->foreign++;
						fuzz_violation(&fc[0],
							       "foreign frame "
							       "0x%lx mapped "
							       "(entry 0x%lx)",
							       m, e1);
					} else if (e4 & e3 & e2 & e1 & PTE_RW &&
						   is_table(m)) {
						a->writable_tables++;
						fuzz_violation(
						    &fc[0],
						    "page table 0x%lx mapped "
						    "writable (entry 0x%lx)",
						    m, e1);
					}
				}
			}
		}
	}
}

void fuzz_audit_run(struct fuzz_audit *a)
{
	const u64 *roots[1 + FUZZ_MAX_CPUS];
	unsigned int n = 0, i, cpu, k, pass, t, s;

	memset(a, 0, sizeof(*a));
	n_tables = 0;
	roots[n++] = (const u64 *)ft.root;
	for (cpu = 0; cpu < fuzz_cpus; cpu++) {
		if (fc[cpu].pinned[SPARE_L4])
			roots[n++] = ft.spare[cpu][SPARE_L4];
		for (k = 0; k < SPARES; k++)
			if (fc[cpu].pinned[k])
				add_table(virt_to_mfn(ft.spare[cpu][k]));
	}
	for (i = 0; i < n; i++)
		add_table(virt_to_mfn(roots[i]));
	a->roots = n;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			walk(roots[i], pass, a);
	a->tables = n_tables;
	/* Each vCPU's own entries: what it stored last. */
	for (t = 0; t < FUZZ_TABLES; t++)
		for (s = 0; s < FUZZ_SLOTS; s++) {
			u64 e = ((volatile u64 *)ft.l1[t])[s];

			if (pte_same(e, fuzz_shadow[t][s]))
				continue;
			a->lost_updates++;
			fuzz_violation(&fc[s % fuzz_cpus],
				       "end: l1 %u slot %u holds "
				       "0x%lx, last stored 0x%lx",
				       t, s, e, fuzz_shadow[t][s]);
		}
	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		for (s = 0; s < FUZZ_SLOTS; s++) {
			u64 e = ((volatile u64 *)ft.spare[cpu][SPARE_L1])[s];

			if (pte_same(e, fuzz_spare_shadow[cpu][s]))
				continue;
			a->lost_updates++;
			fuzz_violation(&fc[cpu],
				       "end: spare L1 slot %u holds "
				       "0x%lx, last stored 0x%lx",
				       s, e, fuzz_spare_shadow[cpu][s]);
		}
}

/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's operations.  Each vCPU writes only its own entries (slot
 * modulo the number of vCPUs = vCPU number) of the shared test L1s, so
 * that it can keep a shadow of them, and pins only its own spare tables;
 * the L1s, their batches and the L2 are shared.  Forbidden native stores
 * go only to the L1 hooked twice, which Xen never batches (it emulates
 * and refuses them): in a batched L1 they would be stored and crash the
 * domain at the close, as designed (hv-patches/BATCH.md, "Guest ABI").
 */
#include "evtchn.h"
#include "fuzz.h"
#include "hypercall.h"
#include "smp.h"

#define DATA_MAGIC 0x66757a7a00000000ul /* "fuzz" */
#define RO (PTE_P | PTE_A)
#define RW (PTE_P | PTE_RW | PTE_A | PTE_D)
#define TABLE_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PTE_PSE 0x080ul

/*
 * Weights per 10000 (OP_IRET_UNHOOKED only with pvg.fuzz_iret=2, the
 * grant ops only if dom0 granted a page).
 */
static const unsigned int weight[OP_KINDS] = {
    [OP_STORE] = 2500,	   [OP_STORE_FORBID] = 500, [OP_STORE_L2] = 150,
    [OP_MMU] = 700,	   [OP_MMU_FORBID] = 500,   [OP_MMU_L2] = 300,
    [OP_UVA] = 400,	   [OP_UVA_FORBID] = 250,   [OP_PIN] = 300,
    [OP_PIN_FORBID] = 150, [OP_BASEPTR] = 150,	    [OP_CR3] = 150,
    [OP_TLB] = 300,	   [OP_FLUSH] = 600,	    [OP_MULTI] = 400,
    [OP_IRET_OUT] = 150,   [OP_IRET_IN] = 150,	    [OP_IRET_UNHOOKED] = 150,
    [OP_EVTCHN] = 100,	   [OP_UPCALL] = 200,	    [OP_UPCALL_STACK] = 100,
    [OP_GRANT] = 150,	   [OP_GRANT_FORBID] = 50,  [OP_OPTIN] = 2,
    [OP_SPIN] = 600,	   [OP_READ] = 700,	    [OP_CHECK] = 150,
};
static unsigned int weight_sum;

static unsigned int weight_of(unsigned int op)
{
	if (op == OP_IRET_UNHOOKED && !fuzz_iret_unhooked)
		return 0;
	if ((op == OP_GRANT || op == OP_GRANT_FORBID) && fuzz_grant_ref < 0)
		return 0;
	return weight[op];
}

/* Stacks for iret frames outside every test range. */
static u64 iret_stack[FUZZ_MAX_CPUS][512] __attribute__((aligned(16)));

static u64 mfn_of(const void *va)
{
	return virt_to_mfn(va);
}

static u64 pte(u64 mfn, u64 flags)
{
	return (mfn << PAGE_SHIFT) | flags;
}

volatile u64 *fuzz_entry(unsigned int t, unsigned int s)
{
	return &((volatile u64 *)ft.l1[t])[s];
}

/* The address entry S of table T maps (the L1 hooked twice: slot 4). */
u64 fuzz_slot_va(unsigned int t, unsigned int s)
{
	return tpt.va + ((u64)t << 21) + ((u64)s << PAGE_SHIFT);
}

static unsigned int own_slot(struct fuzz_cpu *c, unsigned int cpu)
{
	return (unsigned int)rng_below(&c->rng, FUZZ_SLOTS / fuzz_cpus) *
		   fuzz_cpus +
	       cpu;
}

static long mmuext(unsigned int cmd, u64 arg1)
{
	struct mmuext_op op = {.cmd = cmd, .arg1 = arg1};

	return hyp_mmuext_op(&op, 1);
}

static long set_entry(u64 maddr, u64 val)
{
	struct mmu_update req = {.ptr = maddr | MMU_NORMAL_PT_UPDATE,
				 .val = val};
	unsigned int done = 0;
	long rc = hyp_mmu_update(&req, 1, &done);

	return rc ? rc : (done == 1 ? 0 : -1);
}

static long make_readonly(void *va)
{
	return hyp_update_va_mapping((u64)va, pte(mfn_of(va), RO),
				     UVMF_INVLPG | UVMF_LOCAL);
}

static void *new_table(void)
{
	void *p = alloc_page();

	if (make_readonly(p))
		pvg_panic("fuzz: cannot map a new table read-only");
	return p;
}

void fuzz_setup_ops(void)
{
	const u64 *l4 = (const u64 *)pvg_si->pt_base;
	unsigned int i, cpu;
	long rc;

	ft.root = pvg_si->pt_base;
	ft.xen_mfn =
	    (l4[(M2P_VIRT_START >> 39) & 511] & PTE_ADDR_MASK) >> PAGE_SHIFT;
	rc = hypercall3(HC_memory_op, XENMEM_maximum_ram_page, 0, 0);
	ft.max_page = rc > 0 ? (u64)rc : 0x80000;
	ft.l1[0] = tpt.l1[0];
	ft.l1[1] = tpt.l1[1];
	for (i = TEST_L1S; i < FUZZ_TABLES; i++)
		ft.l1[i] = new_table();
	/* Slots 2, 3: batchable; 4 and 5: the same L1, hooked twice. */
	for (i = TEST_L1S; i <= FUZZ_L1D + 1; i++)
		if (set_entry(pte_maddr(tpt.l2, i),
			      pte(mfn_of(ft.l1[i < FUZZ_L1D ? i : FUZZ_L1D]),
				  TABLE_FLAGS)))
			pvg_panic("fuzz: cannot hook the test L1s");
	for (i = 0; i < FUZZ_DATA; i++) {
		ft.data[i] = alloc_page();
		*(u64 *)ft.data[i] = DATA_MAGIC | i;
	}
	for (cpu = 0; cpu < fuzz_cpus; cpu++) {
		u64 *l4copy = alloc_page();

		/* The spare L4 maps what the boot one maps. */
		memcpy(l4copy, l4, 256 * sizeof(u64));
		if (make_readonly(l4copy))
			pvg_panic("fuzz: spare L4");
		ft.spare[cpu][SPARE_L4] = l4copy;
		for (i = SPARE_L1; i < SPARE_L4; i++)
			ft.spare[cpu][i] = new_table();
		/* Its iret stack page, in the range of the L1 hooked twice
		 * and, for pvg.fuzz_iret=2, in the batchable range of l1[0]. */
		ft.stack[cpu] = alloc_page();
		if (set_entry(pte_maddr(ft.l1[FUZZ_L1D], FUZZ_STACK_SLOT + cpu),
			      pte(mfn_of(ft.stack[cpu]), RW)) ||
		    set_entry(pte_maddr(ft.l1[0], FUZZ_STACK_SLOT + cpu),
			      pte(mfn_of(ft.stack[cpu]), RW)))
			pvg_panic("fuzz: cannot map the iret stacks");
		/* A fault taken there must read this vCPU's cr2 (trap.c). */
		smp_add_stack(fuzz_slot_va(FUZZ_L1D, FUZZ_STACK_SLOT + cpu),
			      fuzz_slot_va(FUZZ_L1D, FUZZ_STACK_SLOT + cpu) +
				  PAGE_SIZE,
			      cpu);
		smp_add_stack(
		    fuzz_slot_va(0, FUZZ_STACK_SLOT + cpu),
		    fuzz_slot_va(0, FUZZ_STACK_SLOT + cpu) + PAGE_SIZE, cpu);
		smp_add_stack((u64)iret_stack[cpu], (u64)&iret_stack[cpu][512],
			      cpu);
	}
	for (i = 0; i < OP_KINDS; i++)
		weight_sum += weight_of(i);
}

/* A page that is always a page table of this domain. */
static u64 table_mfn(struct rng *r)
{
	switch (rng_below(r, 4)) {
	case 0:
		return mfn_of(tpt.l2);
	case 1:
		return mfn_of((void *)ft.root);
	case 2:
		return mfn_of(tpt.l3);
	default:
		return mfn_of(ft.l1[rng_below(r, FUZZ_TABLES)]);
	}
}

static u64 valid_value(struct rng *r)
{
	u64 a = rng_below(r, 2) ? PTE_A : 0;
	u64 d = rng_below(r, 2) ? PTE_D : 0;

	switch (rng_below(r, 8)) {
	case 0:
		return 0;
	case 1:
	case 2:
	case 3:
		return pte(mfn_of(ft.data[rng_below(r, FUZZ_DATA)]), PTE_P | a);
	case 4:
	case 5:
	case 6:
		return pte(mfn_of(ft.data[rng_below(r, FUZZ_DATA)]),
			   PTE_P | PTE_RW | a | d);
	default:
		/* A page table mapped read-only is allowed. */
		return pte(table_mfn(r), PTE_P | a);
	}
}

bool fuzz_store(volatile u64 *p, u64 val)
{
	struct fuzz_cpu *c = &fc[smp_cpu()];

	c->faulted = false;
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[resume]\n\t"
		     "movq %[val], (%[ptr])\n"
		     "1:"
		     : [resume] "=m"(c->resume_rip)
		     : [val] "r"(val), [ptr] "r"(p)
		     : "rax", "memory");
	c->resume_rip = 0;
	return c->faulted;
}

/* A read the fault hook may skip; true if it faulted. */
bool fuzz_load(volatile u64 *p, u64 *val)
{
	struct fuzz_cpu *c = &fc[smp_cpu()];
	u64 v = 0;

	c->faulted = false;
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[resume]\n\t"
		     "movq (%[ptr]), %[v]\n"
		     "1:"
		     : [resume] "=m"(c->resume_rip), [v] "+r"(v)
		     : [ptr] "r"(p)
		     : "rax", "memory");
	c->resume_rip = 0;
	*val = v;
	return c->faulted;
}

/* A frame the M2P gives to a pseudo-physical page that is not ours. */
static u64 foreign_mfn(struct fuzz_cpu *c)
{
	const u64 *p2m = (const u64 *)pvg_si->mfn_list;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		u64 mfn = 1 + rng_below(&c->rng, ft.max_page - 1), pfn;

		if (fuzz_load((volatile u64 *)(M2P_VIRT_START + mfn * 8),
			      &pfn) ||
		    pfn >= (1ul << 36) ||
		    mfn == pvg_si->shared_info >> PAGE_SHIFT)
			continue;
		if (pfn < pvg_si->nr_pages && p2m[pfn] == mfn)
			continue;
		return mfn;
	}
	return 0;
}

/* A page this vCPU knows to be a table now: pinned, hooked or its root. */
static bool spare_is_table(struct fuzz_cpu *c, unsigned int k)
{
	return c->pinned[k] || (k == SPARE_L1 && c->spare_hooked) ||
	       (k == SPARE_L4 && c->on_spare_root);
}

/* A frame this domain may not map at all: Xen's, I/O, another domain's. */
static u64 alien_value(struct fuzz_cpu *c)
{
	struct rng *r = &c->rng;
	u64 any = rng_below(r, 2) ? RW : RO;

	switch (rng_below(r, 4)) {
	case 0:
		return pte(ft.xen_mfn, any);
	case 1:
		return pte(0, any); /* host frame 0 */
	case 2:
		return pte(rng_below(r, 2) ? 0xfffffffful
					   : ft.max_page + rng_below(r, 1024),
			   any);
	default:
		return pte(foreign_mfn(c), any);
	}
}

/* A PTE no L1 of this domain may hold. */
static u64 forbidden_value(struct fuzz_cpu *c, unsigned int cpu)
{
	struct rng *r = &c->rng;
	unsigned int k;

	switch (rng_below(r, 3)) {
	case 0:
		return pte(table_mfn(r), RW);
	case 1:
		k = (unsigned int)rng_below(r, SPARES);
		if (spare_is_table(c, k))
			return pte(mfn_of(ft.spare[cpu][k]), RW);
		return pte(table_mfn(r), RW);
	default:
		return alien_value(c);
	}
}

/* After a refused attempt to store BAD: the entry must not hold it. */
static void check_refused(struct fuzz_cpu *c, const char *how, volatile u64 *e,
			  u64 bad, u64 before)
{
	u64 now = *e;

	if (pte_same(now, bad) && !pte_same(before, bad))
		fuzz_violation(c, "%s: forbidden 0x%lx is live at %p", how, bad,
			       (void *)e);
}

/*
 * Stores to the vCPU's spare L1, while it is hooked (batchable: L2 slot
 * 8 + vCPU) or pinned (emulated); the vCPU's own unhook, unpin and pin
 * then meet its batches.  All its entries are this vCPU's.
 */
static void op_store_spare(struct fuzz_cpu *c, unsigned int cpu)
{
	volatile u64 *l1 = ft.spare[cpu][SPARE_L1];
	unsigned int n = 1 + (unsigned int)rng_below(&c->rng, 32), i;

	for (i = 0; i < n; i++) {
		unsigned int s = (unsigned int)rng_below(&c->rng, FUZZ_SLOTS);
		u64 v = valid_value(&c->rng);

		if (fuzz_store(&l1[s], v))
			fuzz_unexpected(c,
					"valid store 0x%lx to the spare L1 "
					"slot %u bounced",
					v, s);
		else
			fuzz_spare_shadow[cpu][s] = v;
	}
}

static void op_store(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
	unsigned int n = 1 + (unsigned int)rng_below(&c->rng, 32), i;

	if ((c->spare_hooked || c->pinned[SPARE_L1]) &&
	    !rng_below(&c->rng, 6)) {
		op_store_spare(c, cpu);
		return;
	}

	for (i = 0; i < n; i++) {
		unsigned int s = own_slot(c, cpu);
		u64 v = valid_value(&c->rng);

		if (fuzz_store(fuzz_entry(t, s), v))
			fuzz_unexpected(c,
					"valid store 0x%lx to l1 %u slot "
					"%u bounced",
					v, t, s);
		else
			fuzz_shadow[t][s] = v;
	}
}

static void op_store_forbid(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int s = own_slot(c, cpu);
	volatile u64 *e = fuzz_entry(FUZZ_L1D, s);
	u64 bad = forbidden_value(c, cpu), before = *e;

	if (fuzz_store(e, bad))
		c->refused_pf++;
	else if (!pte_same(*e, bad))
		c->no_effect++;
	check_refused(c, "native store", e, bad, before);
	if (!pte_same(*e, before))
		fuzz_violation(c,
			       "refused store changed slot %u: 0x%lx -> "
			       "0x%lx",
			       s, before, *e);
}

/* The L2 is never writable: a native store must trap and change nothing. */
static void op_store_l2(struct fuzz_cpu *c, unsigned int cpu)
{
	volatile u64 *e = &((volatile u64 *)tpt.l2)[FUZZ_PLAY_SLOT + cpu];
	u64 before = *e, v;

	v = rng_below(&c->rng, 2)
		? pte(mfn_of(ft.data[0]), TABLE_FLAGS)
		: pte(mfn_of(ft.spare[cpu][SPARE_L1]), TABLE_FLAGS);
	if (fuzz_store(e, v))
		c->refused_pf++;
	else
		fuzz_violation(c,
			       "native store to the L2 (0x%lx) did not "
			       "trap",
			       v);
	if (*e != before && (*e & ~(PTE_A | PTE_D)) == v)
		fuzz_violation(c, "native store to the L2 landed: 0x%lx", *e);
}

static struct mmu_update mmu_req[FUZZ_MAX_CPUS][8];

static void op_mmu(struct fuzz_cpu *c, unsigned int cpu, bool forbid)
{
	struct mmu_update *req = mmu_req[cpu];
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
	unsigned int n = 1 + (unsigned int)rng_below(&c->rng, 8), i;
	unsigned int k = forbid ? (unsigned int)rng_below(&c->rng, n) : n;
	unsigned int slot[8], done = 0;
	u64 before_k = 0;
	long rc;

	for (i = 0; i < n; i++) {
		slot[i] = own_slot(c, cpu);
		req[i].ptr =
		    pte_maddr(ft.l1[t], slot[i]) | MMU_NORMAL_PT_UPDATE;
		req[i].val =
		    i == k ? forbidden_value(c, cpu) : valid_value(&c->rng);
	}
	if (forbid)
		before_k = *fuzz_entry(t, slot[k]);
	rc = hyp_mmu_update(req, n, &done);
	for (i = 0; i < done && i < n; i++)
		if (i != k)
			fuzz_shadow[t][slot[i]] = req[i].val;
	if (!forbid) {
		if (rc || done != n) {
			fuzz_refused(c, rc);
			fuzz_unexpected(c, "valid mmu_update rc %ld done %u/%u",
					rc, done, n);
		}
		return;
	}
	if (!fuzz_refused(c, rc))
		fuzz_violation(c, "mmu_update took forbidden 0x%lx (rc %ld)",
			       req[k].val, rc);
	if (done > k)
		fuzz_violation(c, "mmu_update counted forbidden entry %u done",
			       k);
	check_refused(c, "mmu_update", fuzz_entry(t, slot[k]), req[k].val,
		      before_k);
}

/* mmu_update of an L2 slot: hook/unhook, self-maps, wrong entries. */
static void op_mmu_l2(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int play = FUZZ_PLAY_SLOT + cpu;
	u64 l2 = mfn_of(tpt.l2), v;
	volatile u64 *e = &((volatile u64 *)tpt.l2)[play];
	bool must_fail = false, may_fail = false;
	const char *what;
	long rc;

	switch (rng_below(&c->rng, 8)) {
	case 0:
		what = c->spare_hooked ? "unhook spare L1" : "hook spare L1";
		v = c->spare_hooked
			? 0
			: pte(mfn_of(ft.spare[cpu][SPARE_L1]), TABLE_FLAGS);
		rc = set_entry(pte_maddr(tpt.l2, FUZZ_SPARE_SLOT + cpu), v);
		if (!rc)
			c->spare_hooked = !c->spare_hooked;
		else
			fuzz_unexpected(c, "%s: rc %ld", what, rc);
		fuzz_refused(c, rc);
		return;
	case 1:
		what = "read-only self-map";
		v = pte(l2, PTE_P | PTE_US | PTE_A);
		may_fail = true;
		break;
	case 2:
		what = "writable self-map";
		v = pte(l2, TABLE_FLAGS);
		must_fail = true;
		break;
	case 3:
		what = "writable data page as an L1";
		v = pte(mfn_of(ft.data[rng_below(&c->rng, FUZZ_DATA)]),
			TABLE_FLAGS);
		must_fail = true;
		break;
	case 4:
		what = "foreign or Xen frame as an L1";
		v = alien_value(c) | PTE_US;
		must_fail = true;
		break;
	case 5:
		what = "the L3 as an L1";
		v = pte(mfn_of(tpt.l3), TABLE_FLAGS);
		must_fail = true;
		break;
	case 6:
		/* A second hook keeps batches off that L1 until cleared. */
		what = "a test L1 hooked again";
		v = pte(mfn_of(ft.l1[rng_below(&c->rng, FUZZ_TABLES)]),
			TABLE_FLAGS);
		break;
	default:
		what = "clear";
		v = 0;
		break;
	}
	rc = set_entry(pte_maddr(tpt.l2, play), v);
	if (fuzz_refused(c, rc)) {
		if (!must_fail && !may_fail)
			fuzz_unexpected(c, "L2 %s refused: %ld", what, rc);
		if (v && pte_same(*e, v))
			fuzz_violation(c, "L2 %s refused but live", what);
	} else if (must_fail) {
		fuzz_violation(c, "L2 %s (0x%lx) accepted", what, v);
		set_entry(pte_maddr(tpt.l2, play), 0);
	} else if (may_fail) {
		c->selfmap_taken++;
	}
}

static const u64 uvmf[] = {UVMF_NONE, UVMF_INVLPG | UVMF_LOCAL,
			   UVMF_TLB_FLUSH | UVMF_LOCAL, UVMF_INVLPG | UVMF_ALL,
			   UVMF_TLB_FLUSH | UVMF_ALL};

static void op_uva(struct fuzz_cpu *c, unsigned int cpu, bool forbid)
{
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
	unsigned int s = own_slot(c, cpu);
	u64 v = forbid ? forbidden_value(c, cpu) : valid_value(&c->rng);
	u64 before = *fuzz_entry(t, s);
	long rc = hyp_update_va_mapping(fuzz_slot_va(t, s), v,
					uvmf[rng_below(&c->rng, 5)]);

	if (!forbid) {
		if (rc) {
			fuzz_refused(c, rc);
			fuzz_unexpected(c, "valid update_va_mapping rc %ld",
					rc);
		} else {
			fuzz_shadow[t][s] = v;
		}
		return;
	}
	if (!fuzz_refused(c, rc))
		fuzz_violation(c, "update_va_mapping took forbidden 0x%lx", v);
	check_refused(c, "update_va_mapping", fuzz_entry(t, s), v, before);
}

static void op_pin(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int k = (unsigned int)rng_below(&c->rng, SPARES);
	u64 mfn = mfn_of(ft.spare[cpu][k]);
	long rc;

	if (c->pinned[k]) {
		rc = mmuext(MMUEXT_UNPIN_TABLE, mfn);
		if (!rc)
			c->pinned[k] = false;
	} else {
		rc = mmuext(MMUEXT_PIN_L1_TABLE + k, mfn);
		if (!rc)
			c->pinned[k] = true;
	}
	if (fuzz_refused(c, rc))
		fuzz_unexpected(c, "%s spare L%u: rc %ld",
				c->pinned[k] ? "unpin" : "pin", k + 1, rc);
}

/* Pin what cannot be a table of that level: must be refused. */
static void op_pin_forbid(struct fuzz_cpu *c)
{
	unsigned int level;
	u64 mfn;
	long rc;

	switch (rng_below(&c->rng, 4)) {
	case 0: /* a data page, mapped writable by the kernel's tables */
		level = (unsigned int)rng_below(&c->rng, 4);
		mfn = mfn_of(ft.data[rng_below(&c->rng, FUZZ_DATA)]);
		break;
	case 1: /* the L2 as an L1 or an L3 */
		level = rng_below(&c->rng, 2) ? 0 : 2;
		mfn = mfn_of(tpt.l2);
		break;
	case 2: /* a test L1 as an L2 */
		level = 1;
		mfn = mfn_of(ft.l1[rng_below(&c->rng, FUZZ_TABLES)]);
		break;
	default: /* the boot L3 as an L4 */
		level = 3;
		mfn = mfn_of(tpt.l3);
		break;
	}
	rc = mmuext(MMUEXT_PIN_L1_TABLE + level, mfn);
	if (!fuzz_refused(c, rc)) {
		fuzz_violation(c, "pinned mfn 0x%lx as an L%u", mfn, level + 1);
		mmuext(MMUEXT_UNPIN_TABLE, mfn);
	}
}

static u64 root_mfn(struct fuzz_cpu *c, unsigned int cpu, bool spare)
{
	(void)c;
	return spare ? mfn_of(ft.spare[cpu][SPARE_L4])
		     : mfn_of((void *)ft.root);
}

static void op_baseptr(struct fuzz_cpu *c, unsigned int cpu)
{
	bool to_spare = !c->on_spare_root;
	long rc = mmuext(MMUEXT_NEW_BASEPTR, root_mfn(c, cpu, to_spare));

	if (!rc)
		c->on_spare_root = to_spare;
	else if (fuzz_refused(c, rc))
		fuzz_unexpected(c, "new_baseptr to the %s L4: rc %ld",
				to_spare ? "spare" : "boot", rc);
}

static void op_cr3(struct fuzz_cpu *c, unsigned int cpu)
{
	bool spare =
	    rng_below(&c->rng, 2) ? c->on_spare_root : !c->on_spare_root;
	u64 cr3 = root_mfn(c, cpu, spare) << PAGE_SHIFT;

	asm volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	c->on_spare_root = spare;
}

static void op_tlb(struct fuzz_cpu *c)
{
	static const unsigned int cmd[] = {
	    MMUEXT_TLB_FLUSH_LOCAL, MMUEXT_TLB_FLUSH_ALL, MMUEXT_INVLPG_LOCAL,
	    MMUEXT_INVLPG_ALL};
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
	u64 va = fuzz_slot_va(t, (unsigned int)rng_below(&c->rng, 512));
	long rc = mmuext(cmd[rng_below(&c->rng, 4)], va);

	if (fuzz_refused(c, rc))
		fuzz_unexpected(c, "TLB op rc %ld", rc);
}

static void op_flush(struct fuzz_cpu *c)
{
	long rc = mmuext(PVG_MMUEXT_FLUSH_BATCH, 0);

	if (fuzz_refused(c, rc))
		fuzz_unexpected(c, "explicit flush rc %ld", rc);
}

/* A multicall of 2-4 entries; each one's result checked like alone. */
static void op_multi(struct fuzz_cpu *c, unsigned int cpu)
{
	static struct multicall_entry mc[FUZZ_MAX_CPUS][4];
	static struct mmu_update req[FUZZ_MAX_CPUS][4];
	static struct mmuext_op ext[FUZZ_MAX_CPUS][4];
	static unsigned int done[FUZZ_MAX_CPUS][4];
	unsigned int n = 2 + (unsigned int)rng_below(&c->rng, 3), i;
	unsigned int kind[4], t[4], s[4];
	u64 val[4], before[4];
	long rc;

	for (i = 0; i < n; i++) {
		struct multicall_entry *m = &mc[cpu][i];

		memset(m, 0, sizeof(*m));
		kind[i] = (unsigned int)rng_below(&c->rng, 6);
		t[i] = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
		s[i] = own_slot(c, cpu);
		val[i] = kind[i] == 4 ? forbidden_value(c, cpu)
				      : valid_value(&c->rng);
		switch (kind[i]) {
		case 0: /* mmu_update, valid */
		case 4: /* mmu_update, forbidden */
			req[cpu][i].ptr = pte_maddr(ft.l1[t[i]], s[i]);
			req[cpu][i].val = val[i];
			m->op = HC_mmu_update;
			m->args[0] = (u64)&req[cpu][i];
			m->args[1] = 1;
			m->args[2] = (u64)&done[cpu][i];
			m->args[3] = DOMID_SELF;
			break;
		case 1: /* update_va_mapping, valid */
			m->op = HC_update_va_mapping;
			m->args[0] = fuzz_slot_va(t[i], s[i]);
			m->args[1] = val[i];
			m->args[2] = UVMF_INVLPG | UVMF_LOCAL;
			break;
		case 2: /* the explicit flush */
		case 3: /* a local TLB flush */
			ext[cpu][i].cmd = kind[i] == 2 ? PVG_MMUEXT_FLUSH_BATCH
						       : MMUEXT_TLB_FLUSH_LOCAL;
			m->op = HC_mmuext_op;
			m->args[0] = (u64)&ext[cpu][i];
			m->args[1] = 1;
			m->args[3] = DOMID_SELF;
			break;
		default:
			m->op = HC_xen_version;
			m->args[0] = XENVER_version;
			break;
		}
	}
	for (i = 0; i < n; i++)
		before[i] = *fuzz_entry(t[i], s[i]);
	rc = hypercall3(HC_multicall, (u64)mc[cpu], n, 0);
	if (rc) {
		fuzz_refused(c, rc);
		fuzz_unexpected(c, "multicall rc %ld", rc);
		return;
	}
	for (i = 0; i < n; i++) {
		long r = (long)mc[cpu][i].result;

		if (kind[i] == 4) {
			if (!fuzz_refused(c, r))
				fuzz_violation(c,
					       "multicall mmu_update took "
					       "forbidden 0x%lx",
					       val[i]);
			check_refused(c, "multicall", fuzz_entry(t[i], s[i]),
				      val[i], before[i]);
		} else if (kind[i] <= 1) {
			if (r)
				fuzz_unexpected(c, "multicall entry %u: %ld", i,
						r);
			else
				fuzz_shadow[t[i]][s[i]] = val[i];
		} else if (kind[i] <= 3 && fuzz_refused(c, r)) {
			fuzz_unexpected(c, "multicall mmuext %u: %ld", i, r);
		}
	}
}

/*
 * The iret hypercall with its frame at TOP, returning to the next
 * instruction on our stack.  IF in the saved flags is the upcall mask Xen
 * restores: clear while this vCPU takes no upcalls, set once it does.
 * The hypercall page's stub pushes rcx, r11 and rax itself.  A kernel
 * code selector with RPL 0, as in Xen's own bounce frames: RPL 3 would
 * ask for a return to user mode.
 */
static void iret_on(u64 top, bool events)
{
	u64 keep = events ? ~0ul : ~0x200ul;

	asm volatile(
	    "movq %%rsp, %%r8\n\t"
	    "movq %[top], %%rsp\n\t"
	    "pushq %[ss]\n\t"
	    "pushq %%r8\n\t"
	    "pushfq\n\t"
	    "andq %[keep], (%%rsp)\n\t"
	    "pushq %[cs]\n\t"
	    "leaq 1f(%%rip), %%r9\n\t"
	    "pushq %%r9\n\t"
	    "pushq $0\n\t"
	    "jmp *%[iret]\n"
	    "1:"
	    :
	    : [top] "r"(top), [iret] "r"(hypercall_page + HC_iret * 32),
	      [keep] "r"(keep), [ss] "i"(FLAT_KERNEL_SS64),
	      [cs] "i"(FLAT_KERNEL_CS64 & ~3)
	    : "r8", "r9", "memory", "cc");
}

static void op_iret(unsigned int cpu, enum fuzz_op op)
{
	bool events = evtchn_upcalls_enabled(cpu);

	switch (op) {
	case OP_IRET_IN:
		iret_on(fuzz_slot_va(FUZZ_L1D, FUZZ_STACK_SLOT + cpu) +
			    PAGE_SIZE,
			events);
		break;
	case OP_IRET_UNHOOKED:
		iret_on(fuzz_slot_va(0, FUZZ_STACK_SLOT + cpu) + PAGE_SIZE,
			events);
		break;
	default:
		iret_on((u64)&iret_stack[cpu][512], events);
		break;
	}
}

static void op_optin(struct fuzz_cpu *c)
{
	long rc = hyp_vm_assist(VMASST_CMD_disable, PVG_VMASST_PT_BATCH);

	if (!rc)
		rc = hyp_vm_assist(VMASST_CMD_enable, PVG_VMASST_PT_BATCH);
	fuzz_refused(c, rc);
}

/*
 * Read through a mapping.  An entry of this vCPU: invlpg first, then the
 * read must show the page the entry maps (or fault if it maps none).  One
 * of the other vCPU's: no invlpg (a hypercall would close its batch), so
 * that the read can meet the other vCPU's open batch and be bounced.
 */
static void op_read(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
	bool own = rng_below(&c->rng, 2) != 0;
	unsigned int other =
	    (cpu + 1 + (unsigned int)rng_below(&c->rng, fuzz_cpus - 1)) %
	    fuzz_cpus;
	unsigned int s = own_slot(c, own ? cpu : other);
	u64 va = fuzz_slot_va(t, s), want = fuzz_shadow[t][s], got;
	unsigned int i;
	bool faulted;

	if (own)
		mmuext(MMUEXT_INVLPG_LOCAL, va);
	faulted = fuzz_load((volatile u64 *)va, &got);
	c->skipped_reads += faulted;
	if (!own)
		return;
	if (!(want & PTE_P)) {
		if (!faulted)
			fuzz_violation(c,
				       "read through cleared l1 %u slot %u "
				       "worked (0x%lx)",
				       t, s, got);
		return;
	}
	for (i = 0; i < FUZZ_DATA; i++) {
		if (((want & PTE_ADDR_MASK) >> PAGE_SHIFT) !=
		    mfn_of(ft.data[i]))
			continue;
		if (faulted || got != (DATA_MAGIC | i))
			fuzz_violation(c,
				       "read through l1 %u slot %u: fault "
				       "%d, 0x%lx, want data page %u",
				       t, s, faulted, got, i);
	}
}

static void op_check(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES), s;

	for (s = cpu; s < FUZZ_SLOTS; s += fuzz_cpus)
		if (!pte_same(*fuzz_entry(t, s), fuzz_shadow[t][s]))
			fuzz_violation(c,
				       "l1 %u slot %u holds 0x%lx, last "
				       "stored 0x%lx",
				       t, s, *fuzz_entry(t, s),
				       fuzz_shadow[t][s]);
}

static enum fuzz_op draw(struct fuzz_cpu *c)
{
	unsigned int x = (unsigned int)rng_below(&c->rng, weight_sum), k;

	for (k = 0; k < OP_KINDS; k++) {
		unsigned int w = weight_of(k);

		if (x < w)
			return (enum fuzz_op)k;
		x -= w;
	}
	return OP_SPIN;
}

void fuzz_one(unsigned int cpu)
{
	struct fuzz_cpu *c = &fc[cpu];
	enum fuzz_op op = draw(c);
	unsigned int i, n;

	c->ops[op]++;
	c->cur = op;
	c->retries = 0;
	switch (op) {
	case OP_STORE:
		op_store(c, cpu);
		break;
	case OP_STORE_FORBID:
		op_store_forbid(c, cpu);
		break;
	case OP_STORE_L2:
		op_store_l2(c, cpu);
		break;
	case OP_MMU:
	case OP_MMU_FORBID:
		op_mmu(c, cpu, op == OP_MMU_FORBID);
		break;
	case OP_MMU_L2:
		op_mmu_l2(c, cpu);
		break;
	case OP_UVA:
	case OP_UVA_FORBID:
		op_uva(c, cpu, op == OP_UVA_FORBID);
		break;
	case OP_PIN:
		op_pin(c, cpu);
		break;
	case OP_PIN_FORBID:
		op_pin_forbid(c);
		break;
	case OP_BASEPTR:
		op_baseptr(c, cpu);
		break;
	case OP_CR3:
		op_cr3(c, cpu);
		break;
	case OP_TLB:
		op_tlb(c);
		break;
	case OP_FLUSH:
		op_flush(c);
		break;
	case OP_MULTI:
		op_multi(c, cpu);
		break;
	case OP_IRET_OUT:
	case OP_IRET_IN:
	case OP_IRET_UNHOOKED:
		op_iret(cpu, op);
		break;
	case OP_EVTCHN:
		fuzz_refused(c, hyp_evtchn_send(pvg_si->console_evtchn));
		break;
	case OP_UPCALL:
		fuzz_upcall(c, cpu);
		break;
	case OP_UPCALL_STACK:
		fuzz_upcall_on_stack(c, cpu);
		break;
	case OP_GRANT:
		fuzz_grant(c, cpu);
		break;
	case OP_GRANT_FORBID:
		fuzz_grant_forbid(c, cpu);
		break;
	case OP_OPTIN:
		op_optin(c);
		break;
	case OP_SPIN:
		n = (unsigned int)rng_below(&c->rng, 20000);
		for (i = 0; i < n; i++)
			asm volatile("pause");
		break;
	case OP_READ:
		op_read(c, cpu);
		break;
	default:
		op_check(c, cpu);
		break;
	}
}

/*
 * Back on the boot L4, so that the audit sees one root per vCPU, and no
 * grant mapping left (the audit counts foreign mappings).
 */
void fuzz_finish_cpu(unsigned int cpu)
{
	struct fuzz_cpu *c = &fc[cpu];

	fuzz_grant_unmap(c, cpu);
	if (c->on_spare_root &&
	    !mmuext(MMUEXT_NEW_BASEPTR, root_mfn(c, cpu, false)))
		c->on_spare_root = false;
}

/* SPDX-License-Identifier: MIT */
/*
 * BATCH attacks with two vCPUs (pvg.attack=smp-..., pvg.smp=1), each in a
 * guest of its own that dom0 has put in BATCH.  vCPU 0 holds a batch open
 * on l1[0] with native stores and no hypercall, while vCPU 1 reaches Xen
 * in a way that must close it first:
 *
 * - smp-flush-race: vCPU 1 issues hypercalls in a loop while vCPU 0 keeps
 *   storing valid PTEs, then a forbidden one.  Every valid store must
 *   survive the remote closes; the forbidden one must crash the guest at
 *   the close (revalidation failure), never go live.
 * - smp-mmu-update-open-l1: vCPU 1 mmu_updates the L1 vCPU 0 has open.
 *   The hypercall must close the batch first, so that each entry holds
 *   exactly one set of references; dom0 checks the domain goes away.
 * - smp-alias-after-close: vCPU 1 writes through the alias vCPU 0 was
 *   granted while the batch is open (validated at the close), then again,
 *   a forbidden PTE, after the close: that store must trap and be refused.
 *
 * - smp-bounced-read: vCPU 1 reads through the L1 vCPU 0 has open.  Xen
 *   must bounce the first fault to the guest (its L2 entry reads
 *   unhooked), and close the batch when the retry faults again.
 *
 * - smp-cr3-load: vCPU 1 reloads CR3 (a MOV that Xen emulates, no
 *   hypercall) while vCPU 0 has a batch open: the emulation must close it.
 *
 * - smp-close-l2-race: vCPU 1 waits until vCPU 0's flush has hooked the L1
 *   back, then at once clears the L3 slot that holds the batch's L2 (and
 *   restores it once the flush has returned).  If the closer dropped its
 * references to the L2 after letting other vCPUs in, its non-preemptible put
 * would be the last one and tear the L2 down: an assertion on a debug Xen,
 * which run.sh
 *   --widen-races builds with a delay between those two steps.
 *
 * - smp-bounce-bound: vCPU 0 loops native store + explicit flush on l1[0];
 *   vCPU 1 reads through l1[0] and, each time a fault is bounced to it,
 *   retries only once vCPU 0 has closed that batch and opened the next.
 *   Its faults per read must stay bounded (Xen must not let the owner
 *   reopen over an address a bounced vCPU has yet to retry).
 * - smp-bounce-hypercall: the same, but vCPU 1's fault handler makes a
 *   hypercall before it retries, as Linux's does (its explicit flush on a
 *   PMD that reads unhooked), and waits at most 4 ms for the reopen.  The
 *   hypercall must not lift the bound, which Xen keeps for a retry that
 *   comes within 10 ms of the vCPU's run time (hv-patches/BATCH.md).
 * - smp-bounce-two-ranges: vCPU 0 alternates its batches between l1[0]
 *   and l1[1]; vCPU 1's access is one movsq from the range of l1[0] to
 *   the range of l1[1], retried each time when vCPU 0 has the other range
 *   open.  Being kept off one range must not free the other.
 *
 * - smp-foreign-victim: a BATCH guest that another, unprivileged guest
 *   (foreign_probe.c) aims foreign MMU ops at.  It counts, per window that
 *   dom0 names in ptswitch/window, how many of its rounds opened a batch:
 *   the prober's refused calls must not keep it from batching.
 *
 * - smp-optin-race: the consent withdrawn and given from both vCPUs at
 *   once (smp_optin.c).
 *
 * - smp-iret-unhooked(-alias), smp-bounce-unhooked: Xen's own read of an
 *   iret frame and write of an exception frame in the range vCPU 0 has
 *   unhooked (smp_xen_access.c).
 *
 * Lines: "PVGUEST: ATTACK <name> ..." for dom0 (dom0/bench.sh), which
 * gives the verdict.  Spin waits only: a hypercall would close the batch.
 */
#include "hypercall.h"
#include "smp.h"
#include "smp_attack.h"
#include "testpt.h"

#define PF_ERR_WRITE 0x2
#define WAIT_NS 10000000000ul /* 10 s for the other vCPU */
#define RACE_NS 3000000000ul  /* valid stores for 3 s */
#define MMU_ROUNDS 100

void smp_attack(const char *name);
void smp_optin_race(const char *name); /* smp_optin.c */
void smp_xen_access(const char *name); /* smp_xen_access.c */

/* Per-vCPU expected write fault: the hook resumes after the store. */
static volatile u64 expect_addr[2], resume_rip[2], spurious[2];
static volatile bool faulted[2];

/* vCPU 0 and vCPU 1 take turns through these. */
static volatile unsigned int go, done;
static volatile bool stop;
static volatile u64 hammer_calls;
static volatile long mmu_rc_ok, mmu_rc_bad;
static volatile bool open_when_written, store_trapped;
static volatile unsigned int open_seen, closed_after;
static volatile u64 bounced_unhooked, read_value;

/* smp-bounce-bound: vCPU 1's adversarial retries (bounce_bound()). */
#define BOUNCE_READS 20
#define BOUNCE_CAP 50		    /* faults on one read: give up */
#define BOUNCE_WAIT_NS 50000000ul   /* 50 ms per wait for vCPU 0 */
#define BOUNCE_HANDLER_NS 4000000ul /* smp-bounce-hypercall: 4 ms */
static volatile bool adversary;
static volatile u64 read_resume, read_faults, reads_given_up;
/* Which smp-bounce-* case runs. */
enum bounce_how { BOUNCE_PLAIN, BOUNCE_HYPERCALL, BOUNCE_TWO_RANGES };
static volatile enum bounce_how bounce_how;

/* Wait (bounded) until our L2 entry for l1[L1] reads UNHOOKED. */
static void wait_l2_of(unsigned int l1, bool unhooked)
{
	u64 deadline =
	    now_ns() + (bounce_how == BOUNCE_HYPERCALL ? BOUNCE_HANDLER_NS
						       : BOUNCE_WAIT_NS);

	while (l1_unhooked(l1) != unhooked && now_ns() < deadline)
		asm volatile("pause");
}

static void wait_l2(bool unhooked)
{
	wait_l2_of(0, unhooked);
}

/*
 * vCPU 1 in smp-bounce-*: a fault at cr2 on its access.  If Xen bounced it
 * (the L2 entry reads unhooked), retry only at the worst time: once vCPU 0
 * has closed that batch and opened the next one (on the other range, for
 * smp-bounce-two-ranges).
 */
static bool adversary_retry(struct trap_frame *f, u64 cr2)
{
	unsigned int r = (cr2 - tpt.va) >> 21;

	if (++read_faults >= BOUNCE_CAP && read_resume) {
		reads_given_up++;
		f->rip = read_resume;
		return true;
	}
	if (l1_unhooked(r)) {
		bounced_unhooked++;
		if (bounce_how == BOUNCE_HYPERCALL)
			hyp_xen_version();
		wait_l2_of(r, false);
		wait_l2_of(bounce_how == BOUNCE_TWO_RANGES ? !r : r, true);
	}
	return true;
}

static bool attack_hook(struct trap_frame *f, u64 cr2)
{
	unsigned int cpu = smp_cpu();
	u64 hi = tpt.va + TEST_L1S * (512ul << PAGE_SHIFT);

	if (f->vector != 14)
		return false;
	if (resume_rip[cpu] && cr2 == expect_addr[cpu] &&
	    (f->error_code & PF_ERR_WRITE)) {
		faulted[cpu] = true;
		f->rip = resume_rip[cpu];
		resume_rip[cpu] = 0;
		return true;
	}
	/* Xen bounced an access to the range vCPU 0 has unhooked: retry. */
	if (cr2 < tpt.va || cr2 >= hi)
		return false;
	if (cpu == 1 && adversary)
		return ++spurious[cpu] <= 100000 && adversary_retry(f, cr2);
	if (!(((volatile u64 *)tpt.l2)[(cr2 - tpt.va) >> 21] & PTE_P))
		bounced_unhooked++;
	return ++spurious[cpu] <= 100000;
}

/* A store of VAL to *P; true if Xen bounced it back as a write fault. */
static bool store_traps(volatile u64 *p, u64 val)
{
	unsigned int cpu = smp_cpu();

	faulted[cpu] = false;
	expect_addr[cpu] = (u64)p;
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[resume]\n\t"
		     "movq %[val], (%[ptr])\n"
		     "1:"
		     : [resume] "=m"(resume_rip[cpu])
		     : [val] "r"(val), [ptr] "r"(p)
		     : "rax", "memory");
	resume_rip[cpu] = 0;
	return faulted[cpu];
}

bool l1_unhooked(unsigned int l1)
{
	return !(((volatile u64 *)tpt.l2)[l1] & PTE_P);
}

static u64 writable_pte(u64 mfn)
{
	return (mfn << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_A;
}

bool wait_until(volatile unsigned int *flag, unsigned int val)
{
	u64 deadline = now_ns() + WAIT_NS;

	while (*flag != val && now_ns() < deadline)
		asm volatile("pause");
	return *flag == val;
}

/*
 * Store valid PTEs into l1[0][slot] until one opens a batch (Xen emulates
 * a store instead while vCPU 1 is inside Xen).  True once one is open.
 */
bool open_batch(unsigned int slot)
{
	unsigned int i;

	for (i = 0; i < 10000; i++) {
		tpt.l1[0][slot] = i & 1 ? tpt.pte_rw : tpt.pte_ro;
		if (l1_unhooked(0))
			return true;
	}
	return false;
}

/*
 * vCPU 1: hypercalls in a loop, with gaps of varying length in between (in
 * which vCPU 0 can open a batch: none opens while vCPU 1 is in Xen).
 */
static void hammer(void)
{
	unsigned int i, gap = 1;

	while (!stop) {
		gap = gap * 1103515245 + 12345;
		for (i = 0; i < ((gap >> 16) & 255); i++)
			asm volatile("pause");
		hyp_xen_version();
		hammer_calls++;
	}
	done = 1;
}

static void flush_race(const char *name)
{
	volatile u64 *l1 = tpt.l1[0], *entry = &l1[101];
	u64 val[64], bad = writable_pte(virt_to_mfn(tpt.l2));
	unsigned int i, stores, opened = 0, closed = 0, attempts;
	bool was_open = false, ok = true;
	u64 deadline;

	if (smp_call(hammer)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	/* Phase 1: valid stores, batches closed under our feet. */
	deadline = now_ns() + RACE_NS;
	for (i = 0; (i & 1023) || now_ns() < deadline; i++) {
		bool now_open;

		val[i % 64] = (i / 64) & 1 ? tpt.pte_rw : tpt.pte_ro;
		l1[i % 64] = val[i % 64];
		now_open = l1_unhooked(0);
		opened += now_open && !was_open;
		closed += was_open && !now_open;
		was_open = now_open;
	}
	stores = i;
	for (i = 0; i < 64; i++)
		ok &= pte_same(l1[i], val[i]);
	pr("PVGUEST: ATTACK %s valid: stores %u, batches seen open %u, closed "
	   "between two of our stores %u, hypercalls by vCPU 1 %lu, entries "
	   "ok %d\n",
	   name, stores, opened, closed, hammer_calls, ok);

	/* Phase 2: a forbidden store into an open batch, left to vCPU 1. */
	for (attempts = 0; attempts < 1000; attempts++) {
		if (!open_batch(100))
			continue;
		if (!store_traps(entry, bad))
			break;
	}
	if (attempts == 1000) {
		stop = true;
		pr("PVGUEST: SKIP attack-%s no batch took the forbidden "
		   "store\n",
		   name);
		return;
	}
	pr("PVGUEST: ATTACK %s forbidden store in an open batch: %d\n", name,
	   l1_unhooked(0));
	deadline = now_ns() + WAIT_NS;
	while (l1_unhooked(0) && now_ns() < deadline)
		asm volatile("pause");
	stop = true;
	/* Xen must have crashed us at the close: we should not get here. */
	if (pte_same(*entry, bad))
		pr("PVGUEST: FAIL attack-%s the forbidden PTE is live after "
		   "the close (batch open %d)\n",
		   name, l1_unhooked(0));
	else
		pr("PVGUEST: ATTACK %s survived: entry 0x%lx, batch open %d\n",
		   name, *entry, l1_unhooked(0));
}

/* vCPU 1: each round, mmu_update the entries of the L1 vCPU 0 has open. */
static void mmu_writer(void)
{
	struct mmu_update req[2];
	unsigned int round, n;

	for (round = 1; round <= MMU_ROUNDS; round++) {
		if (!wait_until(&go, round))
			break;
		open_when_written = l1_unhooked(0);
		open_seen += open_when_written;
		req[0].ptr = pte_maddr(tpt.l1[0], 30) | MMU_NORMAL_PT_UPDATE;
		req[0].val = round & 1 ? tpt.pte_ro : tpt.pte_rw;
		req[1].ptr = pte_maddr(tpt.l1[0], 31) | MMU_NORMAL_PT_UPDATE;
		req[1].val = round & 1 ? tpt.pte_rw : tpt.pte_ro;
		if (!hyp_mmu_update(req, 2, &n) && n == 2)
			mmu_rc_ok++;
		/* vCPU 0 spins meanwhile: it cannot have opened another. */
		closed_after += open_when_written && !l1_unhooked(0);
		/* A forbidden entry: our L2 writable. */
		req[0].ptr = pte_maddr(tpt.l1[0], 32) | MMU_NORMAL_PT_UPDATE;
		req[0].val = writable_pte(virt_to_mfn(tpt.l2));
		if (hyp_mmu_update(req, 1, &n))
			mmu_rc_bad++;
		done = round;
	}
}

static void mmu_update_open_l1(const char *name)
{
	volatile u64 *l1 = tpt.l1[0];
	unsigned int round, ok = 0;
	u64 before = l1[32];

	if (smp_call(mmu_writer)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	for (round = 1; round <= MMU_ROUNDS; round++) {
		open_batch(30);
		go = round;
		if (!wait_until(&done, round))
			break;
		/* vCPU 1's writes came last: they must be what is there. */
		ok += pte_same(l1[30], round & 1 ? tpt.pte_ro : tpt.pte_rw) &&
		      pte_same(l1[31], round & 1 ? tpt.pte_rw : tpt.pte_ro);
	}
	pr("PVGUEST: ATTACK %s survived: rounds %u, batch open when vCPU 1 "
	   "wrote %u, closed by its hypercall %u, entries ok %u, mmu_update ok "
	   "%ld, forbidden refused %ld, forbidden entry unchanged %d\n",
	   name, round - 1, open_seen, closed_after, ok, mmu_rc_ok, mmu_rc_bad,
	   l1[32] == before);
}

/* vCPU 1: write through the alias during vCPU 0's batch, then after it. */
static void alias_writer(void)
{
	volatile u64 *l1 = tpt.l1[0];

	if (!wait_until(&go, 1))
		return;
	store_trapped = store_traps(&l1[41], tpt.pte_rw);
	open_when_written = l1_unhooked(0);
	done = 1;
	if (!wait_until(&go, 2))
		return;
	/* The batch is closed: our RW translation must be gone. */
	faulted[1] = store_traps(&l1[42], writable_pte(virt_to_mfn(tpt.l2)));
	done = 2;
}

static void alias_after_close(const char *name)
{
	volatile u64 *l1 = tpt.l1[0];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	u64 before = l1[42];
	bool opened, still_open, closed, kept;

	l1[41] = tpt.pte_ro;
	if (smp_call(alias_writer)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	opened = open_batch(40);
	go = 1;
	wait_until(&done, 1);
	still_open = l1_unhooked(0);
	/* Withdraw the opt-in (no new batch), which also closes this one. */
	hyp_vm_assist(VMASST_CMD_disable, PVG_VMASST_PT_BATCH);
	hyp_mmuext_op(&flush, 1);
	closed = !l1_unhooked(0);
	kept = pte_same(l1[41], tpt.pte_rw);
	go = 2;
	wait_until(&done, 2);
	pr("PVGUEST: ATTACK %s survived: batch opened %d, vCPU 1 wrote through "
	   "the alias while open %d (trapped %d), still open %d, closed %d, "
	   "its entry kept %d; store after the close trapped %d, entry "
	   "unchanged %d\n",
	   name, opened, open_when_written, store_trapped, still_open, closed,
	   kept, faulted[1], l1[42] == before);
}

/* vCPU 1: each round, read through the L1 vCPU 0 has open. */
static void reader(void)
{
	unsigned int round;

	for (round = 1; round <= MMU_ROUNDS; round++) {
		if (!wait_until(&go, round))
			break;
		open_seen += l1_unhooked(0);
		read_value = *(volatile u64 *)(tpt.va + 50 * PAGE_SIZE);
		/*
		 * A hypercall, as a real vCPU makes: once bounced, we keep
		 * batches off this L1 until our next one (hv-patches BATCH.md).
		 */
		hyp_xen_version();
		done = round;
	}
}

static void bounced_read(const char *name)
{
	u64 expect = *(volatile u64 *)tpt.data;
	unsigned int round, ok = 0;

	if (smp_call(reader)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	for (round = 1; round <= MMU_ROUNDS; round++) {
		open_batch(50);
		go = round;
		if (!wait_until(&done, round))
			break;
		ok += read_value == expect;
	}
	pr("PVGUEST: ATTACK %s survived: rounds %u, batch open before the read "
	   "%u, faults bounced to vCPU 1 %lu, with its L2 entry unhooked %lu, "
	   "reads ok %u\n",
	   name, round - 1, open_seen, spurious[1], bounced_unhooked, ok);
}

/* vCPU 1: each round, reload CR3 with the boot page tables. */
static void cr3_loader(void)
{
	u64 cr3 = virt_to_mfn((void *)pvg_si->pt_base) << PAGE_SHIFT;
	unsigned int round;

	for (round = 1; round <= MMU_ROUNDS; round++) {
		bool open;

		if (!wait_until(&go, round))
			break;
		open = l1_unhooked(0);
		open_seen += open;
		asm volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
		closed_after += open && !l1_unhooked(0);
		done = round;
	}
}

static void cr3_load(const char *name)
{
	unsigned int round;

	if (smp_call(cr3_loader)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	for (round = 1; round <= MMU_ROUNDS; round++) {
		open_batch(60);
		go = round;
		if (!wait_until(&done, round))
			break;
	}
	pr("PVGUEST: ATTACK %s survived: rounds %u, batch open before the load "
	   "%u, closed by it %u, entry ok %d\n",
	   name, round - 1, open_seen, closed_after,
	   pte_same(tpt.l1[0][60], tpt.pte_ro) ||
	       pte_same(tpt.l1[0][60], tpt.pte_rw));
}

/* vCPU 1: BOUNCE_READS reads through l1[0], faults counted per read. */
static volatile u64 max_read_faults, reads_ok;

/*
 * One movsq from the data page through l1[0][50] to its second word
 * through l1[1][51]; what arrived there.  The fault hook can skip it.
 */
static u64 copy_across(void)
{
	volatile u64 *dst = (volatile u64 *)tpt.data + 1;
	u64 src = tpt.va + 50 * PAGE_SIZE;
	u64 to = tpt.va + (512ul + 51) * PAGE_SIZE + sizeof(u64);

	*dst = 0;
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[resume]\n\t"
		     "movsq\n"
		     "1:"
		     : [resume] "=m"(read_resume), "+S"(src), "+D"(to)
		     :
		     : "rax", "memory");
	return *dst;
}

static void bounce_reader(void)
{
	u64 expect = *(volatile u64 *)tpt.data;
	volatile u64 *p = (volatile u64 *)(tpt.va + 50 * PAGE_SIZE);
	unsigned int r;

	if (!wait_until(&go, 1))
		return;
	adversary = true;
	for (r = 0; r < BOUNCE_READS; r++) {
		u64 val = 0;

		/* Read while vCPU 0 has a batch open (if it opens one). */
		wait_l2(true);
		read_faults = 0;
		/* A read the fault hook can skip (BOUNCE_CAP). */
		if (bounce_how == BOUNCE_TWO_RANGES)
			val = copy_across();
		else
			asm volatile(
			    "leaq 1f(%%rip), %%rax\n\t"
			    "movq %%rax, %[resume]\n\t"
			    "movq (%[ptr]), %[val]\n"
			    "1:"
			    : [resume] "=m"(read_resume), [val] "+r"(val)
			    : [ptr] "r"(p)
			    : "rax", "memory");
		read_resume = 0;
		reads_ok += val == expect;
		if (read_faults > max_read_faults)
			max_read_faults = read_faults;
		/* A hypercall between reads, as any real vCPU makes. */
		hyp_xen_version();
	}
	adversary = false;
	done = 1;
}

static void bounce_bound(const char *name, enum bounce_how how)
{
	volatile u64 *l1 = tpt.l1[0], *l1b = tpt.l1[1];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	u64 rounds, deadline;

	bounce_how = how;
	/* l1[0][50] maps the data page; l1[1][51] too, writable. */
	l1[50] = tpt.pte_ro;
	hyp_mmuext_op(&flush, 1);
	if (how == BOUNCE_TWO_RANGES) {
		l1b[51] = tpt.pte_rw;
		hyp_mmuext_op(&flush, 1);
	}
	if (smp_call(bounce_reader)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	/* The owner: store (opens a batch) and flush, until vCPU 1 is done. */
	deadline = now_ns() + 12 * WAIT_NS;
	go = 1;
	for (rounds = 0; done != 1 && now_ns() < deadline; rounds++) {
		l1[90] = rounds & 1 ? tpt.pte_rw : tpt.pte_ro;
		hyp_mmuext_op(&flush, 1);
		if (how != BOUNCE_TWO_RANGES)
			continue;
		l1b[90] = rounds & 1 ? tpt.pte_rw : tpt.pte_ro;
		hyp_mmuext_op(&flush, 1);
	}
	pr("PVGUEST: ATTACK %s survived: reads %d, read right %lu, faults "
	   "bounced with the L2 entry unhooked %lu, max faults on one read "
	   "%lu, reads given up %lu, rounds of vCPU 0 %lu\n",
	   name, BOUNCE_READS, reads_ok, bounced_unhooked, max_read_faults,
	   reads_given_up, rounds);
}

/* Set our slot of the boot L3 to VAL with one mmu_update; 0 on success. */
static long set_l3_slot(u64 val)
{
	struct mmu_update req = {.ptr = pte_maddr(tpt.l3, tpt.l3_slot) |
					MMU_NORMAL_PT_UPDATE,
				 .val = val};
	unsigned int n = 0;
	long rc = hyp_mmu_update(&req, 1, &n);

	return rc ? rc : (n == 1 ? 0 : -1);
}

static volatile unsigned int armed, flushed;
static volatile unsigned int l3_cleared, l3_restored;
static volatile long l3_last_rc;

/*
 * vCPU 1: each round, once vCPU 0's batch is open, spin (no hypercall)
 * until its flush has hooked the L1 back, then drop the L2 from the L3
 * and hook it in again.
 */
static void l2_dropper(void)
{
	u64 hook = tpt.l3[tpt.l3_slot];
	unsigned int round;
	long rc;

	for (round = 1; round <= MMU_ROUNDS; round++) {
		u64 deadline;

		if (!wait_until(&go, round))
			break;
		if (!l1_unhooked(0)) {
			/* Closed already (vCPU 0 descheduled): no race. */
			done = round;
			continue;
		}
		open_seen++;
		armed = round;
		deadline = now_ns() + WAIT_NS;
		while (l1_unhooked(0) && now_ns() < deadline)
			asm volatile("pause");
		rc = set_l3_slot(0);
		l3_cleared += !rc;
		if (rc)
			l3_last_rc = rc;
		/*
		 * Hook the L2 in again only once vCPU 0's flush has returned:
		 * until then the close may still hold its own reference.
		 */
		wait_until(&flushed, round);
		rc = set_l3_slot(hook);
		l3_restored += !rc;
		if (rc)
			l3_last_rc = rc;
		done = round;
	}
}

static void close_l2_race(const char *name)
{
	volatile u64 *l1 = tpt.l1[0];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	unsigned int round, ok = 0;
	u64 last = 0;

	if (smp_call(l2_dropper)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	for (round = 1; round <= MMU_ROUNDS; round++) {
		u64 deadline;

		last = round & 1 ? tpt.pte_rw : tpt.pte_ro;
		/* If no batch opens, vCPU 1 finds none and skips the round. */
		open_batch(70);
		l1[71] = last;
		go = round;
		deadline = now_ns() + WAIT_NS;
		while (armed != round && done != round && now_ns() < deadline)
			asm volatile("pause");
		/* Close the batch ourselves: vCPU 1 races with this close. */
		hyp_mmuext_op(&flush, 1);
		flushed = round;
		if (!wait_until(&done, round))
			break;
		ok += pte_same(l1[71], last);
	}
	pr("PVGUEST: ATTACK %s survived: rounds %u, batch open when vCPU 1 "
	   "looked %u, L3 slot cleared after the close %u, restored %u, "
	   "last error %ld, entries ok %u, data read %d\n",
	   name, round - 1, open_seen, l3_cleared, l3_restored, l3_last_rc, ok,
	   *(volatile u64 *)(tpt.va + 71 * PAGE_SIZE) ==
	       *(volatile u64 *)tpt.data);
}

/*
 * vCPU 1 of the victim: sleep, mostly outside Xen (a poll is one hypercall
 * a second), so that it seldom keeps a batch from opening and leaves the
 * CPU to the others.
 */
static void stay_out(void)
{
	while (!stop)
		sleep_ms(1000);
	done = 1;
}

/*
 * Rounds of 8 stores to l1[0] and the explicit flush, counted per window
 * (dom0 writes its name to ptswitch/window; "stop" ends the test).
 */
static void foreign_victim(const char *name)
{
	volatile u64 *l1 = tpt.l1[0];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	char window[32] = "", now[32];
	unsigned int round, rounds = 0, opened = 0, i;
	u64 deadline = now_ns() + 40 * WAIT_NS;

	/*
	 * stay_out may run twice: try for a minute, the lab's CPUs are
	 * shared with dom0 and the prober.
	 */
	for (i = 0; i < 6 && smp_call(stay_out); i++)
		;
	if (i == 6) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	for (round = 0; now_ns() < deadline; round++) {
		if (!(round & 31)) {
			if (xs_read("ptswitch/window", now, sizeof(now)) <= 0)
				now[0] = '\0';
			if (strncmp(now, window, sizeof(now))) {
				if (window[0])
					pr("PVGUEST: ATTACK %s window %s: "
					   "rounds %u, batches opened %u\n",
					   name, window, rounds, opened);
				memcpy(window, now, sizeof(window));
				rounds = opened = 0;
			}
			if (!strncmp(window, "stop", 5))
				break;
		}
		for (i = 0; i < 8; i++) {
			l1[80 + i] = (round + i) & 1 ? tpt.pte_rw : tpt.pte_ro;
			if (!i)
				opened += l1_unhooked(0);
		}
		rounds++;
		hyp_mmuext_op(&flush, 1);
	}
	stop = true;
	wait_until(&done, 1);
	pr("PVGUEST: ATTACK %s survived: ended by %s\n", name,
	   window[0] ? window : "time-out");
}

void smp_attack(const char *name)
{
	trap_set_hook(attack_hook);
	pr("PVGUEST: ATTACK %s start\n", name);
	if (!strncmp(name, "smp-flush-race", 32))
		flush_race(name);
	else if (!strncmp(name, "smp-mmu-update-open-l1", 32))
		mmu_update_open_l1(name);
	else if (!strncmp(name, "smp-cr3-load", 32))
		cr3_load(name);
	else if (!strncmp(name, "smp-bounced-read", 32))
		bounced_read(name);
	else if (!strncmp(name, "smp-alias-after-close", 32))
		alias_after_close(name);
	else if (!strncmp(name, "smp-close-l2-race", 32))
		close_l2_race(name);
	else if (!strncmp(name, "smp-bounce-bound", 32))
		bounce_bound(name, BOUNCE_PLAIN);
	else if (!strncmp(name, "smp-bounce-hypercall", 32))
		bounce_bound(name, BOUNCE_HYPERCALL);
	else if (!strncmp(name, "smp-bounce-two-ranges", 32))
		bounce_bound(name, BOUNCE_TWO_RANGES);
	else if (!strncmp(name, "smp-foreign-victim", 32))
		foreign_victim(name);
	else if (!strncmp(name, "smp-optin-race", 32))
		smp_optin_race(name);
	else if (!strncmp(name, "smp-iret-unhooked", 32) ||
		 !strncmp(name, "smp-iret-unhooked-alias", 32) ||
		 !strncmp(name, "smp-bounce-unhooked", 32))
		smp_xen_access(name);
	else
		pr("PVGUEST: SKIP attack-%s unknown attack\n", name);
	stop = true;
	smp_set_work(AP_EXIT);
	trap_set_hook(NULL);
}

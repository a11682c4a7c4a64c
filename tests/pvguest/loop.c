/* SPDX-License-Identifier: MIT */
/*
 * Loop mode: the workload and the BATCH semantics the kernel copes with.
 *
 *   phase 1  dense: each lazy section rewrites all 512 entries of L1 #0,
 *            then flushes (MMUEXT_FLUSH_PT_BATCH), the pattern BATCH is
 *            for; until ptswitchd has switched us to BATCH, and for
 *            hold_s more seconds
 *   phase 2  sparse: each lazy section rewrites one entry, alternating
 *            between the two L1s and spread over them, then flushes; in
 *            BATCH every write costs a whole batch, so the daemon should
 *            switch us back to EMULATE
 *   phase 3  the same sparse work for hold_s seconds: we must stay in
 *            EMULATE (no flapping)
 *
 * Coping with BATCH (the caps we advertise): while Xen has our L1
 * unhooked, our L2 entry reads not present with the frame kept, and our
 * software walk still reaches the L1 through that frame (missing-pde); a
 * not-present fault in the test range is retried (spurious-fault); every
 * lazy section ends with the explicit flush (lazy-flush).
 */
#include "agent.h"
#include "hypercall.h"
#include "loop.h"
#include "testpt.h"

#define NS_PER_MS 1000000ul
#define POLL_MS 250	     /* xenstore request/mode poll */
#define METRICS_MS 1000	     /* metrics interval */
#define MAX_RETRIES 100000ul /* a fault storm is not spurious */

enum pde_state { PDE_HOOKED, PDE_UNHOOKED, PDE_BAD };

static bool opted_in, selfcheck_ok, live_bad;
static u64 pgfaults, retries, pte_writes, lazy_flushes, flush_errors;
static u64 unhooked_seen, hooked_seen, pde_bad, walk_bad;
static u64 expect[TEST_L1S][512]; /* what each entry must hold */
/* Self-check only: the L2 slot to re-hook on a fault, as Xen would. */
static int rehook_slot = -1;
static u64 rehook_pde;

static u64 ms_since(u64 t0)
{
	return (now_ns() - t0) / NS_PER_MS;
}

static long set_pde(unsigned int slot, u64 val)
{
	struct mmu_update req = {
	    .ptr = pte_maddr(tpt.l2, slot) | MMU_NORMAL_PT_UPDATE,
	    .val = val,
	};
	struct mmuext_op flush = {.cmd = MMUEXT_TLB_FLUSH_LOCAL};
	unsigned int done = 0;
	long rc = hyp_mmu_update(&req, 1, &done);

	if (!rc && done != 1)
		rc = -1;
	return rc ? rc : hyp_mmuext_op(&flush, 1);
}

/*
 * What a software walk makes of our L2 entry SLOT.  A PDE whose present
 * bit is clear but whose frame is still our L1 is an L1 that Xen has
 * unhooked for a batch: it is there, not bad, and never "repaired".
 */
static enum pde_state pde_state(unsigned int slot)
{
	u64 e = ((volatile u64 *)tpt.l2)[slot];

	if ((e & PTE_ADDR_MASK) >> PAGE_SHIFT != virt_to_mfn(tpt.l1[slot]))
		return PDE_BAD;
	return e & PTE_P ? PDE_HOOKED : PDE_UNHOOKED;
}

/* The PTE of test address VA, read through its L1's alias. */
static bool walk(u64 va, u64 *pte)
{
	u64 off = va - tpt.va;
	unsigned int slot = (unsigned int)(off >> 21);

	if (va < tpt.va || slot >= TEST_L1S || pde_state(slot) == PDE_BAD)
		return false;
	*pte = ((volatile u64 *)tpt.l1[slot])[(off >> PAGE_SHIFT) & 511];
	return true;
}

static bool loop_fault(struct trap_frame *f, u64 cr2)
{
	u64 end = tpt.va + ((u64)TEST_L1S << 21);

	if (f->vector != 14 || (f->error_code & 1) || cr2 < tpt.va ||
	    cr2 >= end)
		return false;
	pgfaults++;
	if (rehook_slot >= 0) {
		long rc = set_pde((unsigned int)rehook_slot, rehook_pde);

		if (rc) {
			pr("PVGUEST: INFO loop: re-hooking L2 slot %d: %ld\n",
			   rehook_slot, rc);
			return false;
		}
		rehook_slot = -1;
	}
	/* Not present in our range: the L1 is being re-hooked; retry. */
	return ++retries <= MAX_RETRIES;
}

/*
 * Before advertising anything: put L1 #1 into the state a batch leaves
 * it in (present bit clear, frame kept, by our own mmu_update), and
 * check that we read and walk it correctly, and that a fault on its
 * range is retried and then succeeds (the fault handler re-hooks it,
 * standing in for Xen closing a batch).  NULL if all held.
 */
static const char *selfcheck(void)
{
	volatile u64 *va = (volatile u64 *)(tpt.va + (1ul << 21));
	u64 magic = *(volatile u64 *)tpt.data, pde = tpt.l2[1], pte = 0, got;
	u64 faults = retries;
	const char *why = NULL;

	if (testpt_set(1, 0, 1, tpt.pte_ro) || *va != magic)
		return "cannot map the probe page";
	if (set_pde(1, pde & ~(u64)PTE_P))
		return "cannot clear the probe PDE";
	if (pde_state(1) != PDE_UNHOOKED)
		why = "the cleared PDE does not read as unhooked";
	else if (!walk((u64)va, &pte) || !pte_same(pte, tpt.pte_ro))
		why = "the walk does not reach the unhooked L1";
	rehook_slot = 1;
	rehook_pde = pde;
	barrier(); /* the fault handler reads those two */
	got = *va; /* faults: not present */
	barrier();
	if (rehook_slot >= 0 && set_pde(1, pde))
		return "cannot restore the probe PDE";
	rehook_slot = -1;
	if (!why && retries != faults + 1)
		why = "the not-present fault was not taken and retried once";
	else if (!why && got != magic)
		why = "the retried read returned the wrong data";
	else if (!why && pde_state(1) != PDE_HOOKED)
		why = "the PDE is not present again";
	if (testpt_set(1, 0, 1, 0))
		return "cannot unmap the probe page";
	return why;
}

/* The capability probe behind caps and every answer. */
static const char *probe(void)
{
	if (!opted_in)
		return "vm-assist-off";
	if (!selfcheck_ok)
		return "selfcheck-failed";
	if (live_bad)
		return "missing-pde-check-failed";
	return NULL;
}

static void lazy_flush(void)
{
	struct mmuext_op op = {.cmd = PVG_MMUEXT_FLUSH_BATCH};

	lazy_flushes++;
	if (hyp_mmuext_op(&op, 1) && !flush_errors++)
		pr("PVGUEST: INFO loop: MMUEXT_FLUSH_PT_BATCH refused "
		   "(unpatched Xen); the call still ends the section\n");
}

static u64 flip(u64 cur)
{
	return pte_same(cur, tpt.pte_ro) ? tpt.pte_rw : tpt.pte_ro;
}

/*
 * Right after the first store of a section: if Xen opened a batch, our
 * L2 entry reads unhooked and the store is visible through the walk.
 */
static void check_live(unsigned int slot, unsigned int idx, u64 val)
{
	u64 pte;

	switch (pde_state(slot)) {
	case PDE_HOOKED:
		hooked_seen++;
		return;
	case PDE_UNHOOKED:
		unhooked_seen++;
		if (walk(tpt.va + ((u64)slot << 21) + ((u64)idx << PAGE_SHIFT),
			 &pte) &&
		    pte_same(pte, val))
			return;
		walk_bad++;
		break;
	case PDE_BAD:
		pde_bad++;
		break;
	}
	if (!live_bad)
		pr("PVGUEST: WARN loop: L2 entry %u reads 0x%lx while "
		   "batched: withdrawing the caps\n",
		   slot, tpt.l2[slot]);
	live_bad = true;
}

static void run_dense(void)
{
	volatile u64 *l1 = tpt.l1[0];
	u64 v = flip(expect[0][0]);
	unsigned int i;

	l1[0] = v; /* in BATCH, this store opens the batch */
	check_live(0, 0, v);
	for (i = 1; i < 512; i++)
		l1[i] = v;
	lazy_flush();
	for (i = 0; i < 512; i++)
		expect[0][i] = v;
	pte_writes += 512;
}

static void run_sparse(u64 n)
{
	unsigned int slot = (unsigned int)(n & 1);
	unsigned int idx = (unsigned int)((n / 2 * 97) % 512);
	u64 v = flip(expect[slot][idx]);

	((volatile u64 *)tpt.l1[slot])[idx] = v;
	check_live(slot, idx, v);
	lazy_flush();
	expect[slot][idx] = v;
	pte_writes++;
}

static bool entries_intact(void)
{
	unsigned int s, i;

	for (s = 0; s < TEST_L1S; s++)
		for (i = 0; i < 512; i++)
			if (!pte_same(tpt.l1[s][i], expect[s][i])) {
				pr("PVGUEST: INFO loop: L1 %u entry %u is "
				   "0x%lx, expected 0x%lx\n",
				   s, i, tpt.l1[s][i], expect[s][i]);
				return false;
			}
	return true;
}

struct loop_state {
	unsigned int phase; /* 1, 2, 3; 0 when done */
	enum agent_mode mode;
	u64 t_start, t_phase, t_batch, t_sparse, t_back, switches;
	const char *end; /* why the loop ended early, or NULL */
};

static const char *const mode_name[] = {"unknown", "emulate", "batch"};

/* Poll the daemon and move between phases on the mode it reports. */
static void step(struct loop_state *s, const struct loop_params *p)
{
	enum agent_mode m = agent_poll();
	u64 now = now_ns(), in_phase = (now - s->t_phase) / NS_PER_MS;

	if (m != s->mode && m != AGENT_MODE_UNKNOWN) {
		pr("PVGUEST: LOOP mode %s t=%lu ms (phase %u for %lu ms)\n",
		   mode_name[m], ms_since(s->t_start), s->phase, in_phase);
		if (s->mode != AGENT_MODE_UNKNOWN)
			s->switches++;
		s->mode = m;
	}
	if (s->phase == 1 && m == AGENT_MODE_BATCH && !s->t_batch) {
		s->t_batch = now;
		pr("PVGUEST: LOOP batch after %lu ms of dense writes\n",
		   in_phase);
	}
	if (s->phase == 1 && s->t_batch &&
	    now - s->t_batch >= p->hold_s * 1000 * NS_PER_MS) {
		s->phase = 2;
		s->t_phase = s->t_sparse = now;
		pr("PVGUEST: LOOP phase 2: sparse writes (1 PTE per lazy "
		   "section)\n");
	} else if (s->phase == 2 && m == AGENT_MODE_EMULATE) {
		s->t_back = now;
		s->phase = 3;
		s->t_phase = now;
		pr("PVGUEST: LOOP emulate after %lu ms of sparse writes\n",
		   in_phase);
	} else if (s->phase == 3 &&
		   now - s->t_phase >= p->hold_s * 1000 * NS_PER_MS) {
		s->phase = 0;
	} else if (s->phase != 3) {
		u64 limit = probe() ? p->incapable_s : p->timeout_s;

		if (in_phase >= limit * 1000) {
			s->end = s->phase == 1 ? "no switch to BATCH"
					       : "no switch back to EMULATE";
			pr("PVGUEST: LOOP %s within %lu s\n", s->end, limit);
			s->phase = 0;
		}
	}
}

static void report(const struct loop_state *s)
{
	const char *why = probe();

	pr("PVGUEST: LOOP summary to_batch_ms=%lu to_emulate_ms=%lu "
	   "switches_seen=%lu pte_writes=%lu lazy_flushes=%lu "
	   "unhooked_seen=%lu hooked_seen=%lu pde_bad=%lu walk_bad=%lu "
	   "faults_retried=%lu requests=%lu acks_ok=%lu acks_refused=%lu\n",
	   s->t_batch ? (s->t_batch - s->t_start) / NS_PER_MS : 0,
	   s->t_back ? (s->t_back - s->t_sparse) / NS_PER_MS : 0, s->switches,
	   pte_writes, lazy_flushes, unhooked_seen, hooked_seen, pde_bad,
	   walk_bad, retries, agent_stats.requests, agent_stats.acks_ok,
	   agent_stats.acks_refused);
	if (why && !opted_in) {
		pr("PVGUEST: SKIP loop-batch BATCH not possible: caps-reason "
		   "%s (hypervisor without the ptswitch opt-in)\n",
		   why);
	} else if (why) {
		pr("PVGUEST: FAIL loop-batch the kernel withdrew its caps: "
		   "%s\n",
		   why);
	} else {
		if (agent_stats.acks_ok && s->t_batch)
			pr("PVGUEST: PASS loop-handshake answered \"%s\"\n",
			   agent_stats.last_ack);
		else
			pr("PVGUEST: FAIL loop-handshake requests %lu, acks "
			   "ok %lu\n",
			   agent_stats.requests, agent_stats.acks_ok);
		if (s->t_batch)
			pr("PVGUEST: PASS loop-batch-reached after %lu ms\n",
			   (s->t_batch - s->t_start) / NS_PER_MS);
		else
			pr("PVGUEST: FAIL loop-batch-reached %s\n", s->end);
		if (unhooked_seen && !pde_bad && !walk_bad)
			pr("PVGUEST: PASS loop-l2-read-while-batched %lu "
			   "sections saw the L2 entry unhooked, frame kept\n",
			   unhooked_seen);
		else if (s->t_batch)
			pr("PVGUEST: FAIL loop-l2-read-while-batched unhooked "
			   "%lu, bad %lu, walk %lu\n",
			   unhooked_seen, pde_bad, walk_bad);
		if (s->t_back)
			pr("PVGUEST: PASS loop-emulate-again after %lu ms of "
			   "sparse writes\n",
			   (s->t_back - s->t_sparse) / NS_PER_MS);
		else if (s->t_batch)
			pr("PVGUEST: FAIL loop-emulate-again %s\n", s->end);
		if (s->t_back && !s->end && s->mode == AGENT_MODE_EMULATE &&
		    s->switches == 2)
			pr("PVGUEST: PASS loop-no-flap two switches, still in "
			   "emulate at the end\n");
		else if (s->t_back)
			pr("PVGUEST: FAIL loop-no-flap %lu switches, mode %s "
			   "at the end\n",
			   s->switches, mode_name[s->mode]);
	}
	if (entries_intact())
		pr("PVGUEST: PASS loop-entries-intact all %u entries hold "
		   "what was written last\n",
		   TEST_L1S * 512);
	else
		pr("PVGUEST: FAIL loop-entries-intact\n");
}

void loop_run(const struct loop_params *p)
{
	struct loop_state s = {.phase = 1};
	u64 next_poll = 0, next_metrics = 0, n = 0;
	const char *why;
	long rc;

	trap_set_hook(loop_fault);
	rc = hyp_vm_assist(VMASST_CMD_enable, PVG_VMASST_PT_BATCH);
	opted_in = rc == 0;
	pr("PVGUEST: OPTIN vm_assist(pt_batch) rc=%ld\n", rc);
	if (opted_in) {
		why = selfcheck();
		selfcheck_ok = !why;
		if (why)
			pr("PVGUEST: FAIL loop-selfcheck %s\n", why);
		else
			pr("PVGUEST: PASS loop-selfcheck unhooked L2 entry "
			   "read and walked, not-present fault retried\n");
	} else {
		pr("PVGUEST: SKIP loop-selfcheck no opt-in (rc %ld)\n", rc);
	}
	/* A known start: every entry of both L1s maps the data page RO. */
	if (testpt_set(0, 0, 512, tpt.pte_ro) ||
	    testpt_set(1, 0, 512, tpt.pte_ro)) {
		pr("PVGUEST: FAIL loop-setup resetting the L1s failed\n");
		return;
	}
	for (n = 0; n < 512; n++)
		expect[0][n] = expect[1][n] = tpt.pte_ro;
	s.t_start = s.t_phase = now_ns();
	if (agent_start(probe, s.t_start))
		pr("PVGUEST: WARN loop: publishing the agent failed\n");

	pr("PVGUEST: LOOP phase 1: dense writes (512 PTEs per lazy "
	   "section)\n");
	for (n = 0; s.phase;) {
		u64 now = now_ns();

		if (now >= next_metrics) {
			u64 v[AM_COUNT] = {[AM_PGFAULT] = pgfaults,
					   [AM_PTE_WRITES] = pte_writes,
					   [AM_LAZY_FLUSHES] = lazy_flushes};

			agent_reprobe();
			agent_metrics(v);
			next_metrics = now + METRICS_MS * NS_PER_MS;
		}
		if (now >= next_poll) {
			step(&s, p);
			next_poll = now + POLL_MS * NS_PER_MS;
		}
		if (s.phase == 1)
			run_dense();
		else if (s.phase)
			run_sparse(n++);
	}
	trap_set_hook(NULL);
	report(&s);
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz mode (pvg.mode=fuzz pvg.seed=S pvg.ops=N pvg.vcpus=V): vCPUs 0 to
 * V-1 (2 to 4) each run N random page-table operations (fuzz_ops.c,
 * fuzz_events.c) from their own stream of the seed, at once, in BATCH if
 * dom0 put the domain there; then vCPU 0 closes any batch, audits the
 * tables (fuzz_audit.c) and reports: operations per kind, refusals per
 * errno, violations (must be 0).
 */
#include "evtchn.h"
#include "fuzz.h"
#include "hypercall.h"
#include "smp.h"

struct fuzz_tables ft;
struct fuzz_cpu fc[FUZZ_MAX_CPUS];
u64 fuzz_shadow[FUZZ_TABLES][512];
u64 fuzz_spare_shadow[FUZZ_MAX_CPUS][512];
bool fuzz_iret_unhooked;
unsigned int fuzz_cpus = 2;

static volatile u64 ops_target, ops_done[FUZZ_MAX_CPUS];
static volatile bool finished[FUZZ_MAX_CPUS], released;

static const char *const op_names[OP_KINDS] = {
    [OP_STORE] = "store",
    [OP_STORE_FORBID] = "store_forbidden",
    [OP_STORE_L2] = "store_l2",
    [OP_MMU] = "mmu_update",
    [OP_MMU_FORBID] = "mmu_update_forbidden",
    [OP_MMU_L2] = "mmu_update_l2",
    [OP_UVA] = "update_va_mapping",
    [OP_UVA_FORBID] = "update_va_mapping_forbidden",
    [OP_PIN] = "pin_unpin",
    [OP_PIN_FORBID] = "pin_forbidden",
    [OP_BASEPTR] = "new_baseptr",
    [OP_CR3] = "cr3_load",
    [OP_TLB] = "tlb_flush",
    [OP_FLUSH] = "explicit_flush",
    [OP_MULTI] = "multicall",
    [OP_IRET_OUT] = "iret_stack_out",
    [OP_IRET_IN] = "iret_stack_in",
    [OP_IRET_UNHOOKED] = "iret_stack_unhooked",
    [OP_EVTCHN] = "evtchn_send",
    [OP_UPCALL] = "upcall",
    [OP_UPCALL_STACK] = "upcall_on_batchable_stack",
    [OP_GRANT] = "grant_map_unmap",
    [OP_GRANT_FORBID] = "grant_forbidden",
    [OP_OPTIN] = "consent_toggle",
    [OP_SPIN] = "spin",
    [OP_READ] = "read_through",
    [OP_CHECK] = "check_shadow",
};

const char *fuzz_op_name(enum fuzz_op op)
{
	return op_names[op];
}

static void note(struct fuzz_cpu *c, const char *what, const char *fmt,
		 va_list ap)
{
	unsigned int i;
	int n;

	for (i = 0; i < FUZZ_NOTES && c->note[i][0]; i++)
		;
	if (i == FUZZ_NOTES)
		return;
	n = snprintf(c->note[i], sizeof(c->note[i]), "%s ", what);
	vsnprintf(c->note[i] + n, sizeof(c->note[i]) - (size_t)n, fmt, ap);
}

void fuzz_violation(struct fuzz_cpu *c, const char *fmt, ...)
{
	va_list ap;

	c->violations++;
	va_start(ap, fmt);
	note(c, "violation", fmt, ap);
	va_end(ap);
}

void fuzz_unexpected(struct fuzz_cpu *c, const char *fmt, ...)
{
	va_list ap;

	c->unexpected++;
	va_start(ap, fmt);
	note(c, "unexpected", fmt, ap);
	va_end(ap);
}

bool fuzz_refused(struct fuzz_cpu *c, long rc)
{
	unsigned int e;

	if (rc >= 0)
		return false;
	e = -rc < FUZZ_ERRNOS ? (unsigned int)-rc : 0;
	c->refused[e]++;
	c->refused_by[c->cur][e]++;
	return true;
}

/*
 * Faults the fuzzer expects.  In the first 2 MiB ranges of the test L2, a
 * fault whose PDE reads unhooked (another vCPU's batch: Xen bounced it) or
 * whose PTE is present (bounced, the batch closed since) is retried; any
 * other fault resumes after the access the current op marked, if any.
 */
static bool fuzz_hook(struct trap_frame *f, u64 cr2)
{
	struct fuzz_cpu *c = &fc[smp_cpu()];
	u64 hi = tpt.va + FUZZ_RANGE_SLOTS * (512ul << PAGE_SHIFT);

	if (f->vector != 14)
		return false;
	if (cr2 >= tpt.va && cr2 < hi && c->retries < 100000) {
		unsigned int slot = (unsigned int)((cr2 - tpt.va) >> 21);
		u64 pde = ((volatile u64 *)tpt.l2)[slot];
		unsigned int t = slot < FUZZ_L1S ? slot : FUZZ_L1D;
		u64 leaf =
		    ((volatile u64 *)ft.l1[t])[(cr2 >> PAGE_SHIFT) & 511];

		if ((pde && !(pde & PTE_P)) || (leaf & PTE_P)) {
			c->spurious++;
			c->retries++;
			return true;
		}
	}
	if (c->retries >= 100000)
		fuzz_violation(c, "no progress: 100000 faults at 0x%lx", cr2);
	if (!c->resume_rip)
		return false;
	c->faulted = true;
	f->rip = c->resume_rip;
	c->resume_rip = 0;
	return true;
}

/* vCPUs 1 and up. */
static void fuzz_worker(unsigned int cpu)
{
	u64 i;
	long rc = evtchn_upcalls_on(cpu);

	if (rc)
		fuzz_unexpected(&fc[cpu], "vCPU %u takes no upcalls: %ld", cpu,
				rc);
	for (i = 0; i < ops_target; i++) {
		fuzz_one(cpu);
		ops_done[cpu] = i + 1;
	}
	fuzz_finish_cpu(cpu);
	finished[cpu] = true;
	/* vCPU 1 idles in smp.c; the others here, taking the final events. */
	while (cpu > 1 && !released)
		hyp_sched_op(SCHEDOP_yield, NULL);
}

static void fuzz_ap(void)
{
	fuzz_worker(1);
}

static bool all_finished(void)
{
	unsigned int cpu;

	for (cpu = 1; cpu < fuzz_cpus; cpu++)
		if (!finished[cpu])
			return false;
	return true;
}

/* " vcpu0=N vcpu1=N ..." */
static const char *done_list(void)
{
	static char buf[96];
	unsigned int cpu;
	int n = 0;

	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " vcpu%u=%lu",
			      cpu, (u64)ops_done[cpu]);
	return buf;
}

static const char *errno_name(unsigned int e)
{
	switch (e) {
	case XEN_EPERM:
		return "EPERM";
	case XEN_ENOENT:
		return "ENOENT";
	case 3:
		return "ESRCH";
	case 12:
		return "ENOMEM";
	case XEN_EFAULT:
		return "EFAULT";
	case XEN_EBUSY:
		return "EBUSY";
	case XEN_EINVAL:
		return "EINVAL";
	case XEN_ENOSYS:
		return "ENOSYS";
	case XEN_EOPNOTSUPP:
		return "EOPNOTSUPP";
	default:
		return NULL;
	}
}

static void report(u64 ms)
{
	char line[240];
	unsigned int k, e, cpu;
	u64 total, sum[OP_KINDS] = {0}, ref[FUZZ_ERRNOS] = {0};
	u64 pf = 0, none = 0, unexp = 0, spur = 0, skipped = 0, selfmap = 0;
	int n = 0;

	for (cpu = 0; cpu < fuzz_cpus; cpu++) {
		for (k = 0; k < OP_KINDS; k++)
			sum[k] += fc[cpu].ops[k];
		for (e = 0; e < FUZZ_ERRNOS; e++)
			ref[e] += fc[cpu].refused[e];
		pf += fc[cpu].refused_pf;
		none += fc[cpu].no_effect;
		unexp += fc[cpu].unexpected;
		spur += fc[cpu].spurious;
		skipped += fc[cpu].skipped_reads;
		selfmap += fc[cpu].selfmap_taken;
	}
	for (k = 0, total = 0; k < OP_KINDS; k++)
		total += sum[k];
	pr("PVGUEST: FUZZ ops total=%lu%s ms=%lu\n", total, done_list(), ms);
	for (k = 0; k < OP_KINDS; k++) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%lu",
			      op_names[k], sum[k]);
		if (n > 160 || k + 1 == OP_KINDS) {
			pr("PVGUEST: FUZZ ops%s\n", line);
			n = 0;
		}
	}
	n = snprintf(line, sizeof(line), " pagefault=%lu", pf);
	for (e = 0; e < FUZZ_ERRNOS; e++) {
		const char *name = errno_name(e);

		if (!ref[e])
			continue;
		if (name)
			n += snprintf(line + n, sizeof(line) - (size_t)n,
				      " %s=%lu", name, ref[e]);
		else
			n += snprintf(line + n, sizeof(line) - (size_t)n,
				      " E%u=%lu", e, ref[e]);
	}
	pr("PVGUEST: FUZZ refusals%s\n", line);
	for (k = 0; k < OP_KINDS; k++) {
		n = 0;
		for (e = 0; e < FUZZ_ERRNOS; e++) {
			const char *name = errno_name(e);
			u64 v = 0;

			for (cpu = 0; cpu < fuzz_cpus; cpu++)
				v += fc[cpu].refused_by[k][e];
			if (!v)
				continue;
			if (name)
				n +=
				    snprintf(line + n, sizeof(line) - (size_t)n,
					     " %s=%lu", name, v);
			else
				n +=
				    snprintf(line + n, sizeof(line) - (size_t)n,
					     " E%u=%lu", e, v);
		}
		if (n)
			pr("PVGUEST: FUZZ refusals_by %s%s\n", op_names[k],
			   line);
	}
	fuzz_report_events();
	pr("PVGUEST: FUZZ other forbidden_no_effect=%lu unexpected=%lu "
	   "faults_retried=%lu reads_faulted=%lu l2_selfmaps_taken=%lu\n",
	   none, unexp, spur, skipped, selfmap);
	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		for (k = 0; k < FUZZ_NOTES && fc[cpu].note[k][0]; k++)
			pr("PVGUEST: FUZZ note vcpu%u %s\n", cpu,
			   fc[cpu].note[k]);
}

void fuzz_run(u64 seed, u64 ops, bool batch_on)
{
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	struct fuzz_audit a;
	u64 i, t0, ms, deadline, violations, unexpected;
	long rc;
	unsigned int cpu;

	/* First: whether dom0 granted a page decides the grant ops' weights. */
	fuzz_setup_events();
	fuzz_setup_ops();
	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		rng_seed(&fc[cpu].rng, seed, cpu);
	pr("PVGUEST: FUZZ start seed=%lu ops=%lu vcpus=%u batch=%d "
	   "iret_unhooked=%d max_page=%lu\n",
	   seed, ops, fuzz_cpus, batch_on, fuzz_iret_unhooked, ft.max_page);
	trap_set_hook(fuzz_hook);
	ops_target = ops;
	if (smp_call(fuzz_ap))
		pvg_panic("vCPU 1 did not take the fuzz work");
	if (smp_start_extra(fuzz_cpus, fuzz_worker))
		pvg_panic("fuzz: cannot bring up vCPUs 2 and up");
	rc = evtchn_upcalls_on(0);
	if (rc)
		fuzz_unexpected(&fc[0], "vCPU 0 takes no upcalls: %ld", rc);
	t0 = now_ns();
	for (i = 0; i < ops; i++) {
		fuzz_one(0);
		ops_done[0] = i + 1;
		if (ops >= 10 && !((i + 1) % (ops / 10)))
			pr("PVGUEST: FUZZ progress%s ms=%lu\n", done_list(),
			   (now_ns() - t0) / 1000000);
	}
	fuzz_finish_cpu(0);
	/* The others get as long again as vCPU 0 took, and a minute. */
	deadline = now_ns() + (now_ns() - t0) + 60000000000ul;
	while (!all_finished() && now_ns() < deadline)
		sleep_ms(10);
	ms = (now_ns() - t0) / 1000000;
	for (cpu = 1; cpu < fuzz_cpus; cpu++)
		if (!finished[cpu])
			fuzz_violation(&fc[0],
				       "vCPU %u stuck after %lu of %lu ops",
				       cpu, (u64)ops_done[cpu], ops);
	pr("PVGUEST: FUZZ ops-done ms=%lu\n", ms);
	fuzz_check_events();
	released = true;

	/* The explicit flush closes any batch; its result is part of it. */
	rc = hyp_mmuext_op(&flush, 1);
	if (rc)
		fuzz_violation(&fc[0], "explicit flush at the end: rc %ld", rc);
	fuzz_audit_run(&a);
	report(ms);
	for (cpu = 0, violations = 0, unexpected = 0; cpu < fuzz_cpus; cpu++) {
		violations += fc[cpu].violations;
		unexpected += fc[cpu].unexpected;
	}
	pr("PVGUEST: FUZZ audit roots=%lu tables=%lu leaves=%lu "
	   "writable_table_maps=%lu foreign_maps=%lu unhooked_pdes=%lu "
	   "lost_updates=%lu superpages=%lu flush_rc=%ld\n",
	   a.roots, a.tables, a.leaves, a.writable_tables, a.foreign,
	   a.unhooked_pdes, a.lost_updates, a.superpages, rc);
	pr("PVGUEST: FUZZ result seed=%lu ops=%lu violations=%lu "
	   "unexpected=%lu\n",
	   seed, fuzz_cpus * ops, violations, unexpected);
	if (violations)
		pr("PVGUEST: FAIL fuzz-guest-audit seed %lu: %lu violations\n",
		   seed, violations);
	else
		pr("PVGUEST: PASS fuzz-guest-audit seed %lu: %lu ops, 0 "
		   "violations\n",
		   seed, fuzz_cpus * ops);
	trap_set_hook(NULL);
	smp_set_work(AP_EXIT);
}

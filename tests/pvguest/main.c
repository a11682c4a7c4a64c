/* SPDX-License-Identifier: MIT */
/*
 * ptswitch PV test kernel: boot, build test page tables, measure the cost
 * of a PTE write in each page-table update mode, report on the console.
 * Every line meant for tools starts with "PVGUEST: " (see README.md).
 */
#include "bench.h"
#include "fuzz.h"
#include "hypercall.h"
#include "loop.h"
#include "smp.h"
#include "testpt.h"

#define DEFAULT_REPEATS 15
#define DEFAULT_BATCH_WAIT_S 120

struct start_info *pvg_si;
struct shared_info_head *pvg_shared;

void mm_init(u64 boot_stack_top);
void pvg_main(struct start_info *si, u64 boot_stack_top);
const char *safety_run(const char *batch_na, bool batch_ran);
void wprotect_check(void);	/* wprotect.c */
void batchflag_check(bool smp); /* batchflag.c */
void safety_attack(const char *name, u64 foreign_mfn);
void foreign_probe(u64 victim);

__attribute__((noreturn)) void pvg_shutdown(unsigned int reason)
{
	unsigned int arg = reason;

	con_flush();
	for (;;)
		hyp_sched_op(SCHEDOP_shutdown, &arg);
}

__attribute__((noreturn)) void pvg_panic(const char *msg)
{
	pr("PVGUEST: FATAL %s\n", msg);
	pvg_shutdown(SHUTDOWN_crash);
}

/* "name=value" from the command line (xl's extra=), or DEF. */
static u64 cmdline_u64(const char *name, u64 def)
{
	const char *p = pvg_si->cmd_line;
	size_t n = strlen(name);

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=')
			return parse_u64(p + n + 1, NULL);
		while (*p && *p != ' ')
			p++;
	}
	return def;
}

/* "name=value" from the command line into BUF (empty if absent). */
static void cmdline_str(const char *name, char *buf, size_t size)
{
	const char *p = pvg_si->cmd_line;
	size_t n = strlen(name), i = 0;

	buf[0] = '\0';
	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			for (p += n + 1; *p && *p != ' ' && i + 1 < size; p++)
				buf[i++] = *p;
			buf[i] = '\0';
			return;
		}
		while (*p && *p != ' ')
			p++;
	}
}

static void map_shared_info(void)
{
	void *va = alloc_page();

	if (hyp_update_va_mapping((u64)va,
				  pvg_si->shared_info | PTE_P | PTE_RW | PTE_A,
				  UVMF_INVLPG | UVMF_LOCAL))
		pvg_panic("cannot map shared_info");
	pvg_shared = va;
}

/*
 * BATCH runs only if the hypervisor takes our consent (the vm-assist) and
 * dom0 then put this domain in BATCH: dom0 answers in
 * ptswitch/pvguest-batch, "applied" or why not.  Returns NULL when BATCH
 * is on, else the reason it is not.
 */
static const char *batch_gate(u64 wait_s)
{
	static char why[160];
	char val[128];
	u64 deadline;
	long rc;

	rc = hyp_vm_assist(VMASST_CMD_enable, PVG_VMASST_PT_BATCH);
	pr("PVGUEST: OPTIN vm_assist(pt_batch) rc=%ld\n", rc);
	if (rc) {
		snprintf(why, sizeof(why),
			 "vm_assist(VMASST_TYPE_pt_batch) refused (%ld): "
			 "hypervisor without the ptswitch opt-in",
			 rc);
		return why;
	}
	if (xs_write("data/ptswitch/pvguest", "opted-in"))
		pr("PVGUEST: WARN cannot write data/ptswitch/pvguest\n");
	deadline = now_ns() + wait_s * 1000000000ul;
	while (now_ns() < deadline) {
		if (xs_read("ptswitch/pvguest-batch", val, sizeof(val)) > 0) {
			if (!strncmp(val, "applied", 8))
				return NULL;
			snprintf(why, sizeof(why), "dom0 set-mode batch: %s",
				 val);
			return why;
		}
		sleep_ms(500);
	}
	snprintf(why, sizeof(why),
		 "no answer from dom0 in ptswitch/pvguest-batch within %lu s",
		 wait_s);
	return why;
}

/* Stop vCPU 1 and report the spurious faults both vCPUs took in BATCH. */
static void report_smp(const char *batch_na)
{
	u64 ptes, runs, f;

	if (smp_set_work(AP_EXIT))
		pr("PVGUEST: WARN vCPU 1 did not stop\n");
	ptes = batch_ptes + ap_batch_ptes;
	runs = batch_runs + ap_batches;
	f = batch_spurious_faults;
	if (batch_na) {
		pr("PVGUEST: INFO spurious_fault_rate n/a: %s\n", batch_na);
		return;
	}
	/* Faults this guest saw and retried, both vCPUs (bench.c). */
	pr("PVGUEST: INFO spurious_fault_rate faults=%lu vcpu0=%lu vcpu1=%lu "
	   "l2_unhooked=%lu l2_hooked_again=%lu batches=%lu batched_ptes=%lu "
	   "per_batch=%lu.%03lu per_1000_ptes=%lu.%03lu "
	   "per_million_ptes=%lu\n",
	   f, batch_faults_vcpu[0], batch_faults_vcpu[1], batch_faults_unhooked,
	   batch_faults_rehooked, runs, ptes, runs ? f / runs : 0,
	   runs ? f * 1000 / runs % 1000 : 0, ptes ? f * 1000 / ptes : 0,
	   ptes ? f * 1000000 / ptes % 1000 : 0, ptes ? f * 1000000 / ptes : 0);
}

void pvg_main(struct start_info *si, u64 boot_stack_top)
{
	static struct bench_result res;
	bool smp;
	unsigned int repeats;
	const char *batch_na;
	char domid[16], attack[32], mode[16];
	u64 t0;
	long rc;

	pvg_si = si;
	mm_init(boot_stack_top);
	map_shared_info();
	con_init();
	trap_init();

	rc = hyp_xen_version();
	if (xs_read("domid", domid, sizeof(domid)) < 0)
		snprintf(domid, sizeof(domid), "?");
	pr("PVGUEST: START xen=%ld.%ld domid=%s nr_pages=%lu tsc_khz=%lu "
	   "cmdline=\"%s\"\n",
	   rc >> 16, rc & 0xffff, domid, si->nr_pages, tsc_khz(), si->cmd_line);

	/* EMULATE is Xen's writable-pagetable assist: switch it on. */
	rc = hyp_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);
	if (rc)
		pvg_panic("vm_assist(writable_pagetables) refused");
	rc = testpt_setup();
	if (rc) {
		pr("PVGUEST: FATAL test page tables: %ld\n", rc);
		pvg_shutdown(SHUTDOWN_crash);
	}
	rc = testpt_selftest();
	if (rc) {
		pr("PVGUEST: FATAL self-test %ld: PTE writes do not reach the "
		   "page tables\n",
		   rc);
		pvg_shutdown(SHUTDOWN_crash);
	}
	pr("PVGUEST: SELFTEST ok (emulated and mmu_update writes map the "
	   "data page; L3 slot %u)\n",
	   tpt.l3_slot);

	pr("PVGUEST: INFO data_mfn=%lu\n", virt_to_mfn(tpt.data));

	/* Loop mode: ptswitchd drives the mode, no benchmark (loop.c). */
	cmdline_str("pvg.mode", mode, sizeof(mode));
	if (!strncmp(mode, "loop", 5)) {
		struct loop_params lp = {
		    .timeout_s = cmdline_u64("pvg.loop_timeout", 300),
		    .hold_s = cmdline_u64("pvg.loop_hold", 15),
		    .incapable_s = cmdline_u64("pvg.loop_incapable", 20),
		};

		loop_run(&lp);
		pr("PVGUEST: DONE\n");
		pvg_shutdown(SHUTDOWN_poweroff);
	}

	/*
	 * Fuzz mode (fuzz.c): two vCPUs, BATCH if dom0 grants it, random
	 * page-table operations from pvg.seed, pvg.ops each, then the audit.
	 */
	if (!strncmp(mode, "fuzz", 5)) {
		if (smp_start())
			pvg_panic("cannot start vCPU 1");
		batch_na = batch_gate(
		    cmdline_u64("pvg.batch_wait", DEFAULT_BATCH_WAIT_S));
		if (batch_na)
			pr("PVGUEST: SKIP fuzz-batch %s (fuzzing EMULATE)\n",
			   batch_na);
		fuzz_iret_unhooked = cmdline_u64("pvg.fuzz_iret", 2) >= 2;
		fuzz_cpus = (unsigned int)cmdline_u64("pvg.vcpus", 2);
		if (fuzz_cpus < 2 || fuzz_cpus > FUZZ_MAX_CPUS)
			pvg_panic("fuzz: pvg.vcpus must be 2 to 4");
		fuzz_run(cmdline_u64("pvg.seed", 1),
			 cmdline_u64("pvg.ops", 10000), !batch_na);
		pr("PVGUEST: DONE\n");
		pvg_shutdown(SHUTDOWN_poweroff);
	}

	/*
	 * pvg.probe=DOMID: no opt-in, no benchmark; foreign MMU ops aimed at
	 * another domain (foreign_probe.c).
	 */
	if (cmdline_u64("pvg.probe", ~0ul) != ~0ul) {
		foreign_probe(cmdline_u64("pvg.probe", 0));
		pr("PVGUEST: DONE\n");
		pvg_shutdown(SHUTDOWN_poweroff);
	}

	/* A BATCH attack runs alone: no benchmark, dom0 judges the outcome. */
	cmdline_str("pvg.attack", attack, sizeof(attack));
	if (attack[0]) {
		/* The SMP attacks need vCPU 1 (smp_attack.c). */
		if (cmdline_u64("pvg.smp", 0) && smp_start())
			pvg_panic("cannot start vCPU 1");
		batch_na = batch_gate(
		    cmdline_u64("pvg.batch_wait", DEFAULT_BATCH_WAIT_S));
		if (batch_na)
			pr("PVGUEST: SKIP attack-%s %s\n", attack, batch_na);
		else
			safety_attack(attack,
				      cmdline_u64("pvg.foreign_mfn", 0));
		pr("PVGUEST: DONE\n");
		pvg_shutdown(SHUTDOWN_poweroff);
	}

	smp = cmdline_u64("pvg.smp", 0) != 0;
	if (smp) {
		rc = smp_start();
		if (rc) {
			pr("PVGUEST: FATAL cannot start vCPU 1: %ld\n", rc);
			pvg_shutdown(SHUTDOWN_crash);
		}
		pr("PVGUEST: INFO vCPU 1 up: two vCPUs write at once\n");
		bench_set_smp(true);
	}

	repeats = (unsigned int)cmdline_u64("pvg.repeats", DEFAULT_REPEATS);
	if (repeats < 1)
		repeats = 1;
	t0 = now_ns();
	if (smp) {
		bench_mode(&res, BM_NATIVE, repeats);
		bench_mode(&res, BM_EMULATE, repeats);
		bench_mode(&res, BM_MMU_UPDATE, repeats);
	} else {
		static const enum bench_mode turns[] = {BM_NATIVE, BM_EMULATE,
							BM_MMU_UPDATE};

		bench_modes(&res, turns, ARRAY_SIZE(turns), repeats);
	}
	batch_na =
	    batch_gate(cmdline_u64("pvg.batch_wait", DEFAULT_BATCH_WAIT_S));
	if (!batch_na) {
		bench_mode(&res, BM_BATCH, repeats);
		trap_set_hook(NULL);
		if (!res.ran[BM_BATCH])
			batch_na = res.error[BM_BATCH];
		else {
			wprotect_check();
			batchflag_check(smp);
		}
		/* Withdraw the consent: from here on Xen emulates again. */
		rc = hyp_vm_assist(VMASST_CMD_disable, PVG_VMASST_PT_BATCH);
		if (rc)
			pr("PVGUEST: WARN vm_assist disable pt_batch: %ld\n",
			   rc);
	}
	pr("PVGUEST: INFO benchmark took %lu ms of Xen system time\n",
	   (now_ns() - t0) / 1000000);
	bench_report(&res, repeats, batch_na ? batch_na : "");
	if (smp)
		report_smp(batch_na);
	/* dom0 compares this with the hypervisor's per-domain counter. */
	pr("PVGUEST: INFO emulated_writes=%lu\n",
	   bench_emulated_writes + 1 + ap_emulated_writes);
	/* The self-test's emulated write is a run of 1 (vCPU 0 only). */
	if (!smp)
		pr("PVGUEST: INFO emul_runs=%lu,%lu,%lu,%lu,%lu,%lu\n",
		   bench_emul_runs[0] + 1, bench_emul_runs[1],
		   bench_emul_runs[2], bench_emul_runs[3], bench_emul_runs[4],
		   bench_emul_runs[5]);

	safety_run(batch_na ? batch_na : "", res.ran[BM_BATCH]);

	pr("PVGUEST: DONE\n");
	pvg_shutdown(SHUTDOWN_poweroff);
}

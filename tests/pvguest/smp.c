/* SPDX-License-Identifier: MIT */
/*
 * vCPU 1, brought up with VCPUOP_initialise/VCPUOP_up on the boot page
 * tables, with our trap table and its own stack.  It writes the entries
 * of the second test L1 in the mode vCPU 0 is measuring, so that the
 * measurement sees two vCPUs updating page tables at once (the same data
 * page, different L1s).  The fuzzer may bring up vCPUs 2 and 3 as well,
 * each running one function and going down.
 */
#include "smp.h"
#include "hypercall.h"
#include "testpt.h"

#define AP_STACK_SIZE 16384
#define AP_WAIT_MS 10000

extern char ap_entry[], extra_entry[];
void pvg_ap_main(void);
void pvg_extra_main(void);

static u8 ap_stack[AP_STACK_SIZE] __attribute__((aligned(16)));
static u8 extra_stack[SMP_MAX_CPUS - 2][AP_STACK_SIZE]
    __attribute__((aligned(16)));
static struct vcpu_guest_context ap_ctxt, extra_ctxt[SMP_MAX_CPUS - 2];
static void (*volatile extra_fn)(unsigned int cpu);
static volatile bool ap_alive;
static volatile enum ap_work ap_request = AP_IDLE, ap_doing = AP_IDLE;
static volatile long ap_error;
volatile u64 ap_emulated_writes, ap_batch_ptes, ap_batches;
static void (*volatile ap_fn)(void);

/* Other stacks a vCPU may run on (the fuzzer's iret stacks). */
#define MAX_STACKS (3 * SMP_MAX_CPUS)
static struct {
	u64 lo, hi;
	unsigned int cpu;
} stacks[MAX_STACKS];
static unsigned int nr_stacks;

void smp_add_stack(u64 lo, u64 hi, unsigned int cpu)
{
	if (nr_stacks == MAX_STACKS)
		pvg_panic("smp: too many stacks");
	stacks[nr_stacks].lo = lo;
	stacks[nr_stacks].hi = hi;
	stacks[nr_stacks++].cpu = cpu;
}

/*
 * Which vCPU we are, by the stack we run on: a fault taken on another
 * vCPU's idea of the stack would read the other vCPU's cr2.
 */
unsigned int smp_cpu(void)
{
	u64 sp = (u64)__builtin_frame_address(0);
	unsigned int i;

	if (sp >= (u64)ap_stack && sp < (u64)ap_stack + AP_STACK_SIZE)
		return 1;
	if (sp >= (u64)extra_stack &&
	    sp < (u64)extra_stack + sizeof(extra_stack))
		return 2 +
		       (unsigned int)((sp - (u64)extra_stack) / AP_STACK_SIZE);
	for (i = 0; i < nr_stacks; i++)
		if (sp >= stacks[i].lo && sp < stacks[i].hi)
			return stacks[i].cpu;
	return 0;
}

static bool wait_for(volatile bool *flag)
{
	u64 deadline = now_ns() + AP_WAIT_MS * 1000000ul;

	while (!*flag && now_ns() < deadline)
		hyp_sched_op(SCHEDOP_yield, NULL);
	return *flag;
}

/* Start vCPU CPU at ENTRY on the boot page tables with our trap table. */
static long vcpu_start(unsigned int cpu, struct vcpu_guest_context *ctxt,
		       char *entry, u8 *stack)
{
	long rc;

	memset(ctxt, 0, sizeof(*ctxt));
	ctxt->flags = VGCF_in_kernel;
	ctxt->user_regs.rip = (u64)entry;
	ctxt->user_regs.rsp = (u64)stack + AP_STACK_SIZE;
	ctxt->user_regs.cs = FLAT_KERNEL_CS64;
	ctxt->user_regs.ss = FLAT_KERNEL_SS64;
	/* Events masked, as on vCPU 0 (evtchn.c registers a callback). */
	ctxt->user_regs.saved_upcall_mask = 1;
	ctxt->kernel_ss = FLAT_KERNEL_SS64;
	ctxt->kernel_sp = ctxt->user_regs.rsp;
	ctxt->ctrlreg[3] = virt_to_mfn((void *)pvg_si->pt_base) << PAGE_SHIFT;
	trap_copy(ctxt->trap_ctxt);

	rc = hyp_vcpu_op(VCPUOP_initialise, cpu, ctxt);
	if (!rc)
		rc = hyp_vcpu_op(VCPUOP_up, cpu, NULL);
	return rc;
}

int smp_start(void)
{
	long rc = vcpu_start(1, &ap_ctxt, ap_entry, ap_stack);

	if (rc)
		return (int)rc;
	return wait_for(&ap_alive) ? 0 : -1;
}

int smp_start_extra(unsigned int n, void (*fn)(unsigned int cpu))
{
	unsigned int cpu;
	long rc;

	extra_fn = fn;
	for (cpu = 2; cpu < n && cpu < SMP_MAX_CPUS; cpu++) {
		rc = vcpu_start(cpu, &extra_ctxt[cpu - 2], extra_entry,
				extra_stack[cpu - 2]);
		if (rc)
			return (int)rc;
	}
	return 0;
}

/* vCPUs 2 and up: run the function once, then go down. */
void pvg_extra_main(void)
{
	unsigned int cpu = smp_cpu();

	extra_fn(cpu);
	for (;;)
		hyp_vcpu_op(2 /* VCPUOP_down */, cpu, NULL);
}

int smp_set_work(enum ap_work work)
{
	u64 deadline = now_ns() + AP_WAIT_MS * 1000000ul;

	ap_request = work;
	while (ap_doing != work && now_ns() < deadline)
		sleep_ms(1);
	if (ap_error) {
		pr("PVGUEST: ERROR vCPU 1 work %d failed: %ld\n", work,
		   ap_error);
		return -1;
	}
	return ap_doing == work ? 0 : -1;
}

int smp_call(void (*fn)(void))
{
	ap_fn = fn;
	return smp_set_work(AP_CALL);
}

/* Read the page entry I of vCPU 0's test L1 maps. */
static void ap_read_other(unsigned int i)
{
	(void)*(volatile u8 *)(tpt.va + (u64)i * PAGE_SIZE);
}

static void ap_write(enum ap_work work, u64 val)
{
	static struct mmu_update req[512];
	volatile u64 *l1 = tpt.l1[1];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	unsigned int i, done = 0;
	long rc = 0;

	switch (work) {
	case AP_WRITE_EMULATE:
		for (i = 0; i < 512; i++)
			l1[i] = val;
		ap_emulated_writes += 512;
		break;
	case AP_WRITE_MMU:
		for (i = 0; i < 512; i++) {
			req[i].ptr = pte_maddr(tpt.l1[1], i);
			req[i].val = val;
		}
		rc = hyp_mmu_update(req, 512, &done);
		break;
	case AP_WRITE_BATCH:
		/*
		 * Also read through the L1 vCPU 0 batches, every 64 stores and
		 * after the flush: while its batch is open, Xen bounces such a
		 * read to us as a spurious fault (bench.c counts, retries).
		 */
		for (i = 0; i < 512; i++) {
			l1[i] = val;
			if ((i & 63) == 63)
				ap_read_other(i);
		}
		rc = hyp_mmuext_op(&flush, 1);
		ap_batch_ptes += 512;
		ap_batches++;
		for (i = 0; i < 512; i += 8)
			ap_read_other(i);
		break;
	default:
		break;
	}
	if (rc && !ap_error)
		ap_error = rc;
}

void pvg_ap_main(void)
{
	u64 val = tpt.pte_ro;

	ap_alive = true;
	for (;;) {
		enum ap_work work = ap_request;

		if (work == AP_EXIT) {
			ap_doing = AP_EXIT;
			hyp_vcpu_op(2 /* VCPUOP_down */, 1, NULL);
			continue;
		}
		ap_doing = work;
		if (work == AP_CALL) {
			void (*fn)(void) = ap_fn;

			ap_fn = NULL;
			if (fn)
				fn();
			sleep_ms(1);
			continue;
		}
		if (work == AP_IDLE) {
			sleep_ms(1);
			continue;
		}
		val = val == tpt.pte_ro ? tpt.pte_rw : tpt.pte_ro;
		ap_write(work, val);
	}
}

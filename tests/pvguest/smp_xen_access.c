/* SPDX-License-Identifier: MIT */
/*
 * Xen's own accesses to guest memory in a range a batch has unhooked
 * (issue 14 item 3), with two vCPUs (pvg.attack=..., pvg.smp=1):
 *
 * - smp-iret-unhooked: vCPU 1 issues the iret hypercall with its frame on
 *   a stack page that l1[0] maps, while vCPU 0 holds a batch open on
 *   l1[0].  Xen reads the frame itself (do_iret()).
 * - smp-bounce-unhooked: vCPU 1 executes int3 with its stack pointer in
 *   that page while the batch is open.  Xen writes the exception frame
 *   itself (create_bounce_frame).
 * - smp-iret-unhooked-alias: as smp-iret-unhooked, with the frame reached
 *   through a second L3 slot that maps the same L2: another address for
 *   the PDE the batch has unhooked, which Xen must recognise too.
 *
 * vCPU 1 writes everything it needs in the page before vCPU 0 opens the
 * batch, so that its first access to the range during the batch is Xen's.
 * Xen cannot bounce a fault of its own access to the guest: it must close
 * the batch and complete the access.  Before, it crashed the domain.
 * XA_ROUNDS rounds: vCPU 0 may be descheduled (which closes its batch)
 * before vCPU 1's access in some; dom0 checks that Xen's own fault closed
 * at least one (flush.fault).
 *
 * Line: "PVGUEST: ATTACK <name> survived: ..." for dom0
 * (dom0/smp-attacks.sh), which gives the verdict.  Spin waits only: a
 * hypercall would close the batch.
 */
#include "hypercall.h"
#include "smp.h"
#include "smp_attack.h"
#include "testpt.h"

#define XA_STACK_SLOT 300 /* l1[0] slot of vCPU 1's stack page */
#define XA_OPEN_SLOT 91	  /* l1[0] slot vCPU 0 stores to, to open */
#define XA_ROUNDS 10
#define XA_STARVE_NS 12000000ul /* > Xen's PV_PT_STARVE_NS (10 ms) */
#define IRET_WORDS 9		/* rax r11 rcx flags rip cs rflags rsp ss */

void smp_xen_access(const char *name);

/* Round numbers: vCPU 1 ready, vCPU 0's batch open (go), vCPU 1 back. */
static volatile unsigned int ready, go, done;
static volatile unsigned int open_seen, closed_after, returned, int3_seen;
static bool use_iret;
static u64 stack_va; /* vCPU 1's view of its stack page */

/* Only vCPU 1 executes an int3 here (smp_on_ap() goes by the stack). */
static bool int3_hook(struct trap_frame *f, u64 cr2)
{
	(void)cr2;
	if (f->vector != 3 || use_iret)
		return false;
	int3_seen++;
	return true; /* rip is already past the int3 */
}

/*
 * vCPU 1, iret: the frame is written in full (rip and rsp included) before
 * ready is raised; once go is seen, rsp moves onto it and the syscall
 * enters do_iret() without the guest touching the range.
 */
static void iret_in_range(volatile u64 *frame, unsigned int round)
{
	frame[3] = 0;			  /* flags: not from syscall */
	frame[5] = FLAT_KERNEL_CS64 & ~3; /* RPL 0: stay in kernel mode */
	frame[6] = 0x2;			  /* rflags: IF clear */
	frame[8] = FLAT_KERNEL_SS64;
	asm volatile(
	    "leaq 1f(%%rip), %%rax\n\t"
	    "movq %%rax, 32(%[f])\n\t" /* rip */
	    "movq %%rsp, 56(%[f])\n\t" /* rsp */
	    "movl %[r], %[ready]\n"
	    "2:\tpause\n\t"
	    "cmpl %[r], %[go]\n\t"
	    "jne 2b\n\t"
	    "movq %[f], %%rsp\n\t"
	    "movl %[nr], %%eax\n\t"
	    "syscall\n"
	    "1:"
	    : [ready] "=m"(ready)
	    : [f] "r"(frame), [go] "m"(go), [r] "r"(round), [nr] "i"(HC_iret)
	    : "rax", "rcx", "r11", "memory", "cc");
}

/* vCPU 1, bounce: int3 with rsp at TOP, nothing stored there by us. */
static void int3_in_range(u64 top, unsigned int round)
{
	asm volatile("movq %%rsp, %%r8\n\t"
		     "movl %[r], %[ready]\n"
		     "2:\tpause\n\t"
		     "cmpl %[r], %[go]\n\t"
		     "jne 2b\n\t"
		     "movq %[top], %%rsp\n\t"
		     "int3\n\t"
		     "movq %%r8, %%rsp"
		     : [ready] "=m"(ready)
		     : [top] "r"(top), [go] "m"(go), [r] "r"(round)
		     : "r8", "memory", "cc");
}

static void lift_starvation(void)
{
	u64 until = now_ns() + XA_STARVE_NS;

	while (now_ns() < until)
		asm volatile("pause");
	hyp_xen_version();
}

static void accessor(void)
{
	u64 top = stack_va + PAGE_SIZE;
	unsigned int round;

	for (round = 1; round <= XA_ROUNDS; round++) {
		if (use_iret)
			iret_in_range(
			    (volatile u64 *)(top - 16 - IRET_WORDS * 8), round);
		else
			int3_in_range(top - 16, round);
		returned++;
		closed_after += !l1_unhooked(0);
		/*
		 * Xen starved us on the range; a hypercall after 10 ms of
		 * our run time lifts it, so that the next round can batch.
		 */
		lift_starvation();
		done = round;
	}
}

/* Hook our L2 into the next L3 slot too: its VA for the stack page. */
static u64 alias_stack_va(void)
{
	struct mmu_update req;
	unsigned int s = tpt.l3_slot + 1, n = 0;

	if (s >= 512 || (tpt.l3[s] & PTE_P))
		return 0;
	req.ptr = pte_maddr(tpt.l3, s) | MMU_NORMAL_PT_UPDATE;
	req.val = (virt_to_mfn(tpt.l2) << PAGE_SHIFT) | PTE_P | PTE_RW |
		  PTE_US | PTE_A;
	if (hyp_mmu_update(&req, 1, &n) || n != 1)
		return 0;
	return ((u64)s << 30) + (u64)XA_STACK_SLOT * PAGE_SIZE;
}

void smp_xen_access(const char *name)
{
	u64 *stack = alloc_page();
	unsigned int round;

	use_iret = strncmp(name, "smp-bounce-unhooked", 32);
	stack_va = tpt.va + (u64)XA_STACK_SLOT * PAGE_SIZE;
	if (testpt_set(0, XA_STACK_SLOT, 1,
		       (virt_to_mfn(stack) << PAGE_SHIFT) | PTE_P | PTE_RW |
			   PTE_A | PTE_D)) {
		pr("PVGUEST: SKIP attack-%s cannot map the stack page\n", name);
		return;
	}
	if (!strncmp(name, "smp-iret-unhooked-alias", 32) &&
	    !(stack_va = alias_stack_va())) {
		pr("PVGUEST: SKIP attack-%s cannot map the L2 twice\n", name);
		return;
	}
	trap_set_hook(int3_hook);
	if (smp_call(accessor)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	for (round = 1; round <= XA_ROUNDS; round++) {
		if (!wait_until(&ready, round))
			break;
		open_seen += open_batch(XA_OPEN_SLOT);
		go = round;
		if (!wait_until(&done, round))
			break;
	}
	if (round <= XA_ROUNDS) {
		pr("PVGUEST: FAIL attack-%s vCPU 1 stopped in round %u\n", name,
		   round);
		return;
	}
	pr("PVGUEST: ATTACK %s survived: rounds %u, batch open before the "
	   "access %u, vCPU 1 returned %u, batch closed by then %u, int3 "
	   "handled %u, entry ok %d\n",
	   name, XA_ROUNDS, open_seen, returned, closed_after, int3_seen,
	   pte_same(tpt.l1[0][XA_OPEN_SLOT], tpt.pte_ro) ||
	       pte_same(tpt.l1[0][XA_OPEN_SLOT], tpt.pte_rw));
}

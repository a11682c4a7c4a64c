/*
 * Safety tests.  The BATCH ones (issue 6, item 3) need a hypervisor that
 * implements BATCH; until this guest runs in BATCH they report SKIP with
 * the reason, never PASS.
 *
 * The EMULATE controls run today: the same forbidden PTE writes, through
 * ptwr emulation and through mmu_update, must be refused by stock Xen
 * (the write faults back to us, or the hypercall fails) and leave the
 * entry as it was.  They show that the attack code and its verdicts work,
 * so that the BATCH versions, which reuse them, mean something.
 */
#include "hypercall.h"
#include "testpt.h"

#define PF_ERR_WRITE 0x2

const char *safety_run(const char *batch_na);

static const char *const batch_tests[] = {
    "writable-alias-past-flush", "pte-maps-xen-page",
    "pte-maps-foreign-page",	 "pte-maps-pagetable-writable",
    "l1-hooked-into-second-l2",	 "flush-race-from-other-vcpu",
    "mode-switch-mid-batch",	 "destroy-mid-batch",
};

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

/* An emulated store of VAL to *P; true if Xen bounced it back to us. */
static bool emulated_store_faults(volatile u64 *p, u64 val)
{
	faulted = false;
	expect_addr = (u64)p;
	asm volatile("leaq 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[resume]\n\t"
		     "movq %[val], (%[ptr])\n"
		     "1:"
		     : [resume] "=m"(resume_rip)
		     : [val] "r"(val), [ptr] "r"(p)
		     : "rax", "memory");
	resume_rip = 0;
	return faulted;
}

struct forbidden {
	const char *name;
	u64 pte;
};

static void control(const char *name, u64 pte, unsigned int slot)
{
	volatile u64 *entry = &tpt.l1[1][slot];
	u64 before = *entry;
	bool faulted_back;
	long rc;

	faulted_back = emulated_store_faults(entry, pte);
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

static void emulate_controls(void)
{
	const u64 rw = PTE_P | PTE_RW | PTE_A;
	const struct forbidden tests[] = {
	    /* Our own page tables, mapped writable: a type conflict. */
	    {"pagetable-writable-l2", (virt_to_mfn(tpt.l2) << PAGE_SHIFT) | rw},
	    {"pagetable-writable-l1",
	     (virt_to_mfn(tpt.l1[1]) << PAGE_SHIFT) | rw},
	    /* Host frame 0 belongs to no guest. */
	    {"host-frame-0", rw},
	    /* A frame far beyond any RAM: I/O space we have no right to. */
	    {"frame-beyond-ram", (0xfffffffful << PAGE_SHIFT) | rw},
	};
	unsigned int i;

	trap_set_hook(refused_write_hook);
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		control(tests[i].name, tests[i].pte, 8 + i);
	trap_set_hook(NULL);
}

const char *safety_run(const char *batch_na)
{
	unsigned int i;

	emulate_controls();
	for (i = 0; i < ARRAY_SIZE(batch_tests); i++)
		pr("PVGUEST: SKIP safety-%s %s\n", batch_tests[i],
		   batch_na ? batch_na
			    : "BATCH runs but this test is not written yet");
	return batch_na;
}

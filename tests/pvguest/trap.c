/* SPDX-License-Identifier: MIT */
/*
 * Exceptions: a virtual IDT registered with Xen.  Without it a fault in
 * the guest kills the domain with nothing on our console; with it, an
 * unexpected fault is reported, and tests can install a hook that
 * handles expected faults (e.g. a refused page-table write).
 */
#include "evtchn.h"
#include "hypercall.h"
#include "pvg.h"
#include "smp.h"

#define TRAPS(X)                                                               \
	X(0) X(3) X(6) X(7) X(8) X(10) X(11) X(12) X(13) X(14) X(16) X(17) X(19)

#define DECLARE(v) extern char trap_##v[];
TRAPS(DECLARE)
#undef DECLARE

static trap_hook_t hook;

void pvg_trap(struct trap_frame *f);

#define ENTRY(v) {v, (v) == 3 ? 3 : 0, FLAT_KERNEL_CS64, 0, (u64)trap_##v},
static const struct trap_info table[] = {TRAPS(ENTRY){0, 0, 0, 0, 0}};
#undef ENTRY

void trap_init(void)
{
	long rc = hyp_set_trap_table(table);

	if (rc)
		pr("PVGUEST: WARN set_trap_table failed: %ld\n", rc);
}

/* The same handlers as a virtual IDT, for a secondary vCPU's context. */
void trap_copy(struct trap_info idt[256])
{
	unsigned int i;

	for (i = 0; table[i].address; i++)
		idt[table[i].vector] = table[i];
}

void trap_set_hook(trap_hook_t h)
{
	hook = h;
}

void pvg_trap(struct trap_frame *f)
{
	u64 cr2 = pvg_shared ? pvg_shared->vcpu_info[smp_cpu()].cr2 : 0;

	if (f->vector == EVTCHN_VECTOR) {
		evtchn_upcall(smp_cpu());
		return;
	}
	if (hook && hook(f, cr2))
		return;
	pr("PVGUEST: FATAL trap vector=%lu error=0x%lx rip=0x%lx cr2=0x%lx\n",
	   f->vector, f->error_code, f->rip, cr2);
	pvg_shutdown(SHUTDOWN_crash);
}

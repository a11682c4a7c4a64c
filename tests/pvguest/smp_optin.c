/* SPDX-License-Identifier: MIT */
/*
 * smp-optin-race (pvg.attack=smp-optin-race, pvg.smp=1): a guest that
 * dom0 has put in BATCH withdraws and gives its consent (the
 * VMASST_TYPE_pt_batch vm-assist) from two vCPUs at once, for a few
 * seconds: vCPU 0 disables it in a loop while vCPU 1 enables it in a
 * loop.  Each disable returns the domain to EMULATE inside Xen (hv-patches
 * 0013); an enable from the other vCPU can land in the middle of that.
 * Nothing the guest does here may crash the host (a debug Xen asserted on
 * the consent it had just seen cleared) or leave Xen's state inconsistent:
 * after a last disable, with vCPU 1 stopped, dom0 must read EMULATE
 * without the consent.
 *
 * Line: "PVGUEST: ATTACK smp-optin-race survived: ..." for dom0
 * (dom0/smp-attacks.sh), which gives the verdict.
 */
#include "hypercall.h"
#include "pvg.h"
#include "smp.h"

#define OPTIN_RACE_NS 10000000000ul /* 10 s of toggling */
#define OPTIN_WAIT_NS 10000000000ul /* 10 s for vCPU 1 to stop */

void smp_optin_race(const char *name);

static volatile bool optin_stop, optin_done;
static volatile u64 enables, enable_errors;

/* vCPU 1: give the consent, again and again, until told to stop. */
static void enabler(void)
{
	while (!optin_stop) {
		if (hyp_vm_assist(VMASST_CMD_enable, PVG_VMASST_PT_BATCH))
			enable_errors++;
		enables++;
	}
	optin_done = true;
}

void smp_optin_race(const char *name)
{
	u64 disables = 0, disable_errors = 0, deadline;
	long rc;

	if (smp_call(enabler)) {
		pr("PVGUEST: SKIP attack-%s vCPU 1 did not start\n", name);
		return;
	}
	deadline = now_ns() + OPTIN_RACE_NS;
	while (now_ns() < deadline) {
		if (hyp_vm_assist(VMASST_CMD_disable, PVG_VMASST_PT_BATCH))
			disable_errors++;
		disables++;
	}
	optin_stop = true;
	deadline = now_ns() + OPTIN_WAIT_NS;
	while (!optin_done && now_ns() < deadline)
		asm volatile("pause");
	if (!optin_done) {
		pr("PVGUEST: FAIL attack-%s vCPU 1 did not stop\n", name);
		return;
	}
	/* The last word: withdrawn, with nobody to give it again. */
	rc = hyp_vm_assist(VMASST_CMD_disable, PVG_VMASST_PT_BATCH);
	pr("PVGUEST: ATTACK %s survived: disables %lu (errors %lu), enables "
	   "%lu (errors %lu), last disable rc %ld\n",
	   name, disables, disable_errors, enables, enable_errors, rc);
}

/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's event and grant operations (issue 14): Xen writing to
 * guest memory on its own account while batches come and go.
 *
 * Upcalls: each vCPU has an IPI port (evtchn.c) and takes upcalls during
 * its operations, so Xen writes bounce frames wherever the vCPU's stack
 * is, also on its iret stack in a batchable range (OP_IRET_UNHOOKED) and
 * on a stack there (OP_UPCALL_STACK) while another vCPU may hold a
 * batch over that range.  An event a vCPU sends itself must be in before
 * the hypercall returns; at the end every vCPU must still get its events.
 *
 * Grants: dom0 grants one page (tests/tools/pvg-grant.c); each vCPU maps
 * it in one of the test L1s, batchable or not, at slot FUZZ_GRANT_SLOT +
 * vCPU (no other op writes there: Xen crashes a domain that overwrites a
 * grant mapping, by design), reads dom0's mark through it, and unmaps it
 * later, while other vCPUs' batches open and close on that L1.
 */
#include "evtchn.h"
#include "fuzz.h"
#include "grant.h"
#include "hypercall.h"
#include "smp.h"

long fuzz_grant_ref = -1;
static u64 grant_mark_bad;

void fuzz_setup_events(void)
{
	long rc = evtchn_setup_ipis(fuzz_cpus);

	if (rc)
		pvg_panic("fuzz: cannot bind the IPI event channels");
	/* dom0 grants its page as it creates us (dom0/fuzz.sh). */
	fuzz_grant_ref = grant_wait_ref(20);
}

/*
 * Send an event to vCPU TO.  One sent to itself must have been delivered
 * when the hypercall returns: Xen delivers pending upcalls on its way
 * back to an unmasked vCPU, and losing one is what a failed bounce-frame
 * write into an unhooked range would look like.
 */
static void send_ipi(struct fuzz_cpu *c, unsigned int cpu, unsigned int to)
{
	u64 before = upcall_count[cpu].ipis;
	long rc;

	if (!evtchn_upcalls_enabled(cpu))
		return;
	rc = hyp_evtchn_send(ipi_port[to]);
	if (fuzz_refused(c, rc)) {
		fuzz_unexpected(c, "send to vCPU %u's IPI port: %ld", to, rc);
		return;
	}
	c->ipis_sent[to]++;
	if (to == cpu && upcall_count[cpu].ipis == before) {
		c->upcall_late++;
		fuzz_violation(c,
			       "event sent to itself not delivered on the "
			       "hypercall's return (rsp 0x%lx)",
			       (u64)__builtin_frame_address(0));
	}
}

void fuzz_upcall(struct fuzz_cpu *c, unsigned int cpu)
{
	send_ipi(c, cpu, (unsigned int)rng_below(&c->rng, fuzz_cpus));
}

static void upcall_body(void)
{
	unsigned int cpu = smp_cpu();
	struct fuzz_cpu *c = &fc[cpu];
	unsigned int n = (unsigned int)rng_below(&c->rng, 5000), i;

	send_ipi(c, cpu, cpu);
	for (i = 0; i < n; i++)
		asm volatile("pause");
}

/* Call FN with the stack pointer at TOP. */
static void run_on_stack(u64 top, void (*fn)(void))
{
	asm volatile("movq %%rsp, %%rbx\n\t"
		     "movq %[top], %%rsp\n\t"
		     "call *%[fn]\n\t"
		     "movq %%rbx, %%rsp"
		     :
		     : [top] "r"(top), [fn] "r"(fn)
		     : "rbx", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
		       "r10", "r11", "memory", "cc");
}

/*
 * The stack page of OP_IRET_UNHOOKED, in l1[0]'s batchable range: Xen
 * writes the upcall's frame there, the handler runs there, and another
 * vCPU's batch on l1[0] may unhook it at any moment.
 */
void fuzz_upcall_on_stack(struct fuzz_cpu *c, unsigned int cpu)
{
	(void)c;
	if (!evtchn_upcalls_enabled(cpu))
		return;
	run_on_stack(fuzz_slot_va(0, FUZZ_STACK_SLOT + cpu) + PAGE_SIZE,
		     upcall_body);
}

static bool grant_fault_or_mark(struct fuzz_cpu *c, u64 va)
{
	u64 first;

	if (fuzz_load((volatile u64 *)va, &first))
		return false;
	if (!grant_mark_ok((const volatile char *)va)) {
		grant_mark_bad++;
		fuzz_violation(c, "grant mapping at 0x%lx: not dom0's page",
			       va);
	}
	return true;
}

/* Unmap this vCPU's grant mapping, if it has one; it must be gone. */
void fuzz_grant_unmap(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int t = c->grant_table, s = FUZZ_GRANT_SLOT + cpu;
	u64 va = fuzz_slot_va(t, s);
	struct gnttab_unmap_grant_ref unmap = {.host_addr = va,
					       .handle = c->grant_handle};
	long rc;

	if (!c->grant_mapped)
		return;
	rc = hyp_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
	if (rc || unmap.status != GNTST_okay) {
		fuzz_unexpected(c, "grant unmap l1 %u: rc %ld status %d", t, rc,
				unmap.status);
		return;
	}
	c->grant_mapped = false;
	c->grant_unmaps++;
	if (*fuzz_entry(t, s))
		fuzz_violation(c, "grant unmapped, l1 %u slot %u still 0x%lx",
			       t, s, *fuzz_entry(t, s));
	/* Xen flushed the domain's TLBs before the unmap returned. */
	if (grant_fault_or_mark(c, va))
		fuzz_violation(c, "grant unmapped, 0x%lx still readable", va);
}

/* Map dom0's page in one of the test L1s (any), or unmap it. */
void fuzz_grant(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int t = (unsigned int)rng_below(&c->rng, FUZZ_TABLES);
	unsigned int s = FUZZ_GRANT_SLOT + cpu;
	bool ro = rng_below(&c->rng, 2) != 0;
	struct gnttab_map_grant_ref map = {.host_addr = fuzz_slot_va(t, s),
					   .flags = GNTMAP_host_map |
						    (ro ? GNTMAP_readonly : 0),
					   .ref = (u32)fuzz_grant_ref};
	u64 e;
	long rc;

	if (c->grant_mapped) {
		fuzz_grant_unmap(c, cpu);
		return;
	}
	rc = hyp_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
	if (rc || map.status != GNTST_okay) {
		fuzz_unexpected(c, "grant map l1 %u: rc %ld status %d", t, rc,
				map.status);
		return;
	}
	c->grant_mapped = true;
	c->grant_table = t;
	c->grant_handle = map.handle;
	c->grant_maps++;
	e = *fuzz_entry(t, s);
	if (!(e & PTE_P) || !!(e & PTE_RW) == ro)
		fuzz_violation(c, "grant mapped %s, l1 %u slot %u holds 0x%lx",
			       ro ? "read-only" : "writable", t, s, e);
	if (!grant_fault_or_mark(c, map.host_addr))
		fuzz_violation(c, "grant mapping at 0x%lx faults",
			       map.host_addr);
}

/*
 * Grant ops Xen must refuse with a status and no effect: a reference
 * dom0 never gave, an address with no L1 under it, a handle that is not
 * ours.  (Mapping over our own grant mapping is not among them: Xen
 * crashes the domain for it, as for any implicit unmap.)
 */
void fuzz_grant_forbid(struct fuzz_cpu *c, unsigned int cpu)
{
	unsigned int t = c->grant_mapped ? c->grant_table : 0;
	unsigned int t2 = c->grant_mapped ? (t + 1) % FUZZ_TABLES : t;
	unsigned int s = FUZZ_GRANT_SLOT + cpu;
	u64 before = *fuzz_entry(t, s), before2 = *fuzz_entry(t2, s);
	u64 va = fuzz_slot_va(t, s);
	struct gnttab_map_grant_ref map = {.flags = GNTMAP_host_map,
					   .ref = (u32)fuzz_grant_ref};
	struct gnttab_unmap_grant_ref unmap = {.host_addr = va};
	const char *what;
	short status;
	long rc;

	switch (rng_below(&c->rng, 3)) {
	case 0:
		what = "map of a reference never granted";
		map.ref = (u32)fuzz_grant_ref + 4096;
		map.host_addr = fuzz_slot_va(t2, s); /* an empty slot */
		rc = hyp_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
		status = map.status;
		break;
	case 1:
		what = "map where no L1 is hooked";
		map.host_addr = tpt.va + ((u64)FUZZ_NO_L1_SLOT << 21) +
				((u64)s << PAGE_SHIFT);
		rc = hyp_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
		status = map.status;
		break;
	default:
		what = "unmap with a handle not ours";
		unmap.handle = c->grant_mapped ? c->grant_handle + 1000 : 999;
		rc = hyp_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
		status = unmap.status;
		break;
	}
	if (!rc && status == GNTST_okay) {
		fuzz_violation(c, "%s: accepted", what);
		return;
	}
	c->grant_refused++;
	if (!pte_same(*fuzz_entry(t, s), before) ||
	    !pte_same(*fuzz_entry(t2, s), before2))
		fuzz_violation(c,
			       "%s: l1 %u/%u slot %u 0x%lx/0x%lx -> "
			       "0x%lx/0x%lx",
			       what, t, t2, s, before, before2,
			       *fuzz_entry(t, s), *fuzz_entry(t2, s));
}

/*
 * After every vCPU's operations: each still takes the events sent to it
 * (the others idle with upcalls on), then none takes upcalls.
 */
void fuzz_check_events(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < fuzz_cpus; cpu++) {
		u64 before = upcall_count[cpu].ipis, deadline;

		if (!evtchn_upcalls_enabled(cpu)) {
			fuzz_violation(&fc[0], "vCPU %u took no upcalls", cpu);
			continue;
		}
		hyp_evtchn_send(ipi_port[cpu]);
		deadline = now_ns() + 5000000000ul;
		while (upcall_count[cpu].ipis == before && now_ns() < deadline)
			hyp_sched_op(SCHEDOP_yield, NULL);
		if (upcall_count[cpu].ipis == before)
			fuzz_violation(
			    &fc[0],
			    "vCPU %u: the final event was not "
			    "delivered in 5 s (pending %d)",
			    cpu,
			    pvg_shared->vcpu_info[cpu].evtchn_upcall_pending);
	}
	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		evtchn_upcalls_off(cpu);
}

/* V[0..fuzz_cpus) as "a,b,c" in BUF. */
static const char *join(char buf[80], const u64 *v)
{
	unsigned int cpu;
	int n = 0;

	for (cpu = 0; cpu < fuzz_cpus; cpu++)
		n += snprintf(buf + n, 80 - (size_t)n, "%s%lu", cpu ? "," : "",
			      v[cpu]);
	return buf;
}

void fuzz_report_events(void)
{
	u64 sent[FUZZ_MAX_CPUS] = {0}, upcalls[FUZZ_MAX_CPUS],
	    ipis[FUZZ_MAX_CPUS];
	u64 late = 0, maps = 0, unmaps = 0, ref = 0;
	char b1[80], b2[80], b3[80];
	unsigned int cpu, to;

	for (cpu = 0; cpu < fuzz_cpus; cpu++) {
		upcalls[cpu] = upcall_count[cpu].upcalls;
		ipis[cpu] = upcall_count[cpu].ipis;
		for (to = 0; to < fuzz_cpus; to++)
			sent[to] += fc[cpu].ipis_sent[to];
		late += fc[cpu].upcall_late;
		maps += fc[cpu].grant_maps;
		unmaps += fc[cpu].grant_unmaps;
		ref += fc[cpu].grant_refused;
	}
	/* Per vCPU, comma-separated: dom0/fuzz.sh wants every ipis > 0. */
	pr("PVGUEST: FUZZ upcalls sent=%s upcalls=%s ipis=%s late=%lu\n",
	   join(b1, sent), join(b2, upcalls), join(b3, ipis), late);
	pr("PVGUEST: FUZZ grants ref=%ld maps=%lu unmaps=%lu refused=%lu "
	   "mark_bad=%lu\n",
	   fuzz_grant_ref, maps, unmaps, ref, grant_mark_bad);
}

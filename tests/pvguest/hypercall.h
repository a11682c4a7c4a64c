/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls through the page Xen fills in (XEN_ELFNOTE_HYPERCALL_PAGE):
 * entry n is at hypercall_page + 32 * n.  Arguments in rdi, rsi, rdx,
 * r10, r8; result in rax; Xen's syscall path clobbers rcx and r11.
 */
#ifndef PVG_HYPERCALL_H
#define PVG_HYPERCALL_H

#include "xen_abi.h"

extern char hypercall_page[];

static inline long hypercall3(unsigned int nr, u64 a1, u64 a2, u64 a3)
{
	register u64 r_a1 asm("rdi") = a1;
	register u64 r_a2 asm("rsi") = a2;
	register u64 r_a3 asm("rdx") = a3;
	long ret;

	asm volatile("call *%[entry]"
		     : "=a"(ret), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3)
		     : [entry] "r"(hypercall_page + nr * 32)
		     : "rcx", "r11", "r8", "r9", "r10", "memory");
	return ret;
}

static inline long hypercall4(unsigned int nr, u64 a1, u64 a2, u64 a3, u64 a4)
{
	register u64 r_a1 asm("rdi") = a1;
	register u64 r_a2 asm("rsi") = a2;
	register u64 r_a3 asm("rdx") = a3;
	register u64 r_a4 asm("r10") = a4;
	long ret;

	asm volatile("call *%[entry]"
		     : "=a"(ret), "+r"(r_a1), "+r"(r_a2), "+r"(r_a3), "+r"(r_a4)
		     : [entry] "r"(hypercall_page + nr * 32)
		     : "rcx", "r11", "r8", "r9", "memory");
	return ret;
}

static inline long hyp_mmu_update(struct mmu_update *req, unsigned int n,
				  unsigned int *done)
{
	return hypercall4(HC_mmu_update, (u64)req, n, (u64)done, DOMID_SELF);
}

static inline long hyp_mmuext_op(struct mmuext_op *op, unsigned int n)
{
	return hypercall4(HC_mmuext_op, (u64)op, n, 0, DOMID_SELF);
}

static inline long hyp_update_va_mapping(u64 va, u64 pte, u64 flags)
{
	return hypercall3(HC_update_va_mapping, va, pte, flags);
}

static inline long hyp_vm_assist(unsigned int cmd, unsigned int type)
{
	return hypercall3(HC_vm_assist, cmd, type, 0);
}

static inline long hyp_sched_op(unsigned int cmd, void *arg)
{
	return hypercall3(HC_sched_op, cmd, (u64)arg, 0);
}

static inline long hyp_console_write(const char *s, unsigned int len)
{
	return hypercall3(HC_console_io, CONSOLEIO_write, len, (u64)s);
}

static inline long hyp_evtchn_send(u32 port)
{
	u32 arg = port;

	return hypercall3(HC_event_channel_op, EVTCHNOP_send, (u64)&arg, 0);
}

static inline long hyp_evtchn_op(unsigned int cmd, void *arg)
{
	return hypercall3(HC_event_channel_op, cmd, (u64)arg, 0);
}

static inline long hyp_callback_op(unsigned int cmd, void *arg)
{
	return hypercall3(HC_callback_op, cmd, (u64)arg, 0);
}

static inline long hyp_set_trap_table(const struct trap_info *t)
{
	return hypercall3(HC_set_trap_table, (u64)t, 0, 0);
}

static inline long hyp_vcpu_op(unsigned int cmd, unsigned int vcpu, void *arg)
{
	return hypercall3(HC_vcpu_op, cmd, vcpu, (u64)arg);
}

static inline long hyp_xen_version(void)
{
	return hypercall3(HC_xen_version, XENVER_version, 0, 0);
}

static inline long hyp_xen_features(struct xen_feature_info *fi)
{
	return hypercall3(HC_xen_version, XENVER_get_features, (u64)fi, 0);
}

static inline long hyp_grant_table_op(unsigned int cmd, void *uop,
				      unsigned int count)
{
	return hypercall3(HC_grant_table_op, cmd, (u64)uop, count);
}

#endif

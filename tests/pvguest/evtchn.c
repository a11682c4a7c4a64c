/* SPDX-License-Identifier: MIT */
/*
 * Event upcalls.  Xen delivers one by writing a bounce frame to the
 * vCPU's current stack and entering event_entry (head.S), which joins the
 * exception path: pvg_trap() calls evtchn_upcall() and the iret hypercall
 * returns, restoring the upcall mask the frame saved.  The fuzzer uses
 * them because the frame write is one of Xen's own accesses to guest
 * memory (hv-patches 0016): it may land in a range another vCPU's batch
 * has unhooked.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "pvg.h"

extern char event_entry[];

struct upcall_count upcall_count[EVTCHN_CPUS];
u32 ipi_port[EVTCHN_CPUS];
static bool enabled[EVTCHN_CPUS];

long evtchn_setup_ipis(unsigned int n)
{
	unsigned int cpu;
	long rc;

	if (n > EVTCHN_CPUS)
		return -XEN_EINVAL;
	for (cpu = 0; cpu < n; cpu++) {
		struct evtchn_bind_ipi bind = {.vcpu = cpu};
		u32 port;

		rc = hyp_evtchn_op(EVTCHNOP_bind_ipi, &bind);
		if (rc)
			return rc;
		ipi_port[cpu] = port = bind.port;
		rc = hyp_evtchn_op(EVTCHNOP_unmask, &port);
		if (rc)
			return rc;
	}
	return 0;
}

long evtchn_upcalls_on(unsigned int cpu)
{
	struct callback_register cb = {.type = CALLBACKTYPE_event,
				       .address = (u64)event_entry};
	volatile struct vcpu_info *vi = &pvg_shared->vcpu_info[cpu];
	long rc = hyp_callback_op(CALLBACKOP_register, &cb);

	if (rc)
		return rc;
	enabled[cpu] = true;
	vi->evtchn_upcall_mask = 0;
	barrier();
	/* Xen delivers what is already pending on its way back from here. */
	if (vi->evtchn_upcall_pending)
		hyp_xen_version();
	return 0;
}

void evtchn_upcalls_off(unsigned int cpu)
{
	pvg_shared->vcpu_info[cpu].evtchn_upcall_mask = 1;
	barrier();
	enabled[cpu] = false;
}

bool evtchn_upcalls_enabled(unsigned int cpu)
{
	return enabled[cpu];
}

/* vCPU 0 owns every port but the others' IPIs (console, xenstore: to 0). */
static unsigned int port_owner(unsigned int port)
{
	unsigned int cpu;

	for (cpu = 1; cpu < EVTCHN_CPUS; cpu++)
		if (ipi_port[cpu] && port == ipi_port[cpu])
			return cpu;
	return 0;
}

void evtchn_upcall(unsigned int cpu)
{
	volatile struct vcpu_info *vi = &pvg_shared->vcpu_info[cpu];
	volatile u64 *pending = pvg_shared->evtchn_pending;
	const volatile u64 *mask = pvg_shared->evtchn_mask;
	u64 sel, bits;
	unsigned int w, b, port;

	upcall_count[cpu].upcalls++;
	while (vi->evtchn_upcall_pending) {
		vi->evtchn_upcall_pending = 0;
		sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0,
					  __ATOMIC_SEQ_CST);
		while (sel) {
			w = (unsigned int)__builtin_ctzl(sel);
			sel &= sel - 1;
			bits = pending[w] & ~mask[w];
			while (bits) {
				b = (unsigned int)__builtin_ctzl(bits);
				bits &= bits - 1;
				port = w * 64 + b;
				if (port_owner(port) != cpu)
					continue;
				__atomic_fetch_and(&pending[w], ~(1ul << b),
						   __ATOMIC_SEQ_CST);
				if (port == ipi_port[cpu])
					upcall_count[cpu].ipis++;
			}
		}
	}
}

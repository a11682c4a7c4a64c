/* SPDX-License-Identifier: MIT */
/*
 * Event upcalls (fuzz mode only): an IPI event channel per vCPU and the
 * callback through which Xen delivers them.  Everywhere else the test
 * kernel keeps events masked and polls its console and xenstore rings.
 */
#ifndef PVG_EVTCHN_H
#define PVG_EVTCHN_H

#include "types.h"

#define EVTCHN_VECTOR 32 /* trap_frame.vector of an upcall (head.S) */
#define EVTCHN_CPUS 4

struct upcall_count {
	volatile u64 upcalls; /* callbacks entered */
	volatile u64 ipis;    /* of them, with this vCPU's IPI port pending */
};
extern struct upcall_count upcall_count[EVTCHN_CPUS];
extern u32 ipi_port[EVTCHN_CPUS];

/* Bind an IPI port to vCPUs 0 to N-1 and unmask the ports; 0 or -errno. */
long evtchn_setup_ipis(unsigned int n);
/* On the calling vCPU CPU: register the callback, unmask upcalls. */
long evtchn_upcalls_on(unsigned int cpu);
/* Mask vCPU CPU's upcalls (any vCPU may do it: it is a flag in memory). */
void evtchn_upcalls_off(unsigned int cpu);
bool evtchn_upcalls_enabled(unsigned int cpu);
/* The callback's C half (trap.c, vector EVTCHN_VECTOR). */
void evtchn_upcall(unsigned int cpu);

#endif

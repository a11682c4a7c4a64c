/* SPDX-License-Identifier: MIT */
/* A second vCPU that writes page tables while vCPU 0 measures. */
#ifndef PVG_SMP_H
#define PVG_SMP_H

#include "bench.h"

/* What vCPU 1 does: nothing, or the writes of one benchmark mode. */
enum ap_work {
	AP_IDLE,
	AP_WRITE_EMULATE,
	AP_WRITE_MMU,
	AP_WRITE_BATCH,
	AP_CALL, /* run the function given to smp_call() once */
	AP_EXIT
};

extern volatile u64 ap_emulated_writes, ap_batch_ptes, ap_batches;

int smp_start(void);
/* Ask vCPU 1 for WORK and wait (bounded) until it does it; 0 on success. */
int smp_set_work(enum ap_work work);
#define SMP_MAX_CPUS 4
/* The vCPU we run on (by our stack). */
unsigned int smp_cpu(void);
static inline bool smp_on_ap(void)
{
	return smp_cpu() != 0;
}
/* [LO, HI) is a stack that vCPU CPU may run on. */
void smp_add_stack(u64 lo, u64 hi, unsigned int cpu);
/* Bring up vCPUs 2 to N-1, each running FN(its number) once; 0 or rc. */
int smp_start_extra(unsigned int n, void (*fn)(unsigned int cpu));
/* Run FN once on vCPU 1 (it then idles in AP_CALL); 0 once it started. */
int smp_call(void (*fn)(void));

#endif

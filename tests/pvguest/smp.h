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
bool smp_on_ap(void);
/* [LO, HI) is a stack that vCPU 1 (AP) or vCPU 0 may run on. */
void smp_add_stack(u64 lo, u64 hi, bool ap);
/* Run FN once on vCPU 1 (it then idles in AP_CALL); 0 once it started. */
int smp_call(void (*fn)(void));

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Loop mode (pvg.mode=loop): the test kernel as a guest that ptswitchd
 * manages.  It opts in, checks that it copes with BATCH, speaks the
 * protocol (agent.c), and runs a workload whose phases should make the
 * daemon switch it to BATCH and back.  See README.md, "Loop mode".
 */
#ifndef PVG_LOOP_H
#define PVG_LOOP_H

#include "types.h"

struct loop_params {
	u64 timeout_s;	 /* longest wait for each switch */
	u64 hold_s;	 /* keep a phase going this long after its switch */
	u64 incapable_s; /* how long to run when BATCH is not possible */
};

/* Runs the whole loop and prints its verdicts; returns when done. */
void loop_run(const struct loop_params *p);

#endif

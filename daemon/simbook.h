/* SPDX-License-Identifier: MIT */
/*
 * How the sim backend books one trace row into a domain's counters, the
 * way the patched hypervisor would in the domain's current mode.  Shared
 * by the sim backend (daemon/backend_sim.c) and the policy evaluation
 * (tests/eval/), so that both replay traces with the same model.  A
 * stand-in for demos and policy tests, never evidence that the hypervisor
 * feature works.
 *
 * Model, per row:
 *   EMULATE: every run is emulated: emulated_writes += writes and
 *            emul_runs[] += runs (the counterfactual histogram).
 *   BATCH:   every run becomes one batch of the same size, except a small
 *            share whose unhook is refused (L1 shared or in use by another
 *            vCPU): those are emulated and counted in unhook_refused,
 *            emulated_writes and emul_runs[].  Batches are spread over
 *            flush reasons; spurious faults grow with the vCPU count.
 * Noise comes from a PRNG the caller seeds, so a run is reproducible.
 */
#ifndef PTSWITCHD_SIMBOOK_H
#define PTSWITCHD_SIMBOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "ptswitch.h"
#include "trace.h"

struct simbook {
	struct pt_stats st;
	uint64_t rng;
	unsigned int vcpus; /* at least 1 */
	bool batch_open;    /* batched in the last row: a switch flushes it */
};

/* The seed the sim backend uses for a domain. */
uint64_t simbook_seed(unsigned int domid);
void simbook_init(struct simbook *s, unsigned int vcpus, uint64_t seed);
/* Book one row in the given mode. */
void simbook_row(struct simbook *s, enum pt_mode mode,
		 const struct trace_row *row);
/* The domain leaves BATCH: the batch that was open is flushed. */
void simbook_leave_batch(struct simbook *s);

/* Expected shares behind the noise, for cost estimates. */
double simbook_refuse_share(unsigned int vcpus);       /* of runs */
double simbook_spurious_per_batch(unsigned int vcpus); /* faults */

#endif /* PTSWITCHD_SIMBOOK_H */

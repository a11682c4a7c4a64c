/* SPDX-License-Identifier: MIT */
/*
 * The modeled cost of one trace row in each mode: the policy's cycle
 * costs (docs/cost-model.md) applied to the expected counters the sim
 * model (daemon/simbook.h) books for that row.  Expected values, not the
 * noisy draws, so that the policy, the oracle and the static modes are
 * scored on exactly the same figures.
 */
#ifndef PTEVAL_ROWCOST_H
#define PTEVAL_ROWCOST_H

#include <stddef.h>

#include "policy.h"
#include "ptswitch.h"
#include "trace.h"

double rowcost(const struct policy_costs *c, unsigned int vcpus,
	       enum pt_mode mode, const struct trace_row *row);

/*
 * cost[PT_MODE_EMULATE][i] and cost[PT_MODE_BATCH][i] for intervals
 * 0..n-1 of interval_ms each (the trace's 1 s rows sliced or summed,
 * slice.h; looping), into arrays of n the caller provides.
 */
void rowcost_fill(const struct policy_costs *c, unsigned int vcpus,
		  const struct trace *t, size_t n, uint64_t interval_ms,
		  double *cost_emulate, double *cost_batch);

#endif /* PTEVAL_ROWCOST_H */

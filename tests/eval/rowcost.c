/* SPDX-License-Identifier: MIT */
/* Modeled cost of a trace row per mode (see rowcost.h). */
#include "rowcost.h"
#include "simbook.h"
#include "slice.h"

/*
 * EMULATE: every write is trapped: W x E.
 * BATCH: a share p of the runs is refused and emulated; every other run
 * is one batch (B, plus V per entry) that takes s spurious faults on
 * average:  (1 - p)(runs B + W V + runs s S) + p W E.
 */
double rowcost(const struct policy_costs *c, unsigned int vcpus,
	       enum pt_mode mode, const struct trace_row *row)
{
	double writes = (double)row->writes, runs = 0.0, p, s;
	unsigned int b;

	if (mode != PT_MODE_BATCH)
		return writes * c->emulated_write;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		runs += (double)row->runs[b];
	p = simbook_refuse_share(vcpus);
	s = simbook_spurious_per_batch(vcpus);
	return (1.0 - p) * (runs * c->batch + writes * c->batch_entry +
			    runs * s * c->spurious_fault) +
	       p * writes * c->emulated_write;
}

void rowcost_fill(const struct policy_costs *c, unsigned int vcpus,
		  const struct trace *t, size_t n, uint64_t interval_ms,
		  double *cost_emulate, double *cost_batch)
{
	struct trace_row r;
	size_t i;

	for (i = 0; i < n; i++) {
		slice_rows(t, i * interval_ms, (i + 1) * interval_ms, &r);
		cost_emulate[i] = rowcost(c, vcpus, PT_MODE_EMULATE, &r);
		cost_batch[i] = rowcost(c, vcpus, PT_MODE_BATCH, &r);
	}
}

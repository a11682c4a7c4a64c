/* SPDX-License-Identifier: MIT */
/* Fitting recorded writes to their runs (see rowfit.h). */
#include "rowfit.h"
#include "trace.h"

uint64_t rowfit_writes(struct rowfit *f, const uint64_t runs[PT_HIST_BUCKETS],
		       uint64_t counted)
{
	int64_t want = (int64_t)counted + f->carry;
	int64_t lo = (int64_t)trace_min_writes(runs);
	int64_t hi = (int64_t)trace_max_writes(runs);
	int64_t got = want < lo ? lo : want > hi ? hi : want;

	f->carry = want - got;
	return (uint64_t)got;
}

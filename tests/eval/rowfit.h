/* SPDX-License-Identifier: MIT */
/*
 * Fitting recorded counter deltas into consistent trace rows.
 *
 * The hypervisor counts a PTE write when it is emulated but books its run
 * into the histogram only when the run ends, so one sampling interval may
 * hold writes whose run closes in the next one (and the other way round).
 * A trace row must be self-consistent (its writes must fit its runs), so
 * the recorder moves the difference to a neighbouring row: the totals
 * over the trace stay exact, and no row moves by more than the run that
 * straddled its boundary.
 */
#ifndef PTEVAL_ROWFIT_H
#define PTEVAL_ROWFIT_H

#include <stdint.h>

#include "ptswitch.h"

struct rowfit {
	int64_t carry; /* writes counted but not yet placed in a row (< 0:
			  placed ahead of their counter) */
};

/*
 * Writes for a row with these runs, given the writes counted in its
 * interval: the count plus the carry, clamped to what the runs allow.
 * Updates the carry.
 */
uint64_t rowfit_writes(struct rowfit *f, const uint64_t runs[PT_HIST_BUCKETS],
		       uint64_t counted);

#endif /* PTEVAL_ROWFIT_H */

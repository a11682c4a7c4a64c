/* SPDX-License-Identifier: MIT */
/*
 * Trace rows are 1 s; a policy samples at its own interval.  slice_rows()
 * books the workload of any stretch of time [from_ms, to_ms): whole rows
 * summed, parts of a row in proportion, splitting runs (and the writes
 * that go with them) so that the slices of a row add up to it exactly.
 */
#ifndef PTEVAL_SLICE_H
#define PTEVAL_SLICE_H

#include <stdint.h>

#include "trace.h"

/* The trace (looping) between from_ms and to_ms, into *out. */
void slice_rows(const struct trace *t, uint64_t from_ms, uint64_t to_ms,
		struct trace_row *out);

#endif /* PTEVAL_SLICE_H */

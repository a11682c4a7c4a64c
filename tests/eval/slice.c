/* SPDX-License-Identifier: MIT */
/* Slicing 1 s trace rows into sampling intervals (see slice.h). */
#include <string.h>

#include "slice.h"

/* floor(v * num / den) without overflow for trace values (<= 1e9). */
static uint64_t part(uint64_t v, uint64_t num, uint64_t den)
{
	return (uint64_t)((unsigned __int128)v * num / den);
}

/* Add the share [lo, hi) ms (0 <= lo < hi <= 1000) of one row. */
static void add_share(struct trace_row *out, const struct trace_row *r,
		      uint64_t lo, uint64_t hi)
{
	uint64_t writes[PT_HIST_BUCKETS];
	unsigned int b;

	if (lo == 0 && hi == 1000) {
		for (b = 0; b < PT_HIST_BUCKETS; b++)
			out->runs[b] += r->runs[b];
		out->writes += r->writes;
		return;
	}
	trace_split_writes(r, writes);
	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		/* Runs by time; writes by the runs they belong to. */
		uint64_t c0 = part(r->runs[b], lo, 1000),
			 c1 = part(r->runs[b], hi, 1000);

		if (!r->runs[b])
			continue;
		out->runs[b] += c1 - c0;
		out->writes += part(writes[b], c1, r->runs[b]) -
			       part(writes[b], c0, r->runs[b]);
	}
}

void slice_rows(const struct trace *t, uint64_t from_ms, uint64_t to_ms,
		struct trace_row *out)
{
	uint64_t ms = from_ms;

	memset(out, 0, sizeof(*out));
	while (ms < to_ms) {
		uint64_t sec = ms / 1000, lo = ms % 1000;
		uint64_t hi =
		    to_ms - sec * 1000 < 1000 ? to_ms - sec * 1000 : 1000;

		add_share(out, trace_row_at(t, sec), lo, hi);
		ms = sec * 1000 + hi;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * The workload-trace parser (daemon/trace.c): the sim backend's and
 * ptswitch-eval's input.  A parsed trace must be usable row by row.
 */
#include <string.h>

#include "fuzz.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace t;
	struct trace_error err;
	char msg[sizeof(err.file) + sizeof(err.msg) + 32];
	uint64_t i;

	if (trace_parse((const char *)data, size, "fuzz.trace", &t, &err)) {
		FUZZ_CHECK(!t.rows && !t.n_rows);
		FUZZ_CHECK(fuzz_terminated(err.msg, sizeof(err.msg)));
		trace_error_format(&err, msg, sizeof(msg));
		return 0;
	}
	FUZZ_CHECK(t.n_rows > 0);
	FUZZ_CHECK(fuzz_terminated(t.name, sizeof(t.name)));
	for (i = 0; i < t.n_rows + 1; i++) {
		const struct trace_row *r = trace_row_at(&t, i);

		(void)trace_min_writes(r->runs);
		(void)trace_max_writes(r->runs);
	}
	trace_free(&t);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The agent's /proc parsers (guestagent/metrics.c): a guest kernel's
 * /proc/vmstat and /proc/stat, each input read as both.
 */
#include <string.h>

#include "fuzz.h"
#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metrics m;
	unsigned int i;

	metrics_clear(&m);
	metrics_parse(METRIC_VMSTAT, (const char *)data, size, &m);
	metrics_parse(METRIC_STAT, (const char *)data, size, &m);
	/* A counter is only present if its key is in the input. */
	for (i = 0; i < metric_count; i++)
		if (m.present[i])
			FUZZ_CHECK(memmem(data, size, metric_defs[i].key,
					  strlen(metric_defs[i].key)));
	return 0;
}

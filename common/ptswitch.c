/* SPDX-License-Identifier: MIT */
/* Names and histogram helpers shared by every component. */
#include <string.h>

#include "ptswitch.h"

const char *const pt_hist_label[PT_HIST_BUCKETS] = {
    "1", "2-9", "10-49", "50-99", "100-511", "512",
};

const char *pt_mode_name(enum pt_mode mode)
{
	return mode == PT_MODE_BATCH ? "batch" : "emulate";
}

int pt_mode_parse(const char *s, enum pt_mode *mode)
{
	if (!strcmp(s, "emulate"))
		*mode = PT_MODE_EMULATE;
	else if (!strcmp(s, "batch"))
		*mode = PT_MODE_BATCH;
	else
		return -1;
	return 0;
}

const char *pt_flush_reason_name(enum pt_flush_reason r)
{
	static const char *const names[PT_FLUSH_REASONS] = {
	    "explicit", "fault",   "second-page", "hypercall",
	    "cr3",	"desched", "grant",	  "mode",
	};

	return (unsigned int)r < PT_FLUSH_REASONS ? names[r] : "unknown";
}

unsigned int pt_hist_bucket(uint64_t n)
{
	if (n <= 1)
		return 0;
	if (n < 10)
		return 1;
	if (n < 50)
		return 2;
	if (n < 100)
		return 3;
	if (n < 512)
		return 4;
	return 5;
}

double pt_hist_mean(unsigned int bucket)
{
	/* Midpoints of the buckets; 512 is a full L1 page. */
	static const double mean[PT_HIST_BUCKETS] = {
	    1.0, 5.0, 29.5, 74.5, 305.5, 512.0,
	};

	return bucket < PT_HIST_BUCKETS ? mean[bucket] : 0.0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Workload metrics: monotonic counters from the guest's /proc/vmstat and
 * /proc/stat, published as data/ptswitch/metrics/<name>.  Only counters,
 * never gauges, so the daemon can take rates from any two samples.
 */
#ifndef PTSWITCH_METRICS_H
#define PTSWITCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum metric_source {
	METRIC_VMSTAT, /* proc/vmstat: "<key> <value>" */
	METRIC_STAT,   /* proc/stat: "<key> <value> [more values]" */
};

struct metric_def {
	const char *name; /* published name (proto_metric_name_ok) */
	enum metric_source source;
	const char *key; /* first word of the line */
};

/* The table, and its length (at most PROTO_MAX_METRICS). */
extern const struct metric_def metric_defs[];
extern const unsigned int metric_count;
#define METRIC_SLOTS 16

struct metrics {
	uint64_t value[METRIC_SLOTS];
	bool present[METRIC_SLOTS]; /* the kernel reported it, well formed */
};

/* Longest line that can carry a counter we want; longer ones are skipped. */
#define METRIC_LINE_MAX 128
/* Most we read of one file (a /proc/stat with thousands of IRQs is big). */
#define METRIC_FILE_MAX (1u << 20)

/*
 * Parse one file's content (need not be NUL-terminated) into m, setting
 * the counters it carries.  Unknown lines are ignored, as are counters
 * whose value is malformed or overflows.  Call metrics_clear() first.
 */
void metrics_clear(struct metrics *m);
void metrics_parse(enum metric_source src, const char *buf, size_t len,
		   struct metrics *m);

/* Read <root>/proc/vmstat and <root>/proc/stat.  Returns 0 if either was
 * readable, else a negative errno. */
int metrics_collect(const char *root, struct metrics *m);

#endif /* PTSWITCH_METRICS_H */

/* SPDX-License-Identifier: MIT */
/*
 * Workload traces: one row per 1 s interval of a guest's page-table write
 * workload (runs of consecutive PTE writes to one L1 page, per histogram
 * bucket, plus the total number of writes) and the guest metrics its agent
 * would publish.  Read by the sim backend and by simguests; the format is
 * described in tests/traces/README.md.
 */
#ifndef PTSWITCHD_TRACE_H
#define PTSWITCHD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "ptswitch.h"

#define TRACE_MAGIC "ptswitch-trace"
#define TRACE_VERSION 1
#define TRACE_MAX_METRICS 16
#define TRACE_MAX_LINE 1024
#define TRACE_MAX_BYTES (16u << 20)
/* Sanity bound on any per-second value: above what one guest can do. */
#define TRACE_MAX_VALUE 1000000000ull

struct trace_row {
	uint64_t runs[PT_HIST_BUCKETS];	    /* runs per run-length bucket */
	uint64_t writes;		    /* PTE writes in all those runs */
	uint64_t metric[TRACE_MAX_METRICS]; /* per-interval deltas */
};

struct trace {
	char name[64];
	unsigned int n_metrics;
	char metric_name[TRACE_MAX_METRICS][PROTO_MAX_METRIC_NAME + 1];
	size_t n_rows;
	struct trace_row *rows;
};

struct trace_error {
	char file[256];
	unsigned int line; /* 1-based; 0 when the error is not about a line */
	char msg[160];
};

/* Parse a whole trace held in memory; file is only used in errors. */
int trace_parse(const char *buf, size_t len, const char *file, struct trace *t,
		struct trace_error *err);
/* Read and parse a trace file. */
int trace_load(const char *path, struct trace *t, struct trace_error *err);
void trace_free(struct trace *t);
/* Row for interval i; a trace loops when it ends. */
const struct trace_row *trace_row_at(const struct trace *t, uint64_t i);
/* Smallest and largest write count that the runs of a row allow. */
uint64_t trace_min_writes(const uint64_t runs[PT_HIST_BUCKETS]);
uint64_t trace_max_writes(const uint64_t runs[PT_HIST_BUCKETS]);
/*
 * Split a row's writes over its buckets: every run gets at least its
 * bucket's shortest length, the rest is shared out by bucket width.
 */
void trace_split_writes(const struct trace_row *r,
			uint64_t writes[PT_HIST_BUCKETS]);
/* "file:line: msg" or "file: msg". */
void trace_error_format(const struct trace_error *err, char *buf, size_t size);

#endif /* PTSWITCHD_TRACE_H */

/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the ptswitch xenstore protocol (docs/protocol.md),
 * spoken by the test kernel itself over its own xenstore ring: what the
 * real agent (guestagent/) does from a Linux guest's user space.
 */
#ifndef PVG_AGENT_H
#define PVG_AGENT_H

#include "types.h"

/* The three tokens the daemon requires for BATCH. */
#define AGENT_BATCH_CAPS "missing-pde spurious-fault lazy-flush"

enum agent_mode { AGENT_MODE_UNKNOWN, AGENT_MODE_EMULATE, AGENT_MODE_BATCH };

/* Monotonic counters published under data/ptswitch/metrics/. */
enum agent_metric { AM_PGFAULT, AM_PTE_WRITES, AM_LAZY_FLUSHES, AM_COUNT };

struct agent_request {
	u64 seq;
	bool batch; /* "<seq> batch", else "<seq> emulate" */
};

/*
 * The capability probe, run before every answer: NULL when the kernel
 * copes with BATCH now, else the reason token (docs/protocol.md).
 */
typedef const char *(*agent_probe_t)(void);

/*
 * (Re)connect: forget the write cache, publish agent, then caps-reason and
 * caps as the probe says.  T0 (from now_ns()) is where the console times
 * of answers count from.
 */
int agent_start(agent_probe_t probe, u64 t0);
/* Re-run the probe; republish caps and caps-reason if they changed. */
void agent_reprobe(void);
/*
 * Read ptswitch/request and answer a new one in data/ptswitch/ack; read
 * ptswitch/mode.  Returns the mode the daemon last published.
 */
enum agent_mode agent_poll(void);
/* Write the counters that changed since the last call. */
void agent_metrics(const u64 values[AM_COUNT]);

/* What the agent saw, for the console report. */
struct agent_stats {
	u64 requests, acks_ok, acks_refused, ignored, xs_errors;
	struct agent_request last; /* the last request answered */
	char last_ack[64];
};
extern struct agent_stats agent_stats;

/* Strict parse of a request value; 0 if it is well formed. */
int agent_parse_request(const char *s, struct agent_request *r);

#endif

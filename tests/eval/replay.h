/* SPDX-License-Identifier: MIT */
/*
 * Replay a trace through the daemon's own decision code: the sim model
 * books each row into counters (daemon/simbook.h), the engine observes
 * and decides (daemon/engine.h), the switch state machine acts on the
 * decision (daemon/fsm.h), in the order ptd_tick() does.  The guest agent
 * is taken to ack every request before the next tick, so a switch to
 * BATCH takes effect one interval after the decision; leaving BATCH takes
 * effect at once.
 */
#ifndef PTEVAL_REPLAY_H
#define PTEVAL_REPLAY_H

#include <stddef.h>
#include <stdio.h>

#include "policy.h"
#include "ptswitch.h"
#include "trace.h"

/*
 * The fastest a replayed policy can follow a change of workload: it sees
 * the change at the end of the first interval that shows it, and BATCH
 * runs from the interval after the ack; EMULATE from the next one.
 */
#define REPLAY_ENTER_LAG 2
#define REPLAY_LEAVE_LAG 1

struct replay_guest {
	const struct trace *trace;
	size_t n; /* intervals of p->interval_ms to replay; the trace loops */
	unsigned int vcpus;
	unsigned int domid; /* seeds the noise, as in the sim backend */
	FILE *log;	    /* if set: one line per decision */
	/*
	 * Counter faults the engine must survive (the costs are scored on
	 * the trace as it is): counters that start near 2^64 and wrap,
	 * resets to 0, one bogus jump of 2^32 writes, 1 % of the readings
	 * missed.  Seeded by domid.
	 */
	bool counter_faults;
	/*
	 * If set, n entries: per interval, the reason of the decision taken
	 * at its end, as an index into replay_reasons (REPLAY_WHY_*).
	 */
	unsigned char *why;
};

/* The reason tokens replay_guest.why indexes; the last is "other". */
#define REPLAY_WHY_MISSED 0 /* no reading that interval (counter faults) */
#define REPLAY_WHY_N 16
extern const char *const replay_reasons[REPLAY_WHY_N];

struct replay_result {
	unsigned int switches;
	double max_bound;  /* the largest regret bound H the rule used */
	uint64_t rejected; /* readings the engine rejected as faults */
	double held;	   /* regret the noise guard held back, cycles */
	size_t batch_intervals;
	unsigned int reasons_held; /* decisions held by dwell/rate/cost */
};

/*
 * sched (n entries) receives the mode each interval ran in.  Returns 0 or
 * a negative errno.
 */
int replay_policy(const struct policy *p, const struct replay_guest *rg,
		  enum pt_mode *sched, struct replay_result *res);

#endif /* PTEVAL_REPLAY_H */

/* SPDX-License-Identifier: MIT */
/*
 * The offline oracle: knowing every interval's cost in each mode, the
 * cheapest mode schedule under the policy's switch cost and dwell rule.
 * Dynamic programming over (interval, mode, intervals in mode capped at
 * the dwell).  It has no warm-up, no handshake delay and no rate limit:
 * a lower bound for any policy that obeys the dwell.
 */
#ifndef PTEVAL_ORACLE_H
#define PTEVAL_ORACLE_H

#include <stddef.h>

#include "ptswitch.h"

struct oracle_problem {
	const double *cost[2]; /* [PT_MODE_EMULATE], [PT_MODE_BATCH]: n each */
	size_t n;	       /* intervals */
	unsigned int dwell;    /* a mode, once entered, is kept this many
				* intervals (0 or 1: no constraint) */
	double switch_cost;    /* paid for every switch, either way */
	enum pt_mode start;    /* mode before interval 0, dwell served */
};

struct oracle_result {
	double cost; /* intervals plus switches */
	unsigned int switches;
};

/*
 * Solve; sched (n entries, may be NULL) receives the mode of every
 * interval.  Returns 0, or -ENOMEM / -EINVAL.  Among schedules of equal
 * cost it prefers staying to switching.
 */
int oracle_solve(const struct oracle_problem *pb, enum pt_mode *sched,
		 struct oracle_result *res);

/* Cost of a given schedule under the same rules (no dwell check). */
double oracle_schedule_cost(const struct oracle_problem *pb,
			    const enum pt_mode *sched, unsigned int *switches);

/*
 * The schedule `in` as run by a policy that sees each change of workload
 * only once an interval has shown it: every stay in BATCH starts
 * enter_lag intervals late and ends leave_lag late (a stay that the lag
 * swallows is dropped), and a mode once entered is kept for the dwell.
 * Not a bound: the cost of following the oracle's phases as fast as the
 * replay lets a policy react.  The start is EMULATE, its dwell served.
 */
void oracle_react(const enum pt_mode *in, enum pt_mode *out, size_t n,
		  unsigned int enter_lag, unsigned int leave_lag,
		  unsigned int dwell);

#endif /* PTEVAL_ORACLE_H */

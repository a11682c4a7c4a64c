/* SPDX-License-Identifier: MIT */
/*
 * The regret rule's worst-case bound on a replayed trace
 * (docs/policy.md, "The bound"):
 *
 *     ratio x OPT_H + 4 H + LAG + HOLD
 *
 * OPT_H the offline optimum paying H per switch with no dwell, H the
 * largest regret bound the replay used, LAG what the reaction delay (and
 * a dwell) cost on the policy's switches, HOLD what the engine reported
 * it held back.  ratio is 3 (the work-function rule on two states).
 */
#ifndef PTEVAL_BOUND_H
#define PTEVAL_BOUND_H

#include "oracle.h"
#include "replay.h"

/*
 * pb: the problem the policy was scored on (its costs, dwell and switch
 * cost); sched: the policy's schedule.  Returns 0 and *bound, or a
 * negative errno.
 */
int bound_of(const struct oracle_problem *pb, const enum pt_mode *sched,
	     const struct replay_result *rr, double ratio, double *bound);

#endif /* PTEVAL_BOUND_H */

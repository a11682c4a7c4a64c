/* SPDX-License-Identifier: MIT */
/* The regret rule's worst-case bound (see bound.h). */
#include <math.h>

#include "bound.h"

/*
 * What the reaction delay and the dwell cost the policy's schedule s:
 * for each of its switches, the extra cost of the intervals it spent in
 * the old mode after the rule had decided (the replay's lag: two
 * intervals into BATCH, one out) and of the dwell's intervals it was
 * held in the new one.  The bound's additive term (docs/policy.md).
 */
static double lag_cost(const struct oracle_problem *pb, const enum pt_mode *s,
		       unsigned int dwell)
{
	enum pt_mode prev = pb->start;
	double extra = 0.0;
	size_t i, j;

	for (i = 0; i < pb->n; i++) {
		enum pt_mode m = s[i];
		unsigned int lag;

		if (m == prev)
			continue;
		lag = m == PT_MODE_BATCH ? REPLAY_ENTER_LAG : REPLAY_LEAVE_LAG;
		for (j = i >= lag ? i - lag : 0; j < i; j++)
			extra += fmax(0.0, pb->cost[prev][j] - pb->cost[m][j]);
		for (j = i; j < i + dwell && j < pb->n; j++)
			extra += fmax(0.0, pb->cost[m][j] - pb->cost[!m][j]);
		prev = m;
	}
	return extra;
}

int bound_of(const struct oracle_problem *pb, const enum pt_mode *sched,
	     const struct replay_result *rr, double ratio, double *bound)
{
	struct oracle_problem free_pb = *pb;
	struct oracle_result frr;
	int rc;

	/* The yardstick: no dwell, the largest H the rule used. */
	free_pb.dwell = 0;
	free_pb.switch_cost = fmax(rr->max_bound, pb->switch_cost);
	rc = oracle_solve(&free_pb, NULL, &frr);
	if (rc)
		return rc;
	/*
	 * 4 H, not 2 H: a guest's counter starts halfway (0), not at its
	 * mode's side (docs/policy.md, "The start").
	 */
	*bound = ratio * frr.cost + 4.0 * free_pb.switch_cost +
		 lag_cost(pb, sched, pb->dwell) + rr->held;
	return 0;
}

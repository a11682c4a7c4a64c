/* SPDX-License-Identifier: MIT */
/* The policy's excess over a reference, by reason (see excess.h). */
#include <string.h>

#include "excess.h"

void excess_of(const struct oracle_problem *pb, const enum pt_mode *policy,
	       const enum pt_mode *ref, const unsigned char *why,
	       struct excess *out)
{
	unsigned int sw_policy = 0, sw_ref = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < pb->n; i++) {
		unsigned int r = i ? why[i - 1] : REPLAY_WHY_N - 1;

		if (policy[i] == ref[i])
			continue;
		if (r >= REPLAY_WHY_N)
			r = REPLAY_WHY_N - 1;
		out->by_reason[r] += pb->cost[policy[i] == PT_MODE_BATCH][i] -
				     pb->cost[ref[i] == PT_MODE_BATCH][i];
	}
	oracle_schedule_cost(pb, policy, &sw_policy);
	oracle_schedule_cost(pb, ref, &sw_ref);
	out->switches = ((double)sw_policy - (double)sw_ref) * pb->switch_cost;
}

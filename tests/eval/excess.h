/* SPDX-License-Identifier: MIT */
/*
 * Where a policy's cost above a reference schedule comes from: the
 * intervals it ran in another mode than the reference, each charged to
 * the reason the engine gave when it set or kept that mode, and the
 * switches it made beyond the reference's.
 */
#ifndef PTEVAL_EXCESS_H
#define PTEVAL_EXCESS_H

#include "oracle.h"
#include "replay.h"

struct excess {
	/* cycles, per replay_reasons index; switches: the switch term */
	double by_reason[REPLAY_WHY_N];
	double switches;
};

/*
 * Interval i's mode follows from the decisions up to the end of
 * interval i - 1: why[i - 1] is charged (the first interval: "other").
 */
void excess_of(const struct oracle_problem *pb, const enum pt_mode *policy,
	       const enum pt_mode *ref, const unsigned char *why,
	       struct excess *out);

#endif /* PTEVAL_EXCESS_H */

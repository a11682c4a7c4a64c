/* SPDX-License-Identifier: MIT */
/*
 * What the last phases of one side of the regret counter brought, in
 * cycles: a ring of the newest PHASES_KEPT, their mean and spread, and
 * what a phase that has brought so much so far can be expected to bring
 * from here on, judged by them.
 */
#ifndef PTSWITCHD_PHASES_H
#define PTSWITCHD_PHASES_H

#include <stdbool.h>

#define PHASES_KEPT 16

struct phases {
	double v[PHASES_KEPT];
	unsigned int n;	   /* how many are kept, up to PHASES_KEPT */
	unsigned int next; /* where the next one goes */
};

void phases_add(struct phases *p, double v);
void phases_forget(struct phases *p);
double phases_mean(const struct phases *p);
/* Their standard deviation (0 with fewer than two). */
double phases_sd(const struct phases *p);
double phases_max(const struct phases *p);
/*
 * The mean of v - so_far over the kept phases that brought so_far or
 * more: what the current phase is expected to bring from here on if it is
 * like them.  False when none brought that much.
 */
bool phases_residual(const struct phases *p, double so_far, double *out);
/*
 * Whether a phase that has brought so_far, and brings about step more by
 * the next decision, is worth following now at the given price rather
 * than one decision later, judged by the kept phases that brought so_far
 * or more: waiting costs step if the phase goes on, and saves the price
 * if it ends before.  False when none brought that much.
 */
bool phases_follow_now(const struct phases *p, double so_far, double step,
		       double price);

#endif /* PTSWITCHD_PHASES_H */

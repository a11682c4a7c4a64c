/* SPDX-License-Identifier: MIT */
/* The offline oracle (see oracle.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "oracle.h"

/*
 * State after an interval: the mode m and k = intervals spent in it so
 * far, capped at the dwell D (k = D: free to switch).  best[m][k] is the
 * cheapest cost to get there; from[i][m][k] remembers the state before
 * interval i on that cheapest path, to walk the schedule back.
 */
struct state {
	uint8_t mode;
	uint32_t k;
};

int oracle_solve(const struct oracle_problem *pb, enum pt_mode *sched,
		 struct oracle_result *res)
{
	unsigned int d = pb->dwell ? pb->dwell : 1, k, m, bm = 0, bk = 0;
	size_t i, states = 2 * (size_t)(d + 1);
	double *best, *next, bestcost = INFINITY;
	struct state *from, cur;
	int rc = 0;

	if (!pb->n || !pb->cost[0] || !pb->cost[1] ||
	    (pb->start != PT_MODE_EMULATE && pb->start != PT_MODE_BATCH))
		return -EINVAL;
	best = malloc(2 * states * sizeof(*best));
	from = calloc(pb->n * states, sizeof(*from));
	if (!best || !from) {
		rc = -ENOMEM;
		goto out;
	}
	next = best + states;
#define AT(a, mm, kk) ((a)[(mm) * (d + 1) + (kk)])
	for (k = 0; k < states; k++)
		best[k] = INFINITY;
	AT(best, pb->start, d) = 0.0;

	for (i = 0; i < pb->n; i++) {
		for (k = 0; k < states; k++)
			next[k] = INFINITY;
		/* Staying first, so that a tie keeps the mode. */
		for (m = 0; m < 2; m++)
			for (k = 1; k <= d; k++) {
				unsigned int nk = k < d ? k + 1 : d;
				double c = AT(best, m, k) + pb->cost[m][i];

				if (c < AT(next, m, nk)) {
					AT(next, m, nk) = c;
					AT(from + i * states, m, nk) =
					    (struct state){m, k};
				}
			}
		for (m = 0; m < 2; m++) {
			double c =
			    AT(best, m, d) + pb->switch_cost + pb->cost[!m][i];

			if (c < AT(next, !m, 1)) {
				AT(next, !m, 1) = c;
				AT(from + i * states, !m, 1) =
				    (struct state){m, d};
			}
		}
		for (k = 0; k < states; k++)
			best[k] = next[k];
	}
	for (m = 0; m < 2; m++)
		for (k = 1; k <= d; k++)
			if (AT(best, m, k) < bestcost) {
				bestcost = AT(best, m, k);
				bm = m;
				bk = k;
			}
	res->cost = bestcost;
	res->switches = 0;
	cur = (struct state){(uint8_t)bm, bk};
	for (i = pb->n; i-- > 0;) {
		struct state prev = AT(from + i * states, cur.mode, cur.k);

		if (sched)
			sched[i] = cur.mode ? PT_MODE_BATCH : PT_MODE_EMULATE;
		if (prev.mode != cur.mode)
			res->switches++;
		cur = prev;
	}
#undef AT
out:
	free(best);
	free(from);
	return rc;
}

double oracle_schedule_cost(const struct oracle_problem *pb,
			    const enum pt_mode *sched, unsigned int *switches)
{
	enum pt_mode prev = pb->start;
	unsigned int n_sw = 0;
	double c = 0.0;
	size_t i;

	for (i = 0; i < pb->n; i++) {
		if (sched[i] != prev)
			n_sw++;
		c += pb->cost[sched[i] == PT_MODE_BATCH][i];
		prev = sched[i];
	}
	if (switches)
		*switches = n_sw;
	return c + n_sw * pb->switch_cost;
}

void oracle_react(const enum pt_mode *in, enum pt_mode *out, size_t n,
		  unsigned int enter_lag, unsigned int leave_lag,
		  unsigned int dwell)
{
	enum pt_mode mode = PT_MODE_EMULATE;
	unsigned int held = dwell; /* the start has its dwell served */
	size_t i, a, b;

	/* First where each stay would run, lags applied ... */
	for (i = 0; i < n; i++)
		out[i] = PT_MODE_EMULATE;
	for (a = 0; a < n; a = b) {
		if (in[a] != PT_MODE_BATCH) {
			b = a + 1;
			continue;
		}
		for (b = a; b < n && in[b] == PT_MODE_BATCH; b++)
			;
		for (i = a + enter_lag; i < b + leave_lag && i < n; i++)
			out[i] = PT_MODE_BATCH;
	}
	/* ... then hold every mode entered for the dwell. */
	for (i = 0; i < n; i++) {
		if (out[i] != mode && held >= dwell) {
			mode = out[i];
			held = 0;
		}
		out[i] = mode;
		if (held < dwell)
			held++;
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the policy evaluation (tests/eval/): the offline oracle
 * on tiny problems whose optimal schedule is worked out by hand
 * (including one where the dwell rule forbids the greedy choice) and
 * against brute force, the late-following schedule (vs-react), the
 * per-row cost model, the replay's handshake delay, and the regret
 * rule's worst-case bound on random traces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bound.h"
#include "excess.h"
#include "oracle.h"
#include "replay.h"
#include "rowcost.h"
#include "simbook.h"

#define E PT_MODE_EMULATE
#define B PT_MODE_BATCH

static void solve(const double *ce, const double *cb, size_t n,
		  unsigned int dwell, double sw, enum pt_mode start,
		  enum pt_mode *sched, struct oracle_result *res)
{
	struct oracle_problem pb = {
	    .cost = {ce, cb},
	    .n = n,
	    .dwell = dwell,
	    .switch_cost = sw,
	    .start = start,
	};
	unsigned int n_sw;

	assert_int_equal(oracle_solve(&pb, sched, res), 0);
	/* The schedule it returns costs what it says. */
	assert_true(fabs(oracle_schedule_cost(&pb, sched, &n_sw) - res->cost) <
		    1e-9);
	assert_int_equal(n_sw, res->switches);
}

static void expect_sched(const enum pt_mode *got, const char *want)
{
	size_t i;

	for (i = 0; want[i]; i++)
		assert_int_equal(got[i], want[i] == 'B' ? B : E);
}

/* Every interval cheaper in EMULATE: never leave it. */
static void test_all_emulate(void **state)
{
	const double ce[] = {1, 2, 3, 4}, cb[] = {2, 3, 4, 5};
	enum pt_mode s[4];
	struct oracle_result r;

	(void)state;
	solve(ce, cb, 4, 2, 0.0, E, s, &r);
	expect_sched(s, "EEEE");
	assert_true(r.cost == 10.0);
	assert_int_equal(r.switches, 0);
}

/* BATCH much cheaper: switch before interval 0 and pay once. */
static void test_all_batch(void **state)
{
	const double ce[] = {5, 5, 5}, cb[] = {0, 0, 0};
	enum pt_mode s[3];
	struct oracle_result r;

	(void)state;
	solve(ce, cb, 3, 1, 3.0, E, s, &r);
	expect_sched(s, "BBB");
	assert_true(r.cost == 3.0);
	assert_int_equal(r.switches, 1);
}

/*
 * A two-interval burst saves 8 in BATCH, but going there and back costs
 * 2 x 5 and staying there costs 2 more per interval: EEEEEE 14, EBBEEE
 * 16, EBBBBB 17.  With a switch cost of 3 the round trip pays: EBBEEE 12.
 */
static void test_switch_cost(void **state)
{
	const double ce[] = {1, 5, 5, 1, 1, 1}, cb[] = {3, 1, 1, 3, 3, 3};
	enum pt_mode s[6];
	struct oracle_result r;

	(void)state;
	solve(ce, cb, 6, 1, 5.0, E, s, &r);
	expect_sched(s, "EEEEEE");
	assert_true(r.cost == 14.0);
	assert_int_equal(r.switches, 0);
	solve(ce, cb, 6, 1, 3.0, E, s, &r);
	expect_sched(s, "EBBEEE");
	assert_true(r.cost == 6 + 2 * 3.0);
	assert_int_equal(r.switches, 2);
}

/*
 * Greedy (no dwell, free switches) would take B E E B for a cost of 10.
 * With a dwell of 3 a BATCH segment entered at 0 must last to interval 2:
 * BBBB 18, BBBE 23, EBBB 23, EEBB 19, EEEE 20; only the last segment may
 * be cut short by the end of the trace: EEEB 15 is the optimum.
 */
static void test_dwell_forbids_greedy(void **state)
{
	const double ce[] = {5, 5, 5, 5}, cb[] = {0, 9, 9, 0};
	enum pt_mode s[4];
	struct oracle_result r;

	(void)state;
	solve(ce, cb, 4, 1, 0.0, E, s, &r);
	expect_sched(s, "BEEB");
	assert_true(r.cost == 10.0);
	solve(ce, cb, 4, 3, 0.0, E, s, &r);
	expect_sched(s, "EEEB");
	assert_true(r.cost == 15.0);
	assert_int_equal(r.switches, 1);
}

/*
 * The dwell binds EMULATE segments too.  Starting in BATCH (dwell
 * served), greedy would dip into EMULATE for interval 2 only (cost 5).
 * With a dwell of 2: BEEBBB 9, BBEEBB 8, BBBBBB 14: BBEEBB.
 */
static void test_dwell_in_emulate(void **state)
{
	const double ce[] = {5, 5, 0, 4, 5, 5}, cb[] = {1, 1, 9, 1, 1, 1};
	enum pt_mode s[6];
	struct oracle_result r;

	(void)state;
	solve(ce, cb, 6, 1, 0.0, B, s, &r);
	expect_sched(s, "BBEBBB");
	assert_true(r.cost == 5.0);
	solve(ce, cb, 6, 2, 0.0, B, s, &r);
	expect_sched(s, "BBEEBB");
	assert_true(r.cost == 8.0);
	assert_int_equal(r.switches, 2);
}

static bool dwell_ok(const enum pt_mode *s, size_t n, unsigned int dwell,
		     enum pt_mode start)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && s[j] == s[i]; j++)
			;
		/* A segment entered by a switch lasts the dwell, unless the
		 * trace ends first. */
		if ((i > 0 || s[0] != start) && j < n && j - i < dwell)
			return false;
		i = j;
	}
	return true;
}

/* The DP against every schedule of small random problems. */
static void test_brute_force(void **state)
{
	enum pt_mode s[10], t[10];
	double ce[10], cb[10];
	unsigned int seed = 12345, trial;

	(void)state;
	for (trial = 0; trial < 300; trial++) {
		size_t n = 1 + trial % 10, i;
		unsigned int dwell = trial % 4, mask;
		double sw = (double)(trial % 3) * 2.5, best = INFINITY;
		enum pt_mode start = trial % 2 ? B : E;
		struct oracle_problem pb = {
		    .cost = {ce, cb},
		    .n = n,
		    .dwell = dwell,
		    .switch_cost = sw,
		    .start = start,
		};
		struct oracle_result r;

		for (i = 0; i < n; i++) {
			ce[i] = rand_r(&seed) % 10;
			cb[i] = rand_r(&seed) % 10;
		}
		for (mask = 0; mask < 1u << n; mask++) {
			for (i = 0; i < n; i++)
				t[i] = mask >> i & 1 ? B : E;
			if (!dwell_ok(t, n, dwell, start))
				continue;
			best = fmin(best, oracle_schedule_cost(&pb, t, NULL));
		}
		solve(ce, cb, n, dwell, sw, start, s, &r);
		assert_true(fabs(r.cost - best) < 1e-9);
		assert_true(dwell_ok(s, n, dwell, start));
	}
}

static void test_bad_input(void **state)
{
	const double c[] = {1};
	struct oracle_problem pb = {.cost = {c, c}, .n = 0};
	struct oracle_result r;

	(void)state;
	assert_int_equal(oracle_solve(&pb, NULL, &r), -EINVAL);
	pb.n = 1;
	pb.start = (enum pt_mode)3;
	assert_int_equal(oracle_solve(&pb, NULL, &r), -EINVAL);
}

/*
 * Each stay starts two intervals late and ends one late; a stay of one
 * interval vanishes; a stay at the end is cut by the end.  With a dwell,
 * each mode entered is held that long, which can swallow a later stay.
 */
static void test_react(void **state)
{
	const char *in_s = "BBBBEEEBEEBBBEEEEBBB";
	enum pt_mode in[20], out[20];
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		in[i] = in_s[i] == 'B' ? B : E;
	oracle_react(in, out, 20, 2, 1, 0);
	expect_sched(out, "EEBBBEEEEEEEBBEEEEEB");
	/* No lag, no dwell: the schedule itself. */
	oracle_react(in, out, 20, 0, 0, 0);
	expect_sched(out, in_s);
	/*
	 * Dwell 4: BATCH 2-5 (held), EMULATE 6-11 (held 6-9; nothing to
	 * enter at 10-11), BATCH 12-15 (held past 14), EMULATE from 16
	 * (held to the end, so the last stay never starts).
	 */
	oracle_react(in, out, 20, 2, 1, 4);
	expect_sched(out, "EEBBBBEEEEEEBBBBEEEE");
}

#define HDR                                                                    \
	"ptswitch-trace 1\nname t\n"                                           \
	"fields runs-1 runs-2-9 runs-10-49 runs-50-99 runs-100-511 "           \
	"runs-512 writes\n"

static void load(const char *text, struct trace *t)
{
	struct trace_error err;

	assert_int_equal(trace_parse(text, strlen(text), "t", t, &err), 0);
}

/*
 * Default costs (E 2000, B 8000, V 150), one vCPU: 1 % of runs refused
 * and emulated, no spurious faults.
 *   whole pages:  1 run of 512: E 1 024 000;
 *                 B 0.99 (8000 + 512 x 150) + 0.01 x 512 x 2000 = 94 192
 *   single faults: 1000 runs of 1: E 2 000 000;
 *                 B 0.99 (8 000 000 + 150 000) + 0.01 x 2 000 000
 *                 = 8 088 500
 * With 3 vCPUs: 2 % refused, 6 % of batches take a spurious fault (3000).
 */
static void test_rowcost(void **state)
{
	struct policy p;
	struct trace t;

	(void)state;
	policy_defaults(&p);
	load(HDR "0 0 0 0 0 1 512\n1000 0 0 0 0 0 1000\n", &t);
	assert_true(rowcost(&p.cost, 1, E, &t.rows[0]) == 1024000.0);
	assert_true(fabs(rowcost(&p.cost, 1, B, &t.rows[0]) - 94192.0) < 1e-6);
	assert_true(rowcost(&p.cost, 1, E, &t.rows[1]) == 2000000.0);
	assert_true(fabs(rowcost(&p.cost, 1, B, &t.rows[1]) - 8088500.0) <
		    1e-6);
	assert_true(fabs(rowcost(&p.cost, 3, B, &t.rows[0]) -
			 (0.98 * (8000 + 512 * 150 + 0.06 * 3000) +
			  0.02 * 512 * 2000)) < 1e-6);
	trace_free(&t);
}

/*
 * A steady trace of whole-page runs, built-in policy: the noise guard
 * has its scale after two samples, the regret is far past the switch
 * cost, so the engine decides at the end of interval 1, the agent acks
 * before the next tick, and BATCH starts at interval 3, once.
 * The oracle switches before interval 0; always-BATCH costs the same.
 */
static void test_replay_handshake(void **state)
{
	enum pt_mode s[60], os[60];
	double ce[60], cb[60];
	struct replay_result rr;
	struct oracle_result orr;
	struct policy p;
	struct trace t;
	struct replay_guest rg = {.trace = &t, .n = 60, .vcpus = 1, .domid = 1};
	size_t i;

	(void)state;
	policy_defaults(&p);
	load(HDR "0 0 0 0 10 20 13000\n", &t);
	assert_int_equal(replay_policy(&p, &rg, s, &rr), 0);
	for (i = 0; i < 60; i++)
		assert_int_equal(s[i], i < 3 ? E : B);
	assert_int_equal(rr.switches, 1);
	assert_int_equal(rr.batch_intervals, 57);

	rowcost_fill(&p.cost, 1, &t, 60, 1000, ce, cb);
	solve(ce, cb, 60, 30, p.cost.mode_switch, E, os, &orr);
	for (i = 0; i < 60; i++)
		assert_int_equal(os[i], B);
	trace_free(&t);
}

/* Single faults: BATCH never pays; the policy must stay in EMULATE. */
static void test_replay_stays(void **state)
{
	enum pt_mode s[40];
	struct replay_result rr;
	struct policy p;
	struct trace t;
	struct replay_guest rg = {.trace = &t, .n = 40, .vcpus = 1, .domid = 1};
	size_t i;

	(void)state;
	policy_defaults(&p);
	load(HDR "3000 0 0 0 0 0 3000\n", &t);
	assert_int_equal(replay_policy(&p, &rg, s, &rr), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(s[i], E);
	assert_int_equal(rr.switches, 0);
	trace_free(&t);
}

/*
 * The bound (docs/policy.md) on random traces: phases of random length
 * (1 to 60 s) of random work (idle, single faults, short runs, long
 * runs, whole pages, at random rates), replayed at the default policy, at
 * a tight rate limit (its price), without the noise guard, and at other
 * intervals.  The policy never costs more than the bound; against a
 * third of the optimum alone it would.
 */
static void random_trace(struct trace *t, unsigned int seed)
{
	static const unsigned int lens[] = {1, 3, 5, 12, 60, 300, 512};
	static const double rates[] = {0, 500, 5e3, 5e4, 2e5};
	size_t cap = 64 * 1024, len = 0, rows = 0;
	char *text = malloc(cap);
	unsigned int r = seed;

	assert_non_null(text);
	len += (size_t)snprintf(text, cap, HDR);
	while (rows < 600) {
		unsigned int l, n, k, b;
		double rate;

		r = r * 1103515245u + 12345u;
		l = lens[(r >> 8) % 7];
		rate = rates[(r >> 12) % 5];
		n = 1 + (r >> 16) % 60;
		for (k = 0; k < n && rows < 600; k++, rows++) {
			uint64_t runs = (uint64_t)(rate / l);

			b = pt_hist_bucket(l);
			len += (size_t)snprintf(
			    text + len, cap - len, "%s%llu %s%llu\n",
			    (const char *[]){"", "0 ", "0 0 ", "0 0 0 ",
					     "0 0 0 0 ", "0 0 0 0 0 "}[b],
			    (unsigned long long)runs,
			    (const char *[]){"0 0 0 0 0 ", "0 0 0 0 ", "0 0 0 ",
					     "0 0 ", "0 ", ""}[b],
			    (unsigned long long)(runs * l));
			assert_true(len < cap - 64);
		}
	}
	load(text, t);
	free(text);
}

static void check_bound(const struct policy *p, const struct trace *t,
			double *worst, unsigned int *over_third)
{
	size_t n = 3600000 / p->interval_ms;
	double *ce = calloc(n, sizeof(*ce)), *cb = calloc(n, sizeof(*cb));
	enum pt_mode *s = calloc(n, sizeof(*s));
	struct replay_guest rg = {.trace = t, .n = n, .vcpus = 1, .domid = 1};
	struct oracle_problem pb = {
	    .cost = {ce, cb},
	    .n = n,
	    .dwell = (unsigned int)((p->min_dwell_ms + p->interval_ms - 1) /
				    p->interval_ms),
	    .switch_cost = p->cost.mode_switch,
	    .start = E,
	};
	struct replay_result rr;
	double cost, bound, third;

	assert_true(ce && cb && s);
	rowcost_fill(&p->cost, 1, t, n, p->interval_ms, ce, cb);
	assert_int_equal(replay_policy(p, &rg, s, &rr), 0);
	cost = oracle_schedule_cost(&pb, s, NULL);
	assert_int_equal(bound_of(&pb, s, &rr, 3.0, &bound), 0);
	assert_int_equal(bound_of(&pb, s, &rr, 1.0 / 3.0, &third), 0);
	if (cost > bound)
		print_error("cost %g over the bound %g\n", cost, bound);
	assert_true(cost <= bound);
	if (cost / bound > *worst)
		*worst = cost / bound;
	*over_third += cost > third;
	free(ce);
	free(cb);
	free(s);
}

static void test_bound_random(void **state)
{
	double worst = 0.0;
	unsigned int seed, over_third = 0;

	(void)state;
	for (seed = 1; seed <= 12; seed++) {
		struct policy p;
		struct trace t;

		random_trace(&t, seed);
		policy_defaults(&p);
		check_bound(&p, &t, &worst, &over_third);
		p.max_switches = 2; /* the price at work */
		check_bound(&p, &t, &worst, &over_third);
		p.noise_margin = 0;
		check_bound(&p, &t, &worst, &over_third);
		policy_defaults(&p);
		p.interval_ms = seed % 2 ? 100 : 10000;
		check_bound(&p, &t, &worst, &over_third);
		trace_free(&t);
	}
	print_message(
	    "worst cost / bound: %.3f; over the bound at ratio 1/3: %u\n",
	    worst, over_third);
	/* The check can fail: ratio 1/3 is below what the policy costs. */
	assert_true(over_third > 0);
}

/*
 * The excess by reason adds up to the policy's cost less the
 * reference's, and an interval is charged to the reason given at the
 * end of the one before.
 */
static void test_excess(void **state)
{
	double ce[] = {1, 1, 5, 5, 1, 1}, cb[] = {3, 3, 1, 1, 3, 3};
	enum pt_mode pol[] = {E, E, E, B, B, E}, ref[] = {E, E, B, B, E, E};
	unsigned char why[] = {0, 1, 4, 2, 7, 3};
	struct oracle_problem pb = {
	    .cost = {ce, cb},
	    .n = 6,
	    .switch_cost = 10,
	    .start = E,
	};
	double sum = 0.0;
	struct excess ex;
	unsigned int i;

	(void)state;
	excess_of(&pb, pol, ref, why, &ex);
	/* Interval 2: E for B, 5 - 1, charged to why[1]. */
	assert_true(fabs(ex.by_reason[1] - 4.0) < 1e-9);
	/* Interval 4: B for E, 3 - 1, charged to why[3]. */
	assert_true(fabs(ex.by_reason[2] - 2.0) < 1e-9);
	/* The same two switches each. */
	assert_true(fabs(ex.switches) < 1e-9);
	for (i = 0; i < REPLAY_WHY_N; i++)
		sum += ex.by_reason[i];
	assert_true(fabs(sum + ex.switches -
			 (oracle_schedule_cost(&pb, pol, NULL) -
			  oracle_schedule_cost(&pb, ref, NULL))) < 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_emulate),
	    cmocka_unit_test(test_all_batch),
	    cmocka_unit_test(test_switch_cost),
	    cmocka_unit_test(test_dwell_forbids_greedy),
	    cmocka_unit_test(test_dwell_in_emulate),
	    cmocka_unit_test(test_brute_force),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_react),
	    cmocka_unit_test(test_rowcost),
	    cmocka_unit_test(test_replay_handshake),
	    cmocka_unit_test(test_replay_stays),
	    cmocka_unit_test(test_bound_random),
	    cmocka_unit_test(test_excess),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

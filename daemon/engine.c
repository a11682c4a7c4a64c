/* SPDX-License-Identifier: MIT */
/*
 * The decision engine: a cost model of each sample's counter deltas, the
 * work-function rule over them, then the guards (safety, pins, dwell).
 * docs/policy.md states the rule and its bound and lists the reason
 * tokens; docs/cost-model.md explains the model.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

/* An L1 page has 512 entries: no batch re-validates more. */
#define L1_ENTRIES 512.0
/* The noise estimate looks back this many windows. */
#define NOISE_WINDOWS 10.0
/* The noise scale's clip never falls below this share of the level. */
#define NOISE_FLOOR 0.01
/* Weight of the newest phase in the mean phase lengths. */
#define PHASE_WEIGHT 0.25
/* Phases of a side seen before their spread is trusted. */
#define PHASES_KNOWN 3
/* Standard errors by which the cycle test wants one side ahead. */
#define CYCLE_Z 2.0
/* Rate-limit price: doublings beyond the budget, at most. */
#define MAX_DOUBLINGS 30

#define DELTA_FIELDS (sizeof(struct engine_delta) / sizeof(uint64_t))
_Static_assert(sizeof(struct engine_delta) % sizeof(uint64_t) == 0,
	       "struct engine_delta must hold only uint64_t counters");

void engine_guest_init(struct engine_guest *g, enum pt_mode mode,
		       uint64_t now_ms)
{
	memset(g, 0, sizeof(*g));
	g->mode = mode;
	g->mode_since_ms = now_ms;
	/* regret = bound = 0: the first sample puts it at the mode's side. */
}

static void pick(struct engine_delta *d, const struct pt_stats *s)
{
	unsigned int b;

	d->emulated_writes = s->emulated_writes;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		d->emul_runs[b] = s->emul_runs[b];
	d->batches = s->batches;
	d->batch_ptes = s->batch_ptes;
	d->spurious_faults = s->spurious_faults;
	d->unhook_refused = s->unhook_refused;
}

/*
 * now - old modulo 2^64, field by field; false when a field moved faster
 * than the sanity bound (a reset reads as a near-2^64 delta).
 */
static bool take_delta(struct engine_delta *out, const struct engine_delta *now,
		       const struct engine_delta *old, double secs)
{
	const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)old;
	uint64_t *o = (uint64_t *)out;
	double max = ENGINE_MAX_RATE * secs;
	size_t i;

	for (i = 0; i < DELTA_FIELDS; i++) {
		o[i] = a[i] - b[i];
		if ((double)o[i] > max)
			return false;
	}
	return true;
}

/*
 * In EMULATE, each run of consecutive writes to one L1 page would have
 * been one batch.  The histogram gives run counts per bucket; the bucket
 * midpoints are scaled so that the runs add up to the exact number of
 * emulated writes, and capped at a full page.
 */
static double counterfactual_batch(const struct policy_costs *c,
				   const struct engine_delta *s)
{
	double runs = 0, est = 0, scale, cost = 0;
	unsigned int b;

	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		runs += (double)s->emul_runs[b];
		est += (double)s->emul_runs[b] * pt_hist_mean(b);
	}
	if (runs == 0 || est == 0)
		/* No histogram: assume the worst, one batch per write. */
		return (double)s->emulated_writes * (c->batch + c->batch_entry);
	scale = (double)s->emulated_writes / est;
	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		double len = fmin(pt_hist_mean(b) * scale, L1_ENTRIES);

		cost += (double)s->emul_runs[b] *
			(c->batch + fmax(len, 1.0) * c->batch_entry);
	}
	return cost;
}

/* Modeled cycles of both modes for counters booked in the given mode. */
static void costs_of(const struct policy_costs *c, enum pt_mode mode,
		     const struct engine_delta *s, double *ce, double *cb,
		     double *writes)
{
	if (mode == PT_MODE_EMULATE) {
		*writes = (double)s->emulated_writes;
		*ce = *writes * c->emulated_write;
		*cb = counterfactual_batch(c, s);
	} else {
		/*
		 * Writes that could not be batched were emulated; count
		 * them once whichever counter the hypervisor put them in.
		 */
		double fallback =
		    (double)(s->emulated_writes > s->unhook_refused
				 ? s->emulated_writes
				 : s->unhook_refused);

		*writes = (double)s->batch_ptes + fallback;
		*cb = (double)s->batches * c->batch +
		      (double)s->batch_ptes * c->batch_entry +
		      (double)s->spurious_faults * c->spurious_fault +
		      fallback * c->emulated_write;
		*ce = *writes * c->emulated_write;
	}
}

/* The window, in seconds: `window` is a number of seconds. */
static double window_secs(const struct policy *p)
{
	return p->window ? (double)p->window : 1.0;
}

/*
 * The noise of the regret rate per square root second, in units of the
 * square root of the cost level (the guard multiplies it by the root of
 * the level it judges), on stretches of at least a second whatever the
 * sampling interval (rates over less than a second are not
 * independent).  Noise that grows as the root of the level is that of
 * counts (PTE writes, runs) at a rate: a guest ten times as busy is
 * sqrt(10) times as noisy, not ten times.  The estimate pools every
 * level the guest ran at; scaled as the level (before), the noise of a
 * near-idle web server, large for its level, judged a fork storm at
 * twenty times the level by twenty times that noise and never let it
 * through; not scaled at all, a stretch of huge values made the noise
 * of the work around it many times its own.  Noise is what a saving
 * does not explain: a workload whose saving stays put, however bursty
 * its cycles, has none.  Two estimates of it, each a mean absolute step
 * with every step clipped at four times its scale so far:
 *
 * - the change between successive residuals x - s c of a stretch's
 *   regret rate x against the window's saving s times its EMULATE cost
 *   rate c (von Neumann);
 * - the miss x - s' c of the previous stretch's own saving s'.
 *
 * Stationary noise gives both the same scale.  Structure that is not
 * noise inflates one of them only: after a change of phase the window's
 * saving lags for a window, so the first reads every change as a
 * window's worth of large steps, where the second sees one step; a fast
 * mix of two savings at very different levels (short fork bursts
 * between near-idle seconds) makes the second miss at every stretch,
 * where the window's cost-weighted saving predicts it.  So the smaller
 * of the two is the noise.
 */
/*
 * A step clipped at four times its estimator's scale so far (sum nd),
 * that scale taken as at least NOISE_FLOOR of the level.  Without the
 * floor a scale that starts at nearly zero stays there: at 100 ms a
 * stretch is a sum of ten samples, a steady start leaves rounding dust
 * (1e-16 of the level) for a scale, and each later step, clipped at
 * four times the dust, grows it by a few per cent a second: the guard
 * was off for many minutes of real noise.  The floor only bounds how
 * fast the estimate may grow, never the estimate.  The first step is not
 * clipped: there is no scale yet.
 */
static double clip_step(const struct engine_guest *g, double nd, double step,
			double c)
{
	if (g->ncc > 0.0 && nd > 0.0)
		return fmin(step,
			    4.0 * fmax(nd / g->ncc * sqrt(c), NOISE_FLOOR * c));
	return step;
}

static void noise_update(const struct policy *p, struct engine_guest *g,
			 double x, double ce, double secs)
{
	double s = 0.0, e, c, step, keep;

	g->bk_x += x;
	g->bk_c += ce;
	g->bk_secs += secs;
	if (g->bk_secs < 1.0 - 1e-9) /* ten 0.1 s add up to 0.999... */
		return;
	c = g->bk_c / g->bk_secs;
	/* The saving the window predicted; at first, the stretch's own. */
	if (g->win.ce > 0.0)
		s = (g->win.ce - g->win.cb) / g->win.ce;
	else if (g->bk_c > 0.0)
		s = g->bk_x / g->bk_c;
	e = g->bk_x / g->bk_secs - s * c;
	if (g->have_resid) {
		keep = exp(-g->bk_secs / (NOISE_WINDOWS * window_secs(p)));
		g->ncc = g->ncc * keep + sqrt(c) * g->bk_secs;
		step = clip_step(g, g->nd, fabs(e - g->resid), c);
		g->nd = g->nd * keep + step * g->bk_secs;
		/* What the previous stretch's own saving predicts, missed by.
		 */
		step = clip_step(g, g->nd_prev,
				 fabs(g->bk_x / g->bk_secs - g->prev_s * c), c);
		g->nd_prev = g->nd_prev * keep + step * g->bk_secs;
		/* E|d| of a normal step of variance 2 s^2 is 2 s / sqrt(pi). */
		if (g->ncc > 0.0)
			g->sigma = fmin(g->nd, g->nd_prev) / g->ncc *
				   (sqrt(M_PI) / 2.0) * sqrt(g->bk_secs);
	}
	if (g->bk_c > 0.0)
		g->prev_s = g->bk_x / g->bk_c;
	g->resid = e;
	g->have_resid = true;
	g->bk_x = g->bk_c = g->bk_secs = 0.0;
}

static unsigned int recent_switches(const struct engine_guest *g,
				    uint64_t period_ms, uint64_t now_ms)
{
	unsigned int kept = g->n_switches < ENGINE_MAX_SWITCH_HISTORY
				? g->n_switches
				: ENGINE_MAX_SWITCH_HISTORY;
	unsigned int i, count = 0;

	for (i = 0; i < kept; i++) {
		uint64_t t = g->switch_ms[i];

		if (t <= now_ms && now_ms - t < period_ms)
			count++;
	}
	return count;
}

/*
 * H = M x 2^e: the switch cost, and the rate limit as a price: once the
 * period's budget of switches is spent, every further switch needs
 * twice the regret of the one before.  A losing mode is never held for
 * good: its regret grows until it pays even that.
 */
double engine_bound(const struct policy *p, const struct engine_guest *g,
		    uint64_t now_ms)
{
	unsigned int n = recent_switches(g, p->rate_period_ms, now_ms), e;
	/* A cycle at least: with no switch cost, a tie moves nothing. */
	double h = fmax(p->cost.mode_switch, 1.0);

	if (n >= p->max_switches) {
		e = n - p->max_switches + 1;
		h = ldexp(h, e > MAX_DOUBLINGS ? MAX_DOUBLINGS : (int)e);
	}
	return h;
}

/*
 * The noise guard: an excursion of t seconds must exceed z sigma
 * sqrt(level) sqrt(t + window) before the guest switches, z the noise
 * margin, level the excursion's EMULATE cost rate.  A
 * change of workload clears it in a sample or two; a stationary noisy
 * workload rarely does, however long it runs.  Zero when the workload
 * is steady.
 *
 * Below a second the noise it allows for grows with t, not sqrt(t):
 * sigma is measured on stretches of a second because rates over less
 * are not independent, so a fraction t of a second carries t times a
 * second's noise, and t seconds of a change are judged by the standard
 * a whole second would be (t z sigma sqrt(1 + window)).  With
 * sqrt(t + window) there, one 100 ms sample had to bring nearly the
 * regret of a 1 s sample: a change the guard lets through on its first
 * second waited most of a second at 100 ms, while following it paid
 * from the second 100 ms sample.
 */
static double guard(const struct policy *p, const struct engine_guest *g)
{
	double level, t = g->exc_secs;

	if (t <= 0.0)
		return 0.0;
	/* The noise at the excursion's own cost level. */
	level = sqrt(g->exc_cost / t);
	if (t < 1.0)
		return p->noise_margin * g->sigma * level * t *
		       sqrt(1.0 + window_secs(p));
	return p->noise_margin * g->sigma * level * sqrt(t + window_secs(p));
}

static void avg_add(struct engine_avg *a, double keep, double secs, double ce,
		    double cb, double writes, const struct engine_delta *d,
		    enum pt_mode mode)
{
	a->w = a->w * keep + secs;
	a->ce = a->ce * keep + ce;
	a->cb = a->cb * keep + cb;
	a->writes = a->writes * keep + writes;
	a->ptes *= keep;
	a->spurious *= keep;
	if (mode == PT_MODE_BATCH) {
		a->ptes += (double)d->batch_ptes;
		a->spurious += (double)d->spurious_faults;
	}
}

/*
 * Measured decisions start once the noise guard has a scale: two
 * stretches of at least a second (two samples at intervals of a second
 * or more).  A first sample alone used to decide at intervals as long as
 * the window, with no noise scale, so against no guard at all.
 */
static bool warm(const struct engine_guest *g)
{
	return g->ncc > 0.0;
}

/*
 * The newest phase joins a mean (0: none yet) and, unless dev is NULL,
 * its mean absolute deviation, with PHASE_WEIGHT.
 */
static void phase_add(double *mean, double *dev, double v)
{
	if (*mean > 0.0) {
		if (dev)
			*dev = (1.0 - PHASE_WEIGHT) * *dev +
			       PHASE_WEIGHT * fabs(v - *mean);
		*mean = (1.0 - PHASE_WEIGHT) * *mean + PHASE_WEIGHT * v;
	} else {
		*mean = v;
	}
}

/*
 * A phase ends when the counter, having stood at one bound, reaches the
 * other: its length and what it brought join that side's means.  `over`
 * is what the clamp threw away this sample (> 0 beyond the BATCH bound).
 */
static void note_side(struct engine_guest *g, double h, double over,
		      double busy, uint64_t now_ms)
{
	int side = g->regret >= h ? 1 : (g->regret <= -h ? -1 : 0);
	double len;

	if (!side)
		return;
	if (side == g->side) {
		g->side_gain += fabs(over);
		g->side_busy += busy;
		return;
	}
	if (g->side && now_ms > g->side_ms) {
		bool b = g->side > 0;
		unsigned int *n = b ? &g->n_b : &g->n_e;

		len = (double)(now_ms - g->side_ms) / 1000.0;
		*n += *n < PHASES_KNOWN;
		phase_add(b ? &g->phase_b : &g->phase_e,
			  b ? &g->dev_b : &g->dev_e, len);
		phase_add(b ? &g->gain_b : &g->gain_e, NULL,
			  2.0 * h + g->side_gain);
		phase_add(b ? &g->busy_b : &g->busy_e,
			  b ? &g->bdev_b : &g->bdev_e, g->side_busy);
		phases_add(b ? &g->kept_b : &g->kept_e, 2.0 * h + g->side_gain);
	}
	g->side = side;
	g->side_ms = now_ms;
	g->side_gain = fabs(over);
	g->side_busy = busy;
}

/*
 * Whether the phase that favours the other mode can be expected to
 * outlast the reaction: after the deciding sample the guest runs one
 * more interval in the old mode when entering BATCH (the handshake),
 * and when the phase ends it runs one interval (out of BATCH) or two
 * (into it) in the mode that has become the wrong one: two intervals
 * either way.  A phase of age a (the excursion's) is expected to last
 * max(d - a, a) more, d the mean length of the guest's last phases of
 * that side (a phase older than those lasts about as long again as it
 * has lasted).  With no phase of that side seen yet, nothing is known:
 * the test passes (holding a guest's first phase back cost more, at
 * 10 s, than following one storm too many).  A guest whose phases have
 * lasted about a sample (one-second storms sampled every second) is not
 * dragged in and out after each one; at 100 ms the same storms last ten
 * intervals and are followed.  It delays a switch by at most two
 * intervals after the noise guard: a phase older than two intervals
 * always passes.
 */
static bool outlasts(const struct policy *p, const struct engine_guest *g)
{
	bool batch = g->mode == PT_MODE_BATCH;
	double d = batch ? g->phase_e : g->phase_b;
	double v = batch ? g->dev_e : g->dev_b, rest;
	bool known = (batch ? g->n_e : g->n_b) >= PHASES_KNOWN;
	double a = g->exc_secs, react = 2.0 * (double)p->interval_ms / 1000.0;

	if (d <= 0.0)
		return true;
	if (batch || !known)
		rest = fmax(d - a, a);
	else if (a < d)
		rest = d - a;
	else if (a > d + 2.0 * v)
		rest = a;
	else
		rest = 0.0;
	return rest > react + 1e-9;
}

/*
 * What the guest's next phase of its current mode costs it when the
 * guest has left and must be followed back: that phase's first samples
 * run in the wrong mode.  At least the handshake's and the first
 * sample's worth (an interval, and one more into BATCH, at the mode's
 * mean rate); at most a whole phase.  Beyond the handshake, what the
 * guest lost the last time the rule followed a phase into that mode (2H
 * and the regret the clamp threw away while the counter stood at that
 * side: the noise guard's wait), that excess fading over ten windows.
 * Measured in cycles, not seconds: seconds counted idle time as
 * lateness (a review found a half-hour pause before a switch held the
 * guest in a losing BATCH for ten cycles after).  Fading: a loss that
 * does not recur (an agent incapable for an hour, a saving the guard
 * held for minutes) is not kept for good, or the return test, priced by
 * it, holds the guest in a losing mode with no switch to measure a new
 * one; fresh ones come with every phase followed.
 */
static double late_return(const struct policy *p, const struct engine_guest *g,
			  double gain_home, double d_home, uint64_t now_ms)
{
	bool batch = g->mode == PT_MODE_BATCH;
	double iv = (double)p->interval_ms / 1000.0;
	double base =
	    fmin((batch ? 2.0 : 1.0) * iv, d_home) * gain_home / d_home;
	double lost = fmin(batch ? g->late_b : g->late_e, gain_home);
	uint64_t t = batch ? g->late_b_ms : g->late_e_ms;

	if (!t || now_ms < t || lost <= base)
		return base;
	return base + (lost - base) * exp(-(double)(now_ms - t) / 1000.0 /
					  (NOISE_WINDOWS * window_secs(p)));
}

/*
 * How likely the guest's mode is to have a phase again, for the return
 * test: a phase at the other side's bound (the counter there) that has
 * lasted twice as long as that side's phases get (their mean and twice
 * their spread, u) may be no such phase but a change of workload, whose
 * return may never come.  The chance fades as exp(-(age - 2 u) / u).
 * (From u on, regular phases ended right where the chance began to
 * fade, and the guest followed each one as it ended: phase-change at
 * 10 s +28 % over vs-react.)
 * Lengths and age count busy seconds only (samples with page-table
 * writes): idle time is no evidence either way.  Without a fading
 * chance the return test's hold was bounded in cycles, not in time:
 * after bursts at hundreds of millions of cycles a second, light steady
 * work that BATCH ran 90 % cheaper stayed in EMULATE for hours at 10 s;
 * with a cut at twice u instead (tried), a regular workload whose every
 * eighth gap between bursts was five times as long left BATCH at each,
 * 64 switches an hour where following never paid; with wall-clock
 * lengths, an idle hour inflated u and the hold came back (reviews).
 */
static double returns(const struct engine_guest *g)
{
	bool batch = g->mode == PT_MODE_BATCH;
	double u =
	    batch ? g->busy_e + 2.0 * g->bdev_e : g->busy_b + 2.0 * g->bdev_b;
	unsigned int n_away = batch ? g->n_e : g->n_b;

	if (n_away < PHASES_KNOWN || u <= 0.0 || g->side != (batch ? -1 : 1) ||
	    g->side_busy <= 2.0 * u)
		return 1.0;
	return exp(-(g->side_busy - 2.0 * u) / u);
}

/*
 * Whether following the other mode's phase pays for coming back.  A
 * switch now is a round trip: when the guest's next phase of the mode
 * it is in starts, the guest runs it in the wrong mode until the rule
 * has followed it back: late_return().
 * The phase being followed is expected to bring, from here on, what
 * the last phases of its side (PHASES_KEPT) that brought as much as it
 * has so far or more brought beyond that, on average: the phase is
 * taken to be like them.  That is right for each shape of phase seen so far:
 *
 * - regular phases have little left near their usual end;
 * - phases that end at random (memoryless gaps between storms) have as
 *   much left at any age: judged instead as bringing as much again as
 *   they had brought (before), a third of the storms of a review's
 *   trace ran in EMULATE, at 24 switches an hour;
 * - a rare long phase among short ones is one of the long ones once it
 *   outlasts the short ones: judged by the mean and spread of its side
 *   (a first form of the fix), a guest was held in EMULATE for half of
 *   each such phase; judged as a change of workload once it had lasted
 *   twice the usual (the engine before), a guest left BATCH at each
 *   long gap between bursts where following never paid.
 *
 * Judged so, the guest also weighs following one decision later: if
 * the phase goes on, it is then plainer which of the kept phases it is
 * like, at the cost of what it brings meanwhile; if it ends, the round
 * trip is saved (phases_follow_now()).  Without that, a short phase
 * that had lasted a little longer than most short ones was judged by
 * the few that lasted longer, a rare long one among them, and followed
 * (a second review: 151 switches an hour against 75, 1.3 times
 * always-EMULATE's cost).
 *
 * A phase that brought more than any of them is like none.  Beyond
 * twice the most any brought, it may be a new workload, and is
 * expected to bring as much again as it has; below that, their mean.
 *
 * Following pays when that exceeds the two switches and the late
 * return.  A Python process that forks from a freshly written 1 GiB
 * heap every 14 s spends a second after each fork in short writes that
 * cost BATCH more than a round trip of switches: leaving for them, it
 * ran the first seconds of every fork in EMULATE, many times what it
 * saved.  A phase that keeps bringing regret always passes in the end:
 * past twice the most a kept phase brought, what it is expected to
 * bring grows with it, and past twice the usual length, the late return
 * fades (returns()).  With no phase of the current mode's side seen yet,
 * there is no return to price: it passes.
 */
static bool pays_return(const struct policy *p, const struct engine_guest *g,
			double h, uint64_t now_ms)
{
	bool batch = g->mode == PT_MODE_BATCH;
	unsigned int n_home = batch ? g->n_b : g->n_e;
	double d_home = batch ? g->phase_b : g->phase_e;
	double gain_home = batch ? g->gain_b : g->gain_e;
	const struct phases *away = batch ? &g->kept_e : &g->kept_b;
	double so_far = g->exc_regret, expect, price;
	/* What the phase brings by the next decision, at its rate so far. */
	double step = g->exc_secs > 0.0 ? so_far / g->exc_secs *
					      (double)p->interval_ms / 1000.0
					: 0.0;

	if (n_home < PHASES_KNOWN || d_home <= 0.0)
		return true;
	price =
	    2.0 * h + late_return(p, g, gain_home, d_home, now_ms) * returns(g);
	/* Like the kept phases that brought more: now, or a sample later? */
	if (phases_residual(away, so_far, &expect))
		return phases_follow_now(away, so_far, step, price);
	if (so_far > 2.0 * phases_max(away))
		expect = so_far; /* like none of them */
	else
		expect = phases_mean(away);
	return expect > price;
}

/*
 * Whether staying in the other mode for good beats staying in this one,
 * whatever the noise guard and the phase test say of the current phase:
 * served in this mode, each of the other side's phases loses what it
 * brought; served in the other, each of this side's does.  The other
 * side's mean must exceed this side's by a round trip of switches and
 * two standard errors of their difference, over the last phases of
 * each side (PHASES_KEPT).  Asking the phases themselves to differ by
 * twice their spread (before) kept a guest whose storms brought twice
 * what its memoryless gaps did in EMULATE, however many of each it had
 * seen: such gaps spread as wide as their mean.  Means that weigh the
 * newest phase most (a first form of the fix) swung with each rare long
 * phase and flapped: a plain mean over a window of phases does not.
 * Noise gives both sides phases alike and spread as wide as their mean; a
 * workload of short bursts between long quiet stretches (a fork from a
 * freshly written heap, a BGSAVE) gives one side regular phases worth
 * many times the other's, too short to follow: the guard reads them as
 * noise, the phase test as too short.  Staying in the other mode then
 * holds through this side's phases by the return test.
 */
static bool stays_better(const struct engine_guest *g, double h)
{
	bool batch = g->mode == PT_MODE_BATCH;
	const struct phases *home = batch ? &g->kept_b : &g->kept_e;
	const struct phases *away = batch ? &g->kept_e : &g->kept_b;
	double sd_home, sd_away;

	if (home->n < PHASES_KNOWN || away->n < PHASES_KNOWN)
		return false;
	sd_home = phases_sd(home);
	sd_away = phases_sd(away);
	return phases_mean(away) >
	       phases_mean(home) + 2.0 * h +
		   CYCLE_Z * sqrt(sd_home * sd_home / home->n +
				  sd_away * sd_away / away->n);
}

/*
 * The counter at the far bound: whether the rule follows the phase, it
 * clearing the noise guard, the phase test and the return test (the
 * cycle test, stays_better(), is the other way to switch).  One
 * predicate for take_sample(), which books what is held, and rule(),
 * which gives the reasons, so that the two cannot drift apart.
 */
static bool follows(const struct policy *p, const struct engine_guest *g,
		    double h, uint64_t now_ms)
{
	return g->exc_regret >= guard(p, g) && outlasts(p, g) &&
	       pays_return(p, g, h, now_ms);
}

/* What the phases brought and cost, in cycles: nothing known. */
static void gains_forget(struct engine_guest *g)
{
	g->gain_b = g->gain_e = g->side_gain = 0.0;
	g->late_b = g->late_e = 0.0;
	g->late_b_ms = g->late_e_ms = 0;
	phases_forget(&g->kept_b);
	phases_forget(&g->kept_e);
}

/* One accepted sample of `secs` seconds: the rule's update. */
static void take_sample(const struct policy *p, struct engine_guest *g,
			const struct engine_delta *d, double secs,
			uint64_t now_ms)
{
	double ce, cb, writes, x, toward, h, over;

	/*
	 * What phases brought is in the cycles of the costs they were
	 * modeled with: new costs (a reload) start it afresh, or the return
	 * test prices the way back in the old units.  Phase lengths are in
	 * seconds: they stay.
	 */
	if (memcmp(&g->cost_seen, &p->cost, sizeof(g->cost_seen))) {
		gains_forget(g);
		g->cost_seen = p->cost;
	}
	costs_of(&p->cost, g->mode, d, &ce, &cb, &writes);
	x = ce - cb; /* > 0: BATCH was cheaper */

	noise_update(p, g, x, ce, secs);
	/* The window's rates: what is published, and the spurious guard. */
	avg_add(&g->win, exp(-secs / window_secs(p)), secs, ce, cb, writes, d,
		g->mode);

	/*
	 * The work-function counter, clamped to [-H, H].  x counts toward
	 * BATCH; `toward` is the same toward the other mode.
	 */
	h = engine_bound(p, g, now_ms);
	/* A counter at home stays at home when the bound moves. */
	if (g->bound > 0.0 &&
	    (g->mode == PT_MODE_BATCH ? g->regret >= g->bound
				      : -g->regret >= g->bound))
		g->regret = g->mode == PT_MODE_BATCH ? h : -h;
	g->bound = h;
	/* A bound that falls throws regret away: no sample brought that. */
	g->regret = fmax(-h, fmin(h, g->regret));
	toward = g->mode == PT_MODE_BATCH ? -x : x;
	over = g->regret + x;
	g->regret = fmax(-h, fmin(h, over));
	over -= g->regret;
	note_side(g, h, over, writes > 0.0 ? secs : 0.0, now_ms);
	/* The excursion restarts whenever the counter is back home. */
	if ((g->mode == PT_MODE_BATCH ? g->regret : -g->regret) >= h) {
		g->exc_regret = g->exc_secs = g->exc_cost = 0.0;
	} else {
		g->exc_regret += toward;
		g->exc_secs += secs;
		g->exc_cost += ce;
	}
	/*
	 * What holding back costs, for the bound's accounting: the plain
	 * rule would run this sample in the other mode; the guard or the
	 * warm-up keeps it in this one.
	 */
	g->held = 0.0;
	if ((g->mode == PT_MODE_BATCH ? -g->regret : g->regret) >= h &&
	    (!warm(g) || !(follows(p, g, h, now_ms) || stays_better(g, h))))
		g->held = fmax(0.0, toward);
}

enum engine_observed engine_observe(const struct policy *p,
				    struct engine_guest *g,
				    const struct pt_stats *now, uint64_t now_ms)
{
	struct engine_delta cur, old, d;
	double secs;

	/* Only a sample holds anything: see take_sample(). */
	g->held = 0.0;
	pick(&cur, now);
	pick(&old, &g->last);
	if (!g->have_last || now_ms < g->last_ms)
		goto baseline;
	/* Same instant: keep the old baseline so nothing is lost. */
	if (now_ms == g->last_ms)
		return ENGINE_OBS_SAMPLE;
	secs = (double)(now_ms - g->last_ms) / 1000.0;
	if (!take_delta(&d, &cur, &old, secs)) {
		g->faults++;
		g->last = *now;
		g->last_ms = now_ms;
		return ENGINE_OBS_REJECTED;
	}
	take_sample(p, g, &d, secs, now_ms);
	g->last = *now;
	g->last_ms = now_ms;
	return ENGINE_OBS_SAMPLE;
baseline:
	g->last = *now;
	g->last_ms = now_ms;
	g->have_last = true;
	return ENGINE_OBS_BASELINE;
}

void engine_note_switch(struct engine_guest *g, enum pt_mode mode,
			uint64_t now_ms)
{
	int to = mode == PT_MODE_BATCH ? 1 : -1;

	if (mode == g->mode)
		return;
	/*
	 * The counter at the new mode's bound: what the phase cost the
	 * guest before it got there (see late_return()).
	 */
	if (g->bound > 0.0 && g->side == to) {
		*(to > 0 ? &g->late_b : &g->late_e) =
		    2.0 * g->bound + g->side_gain;
		*(to > 0 ? &g->late_b_ms : &g->late_e_ms) = now_ms;
	}
	g->mode = mode;
	g->mode_since_ms = now_ms;
	g->switch_ms[g->n_switches % ENGINE_MAX_SWITCH_HISTORY] = now_ms;
	g->n_switches++;
	/*
	 * The work-function difference stands at the new mode's bound
	 * after a switch the rule made; a forced one starts there too.
	 * The interval that straddles the switch mixes both modes: the
	 * next reading is a baseline.
	 */
	g->regret = mode == PT_MODE_BATCH ? g->bound : -g->bound;
	g->exc_regret = g->exc_secs = g->exc_cost = 0.0;
	g->have_last = false;
	/*
	 * A forced switch, or one that lands after its phase has ended,
	 * jumps the counter to the other bound: no cost brought it there,
	 * so no phase ends.  The next sample starts one at the bound the
	 * counter stands at.  (Waiting instead until the costs moved the
	 * counter, tried, lost track of the short phases of phase-change
	 * at 10 s, whose switches land after them: +28 % over vs-react.)
	 */
	if (g->side != to) {
		g->side = 0;
		g->side_gain = g->side_busy = 0.0;
	}
}

static void set_reason(struct engine_decision *out, const char *reason)
{
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

/* A move to EMULATE for safety: never held back by dwell or rate limit. */
static void force_emulate(const struct engine_guest *g,
			  struct engine_decision *out, const char *reason)
{
	out->want = PT_MODE_EMULATE;
	out->switch_now = g->mode != PT_MODE_EMULATE;
	set_reason(out, reason);
}

/* Spurious faults per batched PTE over the window. */
static double spurious_rate(const struct engine_guest *g)
{
	if (g->win.ptes > 0.0)
		return g->win.spurious / g->win.ptes;
	return g->win.spurious > 0.0 ? INFINITY : 0.0;
}

/* What the rule wants, and why, from the regret against its bound. */
static void rule(const struct policy *p, const struct engine_guest *g,
		 uint64_t now_ms, struct engine_decision *out)
{
	double h = engine_bound(p, g, now_ms);
	bool batch = g->mode == PT_MODE_BATCH;
	double toward = batch ? -g->regret : g->regret;

	out->bound = h;
	out->margin = guard(p, g);
	/* (toward > 0: with no switch cost, a tie is no reason to move.) */
	if (toward >= h && toward > 0.0 && follows(p, g, h, now_ms)) {
		out->want = batch ? PT_MODE_EMULATE : PT_MODE_BATCH;
		set_reason(out, batch ? "low-saving" : "saving");
	} else if (toward >= h && toward > 0.0 && stays_better(g, h)) {
		out->want = batch ? PT_MODE_EMULATE : PT_MODE_BATCH;
		set_reason(out, "cycle");
	} else if (toward >= h && toward > 0.0 &&
		   g->exc_regret >= out->margin && outlasts(p, g)) {
		/* It would pay, but not the way back. */
		set_reason(out, "return-cost");
	} else if (toward >= h && toward > 0.0 &&
		   g->exc_regret >= out->margin) {
		/* Beyond the noise, but likely over before it would pay. */
		set_reason(out, "short-phase");
	} else if (toward >= h && toward > 0.0) {
		/* It would pay a switch, but not beyond the noise yet. */
		set_reason(out, "noise");
	} else if (h > p->cost.mode_switch && toward > 0.0 &&
		   toward >= p->cost.mode_switch) {
		/* It would pay a switch at the plain price. */
		set_reason(out, "rate-limit");
	} else if (g->win.w > 0.0 &&
		   g->win.writes / g->win.w < p->min_write_rate) {
		set_reason(out, "idle");
	} else if (toward > 0.0) {
		/* The other mode is ahead, not yet by a switch's worth. */
		set_reason(out, "switch-cost");
	} else {
		set_reason(out, batch ? "saving" : "low-saving");
	}
}

void engine_decide(const struct policy *p, const struct engine_guest *g,
		   const struct engine_facts *f, uint64_t now_ms,
		   struct engine_decision *out)
{
	const struct policy_override *o =
	    policy_match(p, f->name, f->domid, f->uuid);
	bool pinned = false;

	memset(out, 0, sizeof(*out));
	if (g->win.w > 0.0) {
		out->cost_emulate = g->win.ce / g->win.w;
		out->cost_batch = g->win.cb / g->win.w;
	}
	out->saving = out->cost_emulate > 0.0
			  ? 1.0 - out->cost_batch / out->cost_emulate
			  : 0.0;
	out->regret = g->regret;
	out->bound = g->bound;
	out->held = g->held;
	out->want = g->mode;

	/* Guards that keep or force EMULATE, most fundamental first. */
	if (o && o->kind == OVERRIDE_EXCLUDE) {
		force_emulate(g, out, "excluded");
	} else if (!f->capable) {
		force_emulate(g, out, "incapable");
	} else if (o && o->pin == PT_MODE_EMULATE) {
		force_emulate(g, out, "pinned");
	} else if (o) {
		/* An explicit pin to BATCH overrides the SMP heuristics. */
		pinned = true;
		out->want = PT_MODE_BATCH;
		set_reason(out, "pinned");
	} else if (f->vcpus > p->smp_max_vcpus) {
		force_emulate(g, out, "smp-vcpus");
	} else if (g->mode == PT_MODE_BATCH &&
		   spurious_rate(g) > p->smp_max_spurious) {
		force_emulate(g, out, "spurious");
	} else if (!warm(g)) {
		set_reason(out, "warming-up");
	} else {
		rule(p, g, now_ms, out);
	}
	/* force_emulate already decided; the rest waits for the dwell. */
	if (out->want == g->mode || out->switch_now)
		return;
	if (now_ms < g->mode_since_ms ||
	    now_ms - g->mode_since_ms < p->min_dwell_ms) {
		set_reason(out, "dwell");
		return;
	}
	/* A pin to BATCH still obeys the rate limit's hard budget. */
	if (pinned &&
	    recent_switches(g, p->rate_period_ms, now_ms) >= p->max_switches) {
		set_reason(out, "rate-limit");
		return;
	}
	out->switch_now = true;
}

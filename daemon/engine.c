/*
 * The decision engine: a cost model over a window of counter deltas, then
 * guards (safety, pins, dwell, rate limit, switch cost).  docs/policy.md
 * lists the reason tokens; docs/cost-model.md explains the model.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

#define FIELDS (sizeof(struct pt_stats) / sizeof(uint64_t))

/* An L1 page has 512 entries: no batch re-validates more. */
#define L1_ENTRIES 512.0

/* struct pt_stats is all uint64_t; treat it as an array for arithmetic. */
static const uint64_t *stats_u64(const struct pt_stats *s)
{
	return (const uint64_t *)s;
}

_Static_assert(sizeof(struct pt_stats) % sizeof(uint64_t) == 0,
	       "struct pt_stats must hold only uint64_t counters");

static void ring_clear(struct engine_guest *g)
{
	g->n = 0;
	g->head = 0;
}

void engine_guest_init(struct engine_guest *g, enum pt_mode mode,
		       uint64_t now_ms, struct engine_sample *ring,
		       unsigned int cap)
{
	memset(g, 0, sizeof(*g));
	g->mode = mode;
	g->mode_since_ms = now_ms;
	engine_guest_set_ring(g, ring, cap);
}

void engine_guest_set_ring(struct engine_guest *g, struct engine_sample *ring,
			   unsigned int cap)
{
	g->ring = ring;
	g->cap = cap > ENGINE_MAX_WINDOW ? ENGINE_MAX_WINDOW : cap;
	ring_clear(g);
}

static void take_delta(struct engine_delta *d, const struct pt_stats *now,
		       const struct pt_stats *old)
{
	unsigned int b;

	d->emulated_writes = now->emulated_writes - old->emulated_writes;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		d->emul_runs[b] = now->emul_runs[b] - old->emul_runs[b];
	d->batches = now->batches - old->batches;
	d->batch_ptes = now->batch_ptes - old->batch_ptes;
	d->spurious_faults = now->spurious_faults - old->spurious_faults;
	d->unhook_refused = now->unhook_refused - old->unhook_refused;
}

/* struct engine_delta is all uint64_t too: sums and differences by field. */
#define DELTA_FIELDS (sizeof(struct engine_delta) / sizeof(uint64_t))

_Static_assert(sizeof(struct engine_delta) % sizeof(uint64_t) == 0,
	       "struct engine_delta must hold only uint64_t counters");

static void delta_sum(struct engine_delta *sum, const struct engine_delta *d)
{
	uint64_t *s = (uint64_t *)sum;
	const uint64_t *a = (const uint64_t *)d;
	size_t i;

	for (i = 0; i < DELTA_FIELDS; i++)
		s[i] += a[i];
}

static void delta_diff(struct engine_delta *out, const struct engine_delta *hi,
		       const struct engine_delta *lo)
{
	uint64_t *o = (uint64_t *)out;
	const uint64_t *h = (const uint64_t *)hi, *l = (const uint64_t *)lo;
	size_t i;

	for (i = 0; i < DELTA_FIELDS; i++)
		o[i] = h[i] - l[i];
}

void engine_observe(struct engine_guest *g, const struct pt_stats *now,
		    uint64_t now_ms)
{
	const uint64_t *cur = stats_u64(now), *old = stats_u64(&g->last);
	struct engine_sample *s;
	size_t i;

	if (!g->have_last || now_ms < g->last_ms)
		goto baseline;
	/* Same instant: keep the old baseline so nothing is lost. */
	if (now_ms == g->last_ms)
		return;
	/*
	 * A counter going backwards means the hypervisor or the domain was
	 * restarted: forget the window rather than underflow.
	 */
	for (i = 0; i < FIELDS; i++)
		if (cur[i] < old[i]) {
			ring_clear(g);
			goto baseline;
		}

	if (!g->cap)
		goto baseline;
	s = &g->ring[g->head];
	s->t_ms = now_ms;
	s->dt_ms = now_ms - g->last_ms;
	take_delta(&s->d, now, &g->last);
	if (g->mode == PT_MODE_BATCH)
		delta_sum(&g->stay, &s->d);
	g->head = (g->head + 1) % g->cap;
	if (g->n < g->cap)
		g->n++;
baseline:
	g->last = *now;
	g->last_ms = now_ms;
	g->have_last = true;
}

void engine_note_switch(struct engine_guest *g, enum pt_mode mode,
			uint64_t now_ms)
{
	if (mode == g->mode)
		return;
	if (g->mode == PT_MODE_BATCH) {
		g->last_stay = g->stay;
		g->have_last_stay = true;
	}
	memset(&g->stay, 0, sizeof(g->stay));
	g->mode = mode;
	g->mode_since_ms = now_ms;
	g->switch_ms[g->n_switches % ENGINE_MAX_SWITCH_HISTORY] = now_ms;
	g->n_switches++;
	/*
	 * Samples of the other mode say nothing about this one, and the
	 * interval that straddles the switch mixes both: start afresh.
	 */
	ring_clear(g);
	g->have_last = false;
}

/* The j-th most recent sample (0: the last one). */
static const struct engine_sample *sample_at(const struct engine_guest *g,
					     unsigned int j)
{
	return &g->ring[(g->head + g->cap - 1 - j) % g->cap];
}

/* What the window says, in cycles per second. */
struct model {
	double cost_emulate, cost_batch, saving;
	double saving_se;     /* standard error of saving, from the samples */
	double var;	      /* one sample's variance (units of saving) */
	double write_rate;    /* PTE writes per second */
	double spurious_rate; /* spurious faults per batched PTE */
	double secs;
	unsigned int samples; /* how many samples the figures come from */
};

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

/*
 * Running sums over the k most recent samples (index j + 1 holds samples
 * 0..j), so that any run of them is modeled in constant time: the
 * change-point search tries every split of the window.
 */
struct moments {
	double used;	/* samples with a length */
	double ce, ce2; /* EMULATE cost rate, and its square */
	double dce, d2; /* saving rate d = ce - cb, times ce, squared */
};

struct prefix {
	unsigned int k;
	struct engine_delta sum[ENGINE_MAX_WINDOW + 1];
	uint64_t dt_ms[ENGINE_MAX_WINDOW + 1];
	struct moments mom[ENGINE_MAX_WINDOW + 1];
};

static void prefix_init(struct prefix *pre)
{
	pre->k = 0;
	memset(&pre->sum[0], 0, sizeof(pre->sum[0]));
	pre->dt_ms[0] = 0;
	memset(&pre->mom[0], 0, sizeof(pre->mom[0]));
}

/*
 * Extend the running sums to the k most recent samples (at most the
 * ring's).  Most decisions look at the window only; the whole ring is
 * summed only for the tests that look further back.  Entry j + 1 depends
 * on samples 0..j alone, so building in steps gives the same figures.
 */
static void prefix_extend(const struct policy *p, const struct engine_guest *g,
			  unsigned int k, struct prefix *pre)
{
	unsigned int j;

	if (k > g->n)
		k = g->n;
	for (j = pre->k; j < k; j++) {
		const struct engine_sample *smp = sample_at(g, j);
		struct moments *m = &pre->mom[j + 1];
		double ce, cb, w, d, secs = (double)smp->dt_ms / 1000.0;

		pre->sum[j + 1] = pre->sum[j];
		delta_sum(&pre->sum[j + 1], &smp->d);
		pre->dt_ms[j + 1] = pre->dt_ms[j] + smp->dt_ms;
		*m = pre->mom[j];
		if (!smp->dt_ms)
			continue;
		costs_of(&p->cost, g->mode, &smp->d, &ce, &cb, &w);
		ce /= secs;
		d = ce - cb / secs;
		m->used += 1.0;
		m->ce += ce;
		m->ce2 += ce * ce;
		m->dce += d * ce;
		m->d2 += d * d;
	}
	if (k > pre->k)
		pre->k = k;
}

/*
 * The window's saving 1 - sum(cb)/sum(ce) is a ratio estimate over
 * samples taken as rates (ticks may jitter).  Its standard error is
 * sqrt(sum(r^2) / (n (n - 1))) / mean(ce) with r = d - saving x ce per
 * sample; sum(r^2) expands into the running sums.  Zero when every
 * sample says the same.
 */
static double saving_se(const struct moments *m, double saving, double *var)
{
	double ss, mean_ce;

	*var = 0.0;
	if (m->used < 2.0 || m->ce <= 0.0)
		return 0.0;
	ss = m->d2 - 2.0 * saving * m->dce + saving * saving * m->ce2;
	/* The expansion can round a zero sum a hair below it. */
	if (ss < 0.0)
		ss = 0.0;
	mean_ce = m->ce / m->used;
	/* One sample's variance, in units of the saving. */
	*var = ss / (m->used - 1.0) / (mean_ce * mean_ce);
	return sqrt(*var / m->used);
}

/* The model of k samples, starting `from` samples back. */
static void model_window(const struct policy *p, const struct engine_guest *g,
			 const struct prefix *pre, unsigned int from,
			 unsigned int k, struct model *m)
{
	const struct policy_costs *c = &p->cost;
	struct engine_delta s;
	struct moments mom;
	uint64_t dt_ms;
	double ce, cb, writes;

	memset(m, 0, sizeof(*m));
	if (from >= pre->k)
		return;
	if (k > pre->k - from)
		k = pre->k - from;
	dt_ms = pre->dt_ms[from + k] - pre->dt_ms[from];
	if (!dt_ms)
		return;
	delta_diff(&s, &pre->sum[from + k], &pre->sum[from]);
	m->secs = (double)dt_ms / 1000.0;
	costs_of(c, g->mode, &s, &ce, &cb, &writes);
	if (g->mode != PT_MODE_EMULATE) {
		if (s.batch_ptes)
			m->spurious_rate =
			    (double)s.spurious_faults / (double)s.batch_ptes;
		else if (s.spurious_faults)
			m->spurious_rate = INFINITY;
	}
	m->cost_emulate = ce / m->secs;
	m->cost_batch = cb / m->secs;
	m->saving = ce > 0 ? (ce - cb) / ce : 0.0;
	if (ce > 0) {
		const struct moments *hi = &pre->mom[from + k],
				     *lo = &pre->mom[from];

		mom.used = hi->used - lo->used;
		mom.ce = hi->ce - lo->ce;
		mom.ce2 = hi->ce2 - lo->ce2;
		mom.dce = hi->dce - lo->dce;
		mom.d2 = hi->d2 - lo->d2;
		m->saving_se = saving_se(&mom, m->saving, &m->var);
	}
	m->samples = k;
	m->write_rate = writes / m->secs;
}

/* Fewest samples on either side of a change point. */
#define SEGMENT_MIN 3

/*
 * Student's t (97.5 %) over the normal quantile for a standard error
 * estimated from k samples: a margin of z standard errors means what it
 * says only with many samples, and a few samples need a wider one.
 */
static double few_samples_factor(unsigned int k)
{
	static const double t975[] = {
	    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
	    2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
	    2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
	    2.060,  2.056, 2.052, 2.048, 2.045, 2.042,
	};
	unsigned int dof = k > 1 ? k - 1 : 1;

	if (dof > sizeof(t975) / sizeof(t975[0]))
		return 2.042 / 1.960;
	return t975[dof - 1] / 1.960;
}

/*
 * Where the workload changed inside the last k samples, at most r_max
 * samples back: the number of recent samples whose saving differs from
 * that of the older ones, by a two-sample t test with the variance
 * pooled within both segments, at more than noise-margin + 1 standard
 * errors (one more than the margin
 * because several split points are tried); the most significant split
 * if several are; 0 if none.  After a phase change the old samples
 * describe another workload, and averaging them in only delays the
 * decision by up to a window.  A workload that is merely noisy has a
 * large variance within the segments and shows no change.
 */
static unsigned int change_point(const struct policy *p,
				 const struct engine_guest *g,
				 const struct prefix *pre, unsigned int k,
				 unsigned int r_max)
{
	double z_min = p->noise_margin + 1.0, best_z = 0.0;
	unsigned int r, best = 0;

	for (r = SEGMENT_MIN; r <= r_max && r + SEGMENT_MIN <= k; r++) {
		struct model a, b;
		double diff, var, se, z;

		model_window(p, g, pre, 0, r, &a);
		model_window(p, g, pre, r, k - r, &b);
		if (a.cost_emulate <= 0.0 || b.cost_emulate <= 0.0)
			continue;
		diff = fabs(a.saving - b.saving);
		var = ((r - 1) * a.var + (k - r - 1) * b.var) / (k - 2);
		se = sqrt(var * (1.0 / r + 1.0 / (k - r))) *
		     few_samples_factor(k - 1);
		z = se > 0.0 ? diff / se : (diff > 1e-9 ? INFINITY : 0.0);
		if (z > z_min && z > best_z) {
			best_z = z;
			best = r;
		}
	}
	return best;
}

/* Whether a model makes the case for entering BATCH, by the margin. */
static bool favours_batch(const struct policy *p, const struct model *m,
			  double margin)
{
	return m->write_rate >= p->min_write_rate &&
	       m->saving - margin * m->saving_se >= p->enter_saving;
}

/* How long a switch made now is expected to last: a dwell, a window. */
static double stay_horizon(const struct policy *p, const struct model *m)
{
	return fmax((double)p->min_dwell_ms / 1000.0, m->secs);
}

/* Samples the case for BATCH must span on probation: one dwell. */
static unsigned int probation_samples(const struct policy *p)
{
	uint64_t iv = p->interval_ms ? p->interval_ms : 1;

	return (unsigned int)((p->min_dwell_ms + iv - 1) / iv);
}

/* The dwell's samples, as many as the guest's ring can hold. */
static unsigned int dwell_samples(const struct policy *p,
				  const struct engine_guest *g)
{
	unsigned int span = probation_samples(p);

	return span < g->cap ? span : g->cap;
}

unsigned int engine_ring_len(const struct policy *p)
{
	unsigned int window =
	    p->window < ENGINE_MAX_WINDOW ? p->window : ENGINE_MAX_WINDOW;
	unsigned int span = probation_samples(p);

	if (span <= window)
		return window;
	return span + window - 1 < ENGINE_MAX_WINDOW ? span + window - 1
						     : ENGINE_MAX_WINDOW;
}

/*
 * Few writes are no reason to stay in BATCH when BATCH costs more than
 * EMULATE over the last dwell (beyond the noise, and by more than the
 * switch back costs): short runs make each batch dear, however few they
 * are.  Over a dwell, not a window: a pause between bursts of work that
 * BATCH pays for is no reason to leave.
 */
static bool quiet_batch_costs_more(const struct policy *p,
				   const struct engine_guest *g,
				   struct prefix *pre)
{
	unsigned int span = dwell_samples(p, g);
	struct model m;

	prefix_extend(p, g, span, pre);
	if (pre->k < span)
		return false;
	model_window(p, g, pre, 0, span, &m);
	return m.saving + p->noise_margin * m.saving_se < p->leave_saving &&
	       (m.cost_batch - m.cost_emulate) * stay_horizon(p, &m) >
		   p->cost.mode_switch;
}

/* Did the last BATCH stay cost more than it saved, with both switches? */
static bool last_stay_lost(const struct policy *p, const struct engine_guest *g)
{
	double ce, cb, writes;

	if (!g->have_last_stay)
		return false;
	costs_of(&p->cost, PT_MODE_BATCH, &g->last_stay, &ce, &cb, &writes);
	return ce - cb < 2.0 * p->cost.mode_switch;
}

/*
 * After a losing stay, the case for BATCH must have held for a dwell:
 * the ring must hold a dwell's samples (as many as it can hold) with no
 * change of the saving among them.  A favourable phase shorter than the
 * dwell then starts no stay, which the dwell would only stretch into the
 * next, unfavourable phase; a long one still does, one dwell late.
 */
static bool probation_served(const struct policy *p,
			     const struct engine_guest *g, struct prefix *pre)
{
	unsigned int span = dwell_samples(p, g);

	if (span == 0)
		return true; /* no dwell: nothing to wait for */
	/* The whole ring: the probation looks further back than the window. */
	prefix_extend(p, g, g->n, pre);
	if (pre->k < span)
		return false;
	return !change_point(p, g, pre, pre->k, span - 1);
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
 * The policy wants a switch for a non-safety reason: dwell, rate limit
 * and (entering BATCH on measurements only) the switch cost may hold it.
 */
static void gate_switch(const struct policy *p, const struct engine_guest *g,
			const struct model *m, bool pinned, uint64_t now_ms,
			struct engine_decision *out)
{
	if (now_ms < g->mode_since_ms ||
	    now_ms - g->mode_since_ms < p->min_dwell_ms) {
		set_reason(out, "dwell");
		return;
	}
	if (recent_switches(g, p->rate_period_ms, now_ms) >= p->max_switches) {
		set_reason(out, "rate-limit");
		return;
	}
	if (!pinned && out->want == PT_MODE_BATCH) {
		if ((m->cost_emulate - m->cost_batch) * stay_horizon(p, m) <=
		    p->cost.mode_switch) {
			set_reason(out, "switch-cost");
			return;
		}
	}
	out->switch_now = true;
}

void engine_decide(const struct policy *p, const struct engine_guest *g,
		   const struct engine_facts *f, uint64_t now_ms,
		   struct engine_decision *out)
{
	const struct policy_override *o =
	    policy_match(p, f->name, f->domid, f->uuid);
	unsigned int window =
	    p->window < ENGINE_MAX_WINDOW ? p->window : ENGINE_MAX_WINDOW;
	unsigned int k = g->n < window ? g->n : window;
	bool warm = g->n >= window;
	bool early = !warm && g->mode == PT_MODE_EMULATE && k >= SEGMENT_MIN;
	bool pinned = false;
	double margin;
	struct model m;
	struct prefix pre;

	memset(out, 0, sizeof(*out));
	/* The window; the tests that look further back extend the sums. */
	prefix_init(&pre);
	prefix_extend(p, g, k, &pre);
	model_window(p, g, &pre, 0, k, &m);
	margin = p->noise_margin;
	if (early)
		margin *= few_samples_factor(k);
	if (warm && g->mode == PT_MODE_BATCH) {
		/* Decide on what the guest does now, not a window ago. */
		unsigned int recent = change_point(p, g, &pre, k, k);

		if (recent) {
			model_window(p, g, &pre, 0, recent, &m);
			margin *= few_samples_factor(m.samples);
		}
	}
	out->cost_emulate = m.cost_emulate;
	out->cost_batch = m.cost_batch;
	out->saving = m.saving;
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
	} else if (!warm && !early) {
		set_reason(out, "warming-up");
	} else if (g->mode == PT_MODE_BATCH &&
		   m.spurious_rate > p->smp_max_spurious) {
		force_emulate(g, out, "spurious");
	} else if (m.write_rate < p->min_write_rate &&
		   !(g->mode == PT_MODE_BATCH &&
		     quiet_batch_costs_more(p, g, &pre))) {
		/*
		 * Too little work to tell the modes apart, and too little
		 * for either to matter: a switch would only cost.  Stay.
		 */
		out->want = g->mode;
		set_reason(out, "idle");
	} else if (g->mode == PT_MODE_EMULATE) {
		/*
		 * Hysteresis: enter at enter_saving or above ... by a margin
		 * of noise_margin standard errors: a window whose samples
		 * disagree must make a clearer case than a steady one.
		 */
		bool enter = favours_batch(p, &m, margin);

		out->want = enter ? PT_MODE_BATCH : PT_MODE_EMULATE;
		set_reason(out, enter	? "saving"
				: early ? "warming-up"
					: "low-saving");
		if (enter && last_stay_lost(p, g) &&
		    !probation_served(p, g, &pre)) {
			out->want = PT_MODE_EMULATE;
			set_reason(out, "probation");
		}
	} else {
		/* ... leave only below leave_saving (by the same margin). */
		bool leave = m.saving + margin * m.saving_se < p->leave_saving;

		out->want = leave ? PT_MODE_EMULATE : PT_MODE_BATCH;
		set_reason(out, leave ? "low-saving" : "saving");
	}
	/* force_emulate already decided; everything else passes the gates. */
	if (out->want != g->mode && !out->switch_now)
		gate_switch(p, g, &m, pinned, now_ms, out);
}

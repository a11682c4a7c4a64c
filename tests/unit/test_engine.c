/*
 * Unit tests of the decision engine: the cost model against hand-computed
 * figures, hysteresis, the guards (incapable, SMP, spurious, pins,
 * exclude), dwell, rate limit, switch cost, warm-up, counter resets and
 * the probation after a losing BATCH stay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "engine.h"

#define T0 1000000u /* arbitrary start time, ms */

/* One guest under test, fed one-second samples. */
struct rig {
	struct policy p;
	struct engine_guest g;
	struct engine_sample ring[ENGINE_MAX_WINDOW];
	struct engine_facts f;
	struct pt_stats abs;
	uint64_t t;
	struct engine_decision d;
};

/* Round figures so expected costs can be worked out by hand. */
static void rig_init(struct rig *r, enum pt_mode mode)
{
	memset(r, 0, sizeof(*r));
	policy_defaults(&r->p);
	r->p.window = 3;
	r->p.enter_saving = 0.30;
	r->p.leave_saving = 0.10;
	r->p.min_write_rate = 100;
	r->p.min_dwell_ms = 0;
	r->p.max_switches = 32;
	r->p.rate_period_ms = 3600000;
	r->p.smp_max_vcpus = 4;
	r->p.smp_max_spurious = 0.10;
	r->p.cost.emulated_write = 1000;
	r->p.cost.batch = 1000;
	r->p.cost.batch_entry = 100;
	r->p.cost.spurious_fault = 1000;
	r->p.cost.mode_switch = 0;
	r->t = T0;
	engine_guest_init(&r->g, mode, r->t, r->ring, ENGINE_MAX_WINDOW);
	r->f.name = "guest1";
	r->f.domid = 5;
	r->f.uuid = NULL;
	r->f.vcpus = 2;
	r->f.capable = true;
	/* The baseline read. */
	engine_observe(&r->g, &r->abs, r->t);
}

static void add(struct pt_stats *a, const struct pt_stats *d)
{
	unsigned int b;

	a->emulated_writes += d->emulated_writes;
	a->batches += d->batches;
	a->batch_ptes += d->batch_ptes;
	a->spurious_faults += d->spurious_faults;
	a->unhook_refused += d->unhook_refused;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		a->emul_runs[b] += d->emul_runs[b];
}

/* n one-second intervals with the same deltas. */
static void feed(struct rig *r, const struct pt_stats *d, unsigned int n)
{
	while (n--) {
		add(&r->abs, d);
		r->t += 1000;
		engine_observe(&r->g, &r->abs, r->t);
	}
}

static void decide(struct rig *r)
{
	engine_decide(&r->p, &r->g, &r->f, r->t, &r->d);
}

static void switch_to(struct rig *r, enum pt_mode mode)
{
	engine_note_switch(&r->g, mode, r->t);
	/* The first read after a switch is only a baseline. */
	r->t += 1000;
	engine_observe(&r->g, &r->abs, r->t);
}

static struct pt_stats emul(uint64_t writes, unsigned int bucket, uint64_t runs)
{
	struct pt_stats d;

	memset(&d, 0, sizeof(d));
	d.emulated_writes = writes;
	d.emul_runs[bucket] = runs;
	return d;
}

static struct pt_stats batch(uint64_t batches, uint64_t ptes, uint64_t spurious,
			     uint64_t fallback)
{
	struct pt_stats d;

	memset(&d, 0, sizeof(d));
	d.batches = batches;
	d.batch_ptes = ptes;
	d.spurious_faults = spurious;
	d.emulated_writes = fallback;
	d.unhook_refused = fallback;
	return d;
}

/*
 * 1000 writes/s as 600 single writes plus 80 runs of 5 (the bucket mean,
 * so no scaling): 680 batches, 1000 entries.  cost_emulate = 1e6,
 * cost_batch = 680e3 + 100e3 = 780e3: saving 0.22, between leave and enter.
 */
static struct pt_stats emul_mid(void)
{
	struct pt_stats d = emul(1000, 0, 600);

	d.emul_runs[1] = 80;
	return d;
}

/* Saving 0.83: 1490 writes in 20 runs of 74.5 (bucket 50-99). */
static struct pt_stats emul_high(void)
{
	return emul(1490, 3, 20);
}

static void expect(struct rig *r, enum pt_mode want, bool now,
		   const char *reason)
{
	decide(r);
	if (r->d.want != want || r->d.switch_now != now ||
	    strcmp(r->d.reason, reason))
		print_error("got want=%s now=%d reason=%s saving=%.3f\n",
			    pt_mode_name(r->d.want), r->d.switch_now,
			    r->d.reason, r->d.saving);
	assert_int_equal(r->d.want, want);
	assert_int_equal(r->d.switch_now, now);
	assert_string_equal(r->d.reason, reason);
}

static void test_model_emulate(void **state)
{
	struct rig r;
	struct pt_stats d;

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	d = emul_high();
	feed(&r, &d, 3);
	decide(&r);
	assert_float_equal(r.d.cost_emulate, 1490e3, 1e-6);
	assert_float_equal(r.d.cost_batch, 20 * (1000 + 74.5 * 100), 1e-6);
	assert_float_equal(r.d.saving, 1 - 169000.0 / 1490000.0, 1e-12);

	/* Half the writes in the same runs: run lengths scale to 37.25. */
	rig_init(&r, PT_MODE_EMULATE);
	d = emul(745, 3, 20);
	feed(&r, &d, 3);
	decide(&r);
	assert_float_equal(r.d.cost_emulate, 745e3, 1e-6);
	assert_float_equal(r.d.cost_batch, 20 * (1000 + 37.25 * 100), 1e-6);

	/* A run never batches more than a page: 2048 writes, 1 run -> 512. */
	rig_init(&r, PT_MODE_EMULATE);
	d = emul(2048, 5, 1);
	feed(&r, &d, 3);
	decide(&r);
	assert_float_equal(r.d.cost_batch, 1000 + 512 * 100, 1e-6);

	/* No histogram: each write counts as its own batch. */
	rig_init(&r, PT_MODE_EMULATE);
	d = emul(500, 0, 0);
	feed(&r, &d, 3);
	decide(&r);
	assert_float_equal(r.d.cost_batch, 500 * 1100.0, 1e-6);
	assert_true(r.d.saving < 0);

	/* Rates are per second whatever the interval. */
	rig_init(&r, PT_MODE_EMULATE);
	d = emul_mid();
	feed(&r, &d, 3);
	decide(&r);
	assert_float_equal(r.d.cost_emulate, 1e6, 1e-6);
	assert_float_equal(r.d.cost_batch, 780e3, 1e-6);
	assert_float_equal(r.d.saving, 0.22, 1e-12);
}

static void test_model_batch(void **state)
{
	struct rig r;
	struct pt_stats d;

	(void)state;
	rig_init(&r, PT_MODE_BATCH);
	d = batch(10, 1000, 5, 20);
	feed(&r, &d, 3);
	decide(&r);
	/* 10 batches + 1000 entries + 5 spurious + 20 fallback writes. */
	assert_float_equal(r.d.cost_batch, 10e3 + 100e3 + 5e3 + 20e3, 1e-6);
	assert_float_equal(r.d.cost_emulate, 1020e3, 1e-6);

	/* Fallbacks counted only as unhook_refused are still counted once. */
	rig_init(&r, PT_MODE_BATCH);
	d = batch(10, 1000, 5, 0);
	d.unhook_refused = 20;
	feed(&r, &d, 3);
	decide(&r);
	assert_float_equal(r.d.cost_batch, 135e3, 1e-6);
	assert_float_equal(r.d.cost_emulate, 1020e3, 1e-6);
}

static void test_warming_up(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high(), mid, lo;

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	expect(&r, PT_MODE_EMULATE, false, "warming-up");
	feed(&r, &d, 2);
	expect(&r, PT_MODE_EMULATE, false, "warming-up");
	feed(&r, &d, 1);
	expect(&r, PT_MODE_BATCH, true, "saving");
	/*
	 * Before a bigger window is full, three samples that agree still
	 * make the case (the margin widened for so few samples) ...
	 */
	r.p.window = 5;
	expect(&r, PT_MODE_BATCH, true, "saving");
	/* ... three that disagree do not: wait for the window. */
	rig_init(&r, PT_MODE_EMULATE);
	r.p.window = 5;
	feed(&r, &d, 1);
	mid = emul_mid();
	feed(&r, &mid, 1);
	feed(&r, &d, 1);
	expect(&r, PT_MODE_EMULATE, false, "warming-up");
	feed(&r, &mid, 1);
	expect(&r, PT_MODE_EMULATE, false, "warming-up");
	/* Only entering is decided early: leaving BATCH waits. */
	rig_init(&r, PT_MODE_BATCH);
	r.p.window = 5;
	lo = batch(1000, 1000, 0, 0);
	feed(&r, &lo, 3);
	expect(&r, PT_MODE_BATCH, false, "warming-up");
}

/*
 * The hysteresis margin grows with the window's noise: noise-margin
 * (default 2) standard errors of the saving.  Window 4, enter 0.30,
 * leave 0.10.
 *
 * EMULATE, high (ce 1.49e6, cb 169e3) and single writes (ce 1e6,
 * cb 1.1e6) alternating: saving 1 - 2.538e6 / 4.98e6 = 0.490, above
 * enter, but residuals of +-0.590e6 give SE = sqrt(4 x 0.590e6^2 / 12) /
 * 1.245e6 = 0.274, and 0.490 - 2 x 0.274 < 0.30: held.  The same two
 * summed into every sample: SE 0, it enters.
 */
static void test_noise_margin_enter(void **state)
{
	struct pt_stats hi = emul_high(), lo = emul(1000, 0, 1000), both = hi;
	struct rig r;

	(void)state;
	add(&both, &lo);
	rig_init(&r, PT_MODE_EMULATE);
	r.p.window = 4;
	feed(&r, &hi, 1);
	feed(&r, &lo, 1);
	feed(&r, &hi, 1);
	feed(&r, &lo, 1);
	expect(&r, PT_MODE_EMULATE, false, "low-saving");
	assert_float_equal(r.d.saving, 1 - 2.538e6 / 4.98e6, 1e-12);
	/* noise-margin 0: the plain threshold. */
	r.p.noise_margin = 0;
	expect(&r, PT_MODE_BATCH, true, "saving");

	rig_init(&r, PT_MODE_EMULATE);
	r.p.window = 4;
	feed(&r, &both, 4);
	expect(&r, PT_MODE_BATCH, true, "saving");
	assert_float_equal(r.d.saving, 1 - 2.538e6 / 4.98e6, 1e-12);
}

/*
 * BATCH, one good sample (ce 1e6, cb 110e3) and three bad ones (ce 1e6,
 * cb 1.6e6): saving -0.2275, below leave, but SE = 0.3725 and
 * -0.2275 + 2 x 0.3725 > 0.10: it stays.  Summed samples: it leaves.
 */
static void test_noise_margin_leave(void **state)
{
	struct pt_stats good = batch(10, 1000, 0, 0),
			bad = batch(1500, 1000, 0, 0), sum = good;
	struct rig r;

	(void)state;
	add(&sum, &bad);
	add(&sum, &bad);
	add(&sum, &bad);
	rig_init(&r, PT_MODE_BATCH);
	r.p.window = 4;
	feed(&r, &bad, 1);
	feed(&r, &good, 1);
	feed(&r, &bad, 2);
	expect(&r, PT_MODE_BATCH, false, "saving");
	assert_float_equal(r.d.saving, -0.2275, 1e-12);

	rig_init(&r, PT_MODE_BATCH);
	r.p.window = 4;
	feed(&r, &sum, 4);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	assert_float_equal(r.d.saving, -0.2275, 1e-12);
}

/*
 * A phase change inside the window: in BATCH, six samples saving 0.89
 * (10 batches) then four saving -0.6 (1500 batches).  The window as a
 * whole still saves 0.294; the engine finds the change and decides on
 * the four recent samples alone.
 */
static void test_change_point_exit(void **state)
{
	struct pt_stats good = batch(10, 1000, 0, 0),
			bad = batch(1500, 1000, 0, 0);
	struct rig r;

	(void)state;
	rig_init(&r, PT_MODE_BATCH);
	r.p.window = 10;
	feed(&r, &good, 6);
	feed(&r, &bad, 4);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	assert_float_equal(r.d.saving, -0.6, 1e-12);

	/* Without the change (one bad sample) the window decides: stay. */
	rig_init(&r, PT_MODE_BATCH);
	r.p.window = 10;
	feed(&r, &good, 9);
	feed(&r, &bad, 1);
	expect(&r, PT_MODE_BATCH, false, "saving");
	assert_float_equal(r.d.saving, (9 * 0.89 - 0.6) / 10, 1e-12);
}

/*
 * Noise is not a change: the same two samples alternating have a large
 * variance within every segment, so the whole window decides (saving
 * 0.145, between the thresholds: stay in BATCH).
 */
static void test_change_point_noise(void **state)
{
	struct pt_stats good = batch(10, 1000, 0, 0),
			bad = batch(1500, 1000, 0, 0);
	struct rig r;
	unsigned int i;

	(void)state;
	rig_init(&r, PT_MODE_BATCH);
	r.p.window = 10;
	for (i = 0; i < 5; i++) {
		feed(&r, &good, 1);
		feed(&r, &bad, 1);
	}
	expect(&r, PT_MODE_BATCH, false, "saving");
	assert_float_equal(r.d.saving, 0.145, 1e-12);
}

/*
 * A BATCH stay that cost more than it saved puts the guest on probation:
 * the next stay starts only once the case for BATCH has held for a dwell
 * (10 samples here), so a favourable phase shorter than the dwell starts
 * none.  A stay that paid leaves no probation.
 */
static void test_probation(void **state)
{
	struct pt_stats hi = emul_high(), lo = emul(1000, 0, 1000),
			good = batch(10, 1000, 0, 0),
			bad = batch(1000, 1000, 0, 0);
	struct rig r;
	unsigned int n;

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	r.p.min_dwell_ms = 10000;
	feed(&r, &hi, 10);
	expect(&r, PT_MODE_BATCH, true, "saving");
	switch_to(&r, PT_MODE_BATCH);
	/* The stay turns out badly: 1.1e6 cycles a second for 1e6. */
	feed(&r, &bad, 10);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	switch_to(&r, PT_MODE_EMULATE);

	feed(&r, &lo, 10);
	expect(&r, PT_MODE_EMULATE, false, "low-saving");
	/* A favourable phase of 8 s, shorter than the dwell: no stay. */
	for (n = 1; n <= 8; n++) {
		feed(&r, &hi, 1);
		if (n >= 3)
			expect(&r, PT_MODE_EMULATE, false, "probation");
	}
	/* It goes on: the stay starts once the phase has lasted a dwell. */
	do {
		feed(&r, &hi, 1);
		n++;
		decide(&r);
	} while (!r.d.switch_now && n < 40);
	assert_true(r.d.switch_now);
	assert_string_equal(r.d.reason, "saving");
	assert_true(n >= 10);
	assert_true(n <= 15);

	/* That stay pays overall (10 good, 3 bad): no probation after it. */
	switch_to(&r, PT_MODE_BATCH);
	feed(&r, &good, 10);
	feed(&r, &bad, 3);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	switch_to(&r, PT_MODE_EMULATE);
	feed(&r, &lo, 10);
	feed(&r, &hi, 3);
	expect(&r, PT_MODE_BATCH, true, "saving");

	/* Without a dwell there is nothing to wait for. */
	r.p.min_dwell_ms = 0;
	switch_to(&r, PT_MODE_BATCH);
	feed(&r, &bad, 5);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	switch_to(&r, PT_MODE_EMULATE);
	feed(&r, &lo, 10);
	feed(&r, &hi, 3);
	expect(&r, PT_MODE_BATCH, true, "saving");
}

/*
 * In BATCH, a few writes in short runs cost more than EMULATE would: the
 * engine leaves once they have lasted a dwell (10 samples here), not on
 * a window of them (a pause between bursts).  Seconds without writes
 * cost nothing either way and never make it leave.
 */
static void test_quiet_batch(void **state)
{
	struct pt_stats good = batch(10, 1000, 0, 0),
			/* 50 writes/s: 55000 cycles in BATCH for 50000 */
	    quiet = batch(50, 50, 0, 0), none = batch(0, 0, 0, 0);
	struct rig r;

	(void)state;
	rig_init(&r, PT_MODE_BATCH);
	r.p.min_dwell_ms = 10000;
	feed(&r, &good, 10);
	expect(&r, PT_MODE_BATCH, false, "saving");
	feed(&r, &quiet, 5);
	expect(&r, PT_MODE_BATCH, false, "idle");
	feed(&r, &quiet, 4);
	expect(&r, PT_MODE_BATCH, false, "idle");
	feed(&r, &quiet, 1);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");

	rig_init(&r, PT_MODE_BATCH);
	r.p.min_dwell_ms = 10000;
	feed(&r, &good, 10);
	feed(&r, &none, 30);
	expect(&r, PT_MODE_BATCH, false, "idle");
}

/* The ring spans the window and, for the probation, a dwell more. */
static void test_ring_len(void **state)
{
	struct policy p;

	(void)state;
	policy_defaults(&p);
	p.window = 10;
	p.interval_ms = 1000;
	p.min_dwell_ms = 30000;
	assert_int_equal(engine_ring_len(&p), 39);
	p.min_dwell_ms = 0;
	assert_int_equal(engine_ring_len(&p), 10);
	p.min_dwell_ms = 5000;
	assert_int_equal(engine_ring_len(&p), 10);
	p.min_dwell_ms = 100000;
	assert_int_equal(engine_ring_len(&p), ENGINE_MAX_WINDOW);
	p.interval_ms = 250;
	p.min_dwell_ms = 3000;
	assert_int_equal(engine_ring_len(&p), 21);
}

static void test_hysteresis(void **state)
{
	struct rig r;
	struct pt_stats d;

	(void)state;
	/* EMULATE with a saving between leave and enter: stay. */
	rig_init(&r, PT_MODE_EMULATE);
	d = emul_mid();
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, false, "low-saving");
	assert_true(r.d.saving > r.p.leave_saving);
	assert_true(r.d.saving < r.p.enter_saving);

	/* Exactly at enter_saving: enter. */
	r.p.enter_saving = 0.22;
	expect(&r, PT_MODE_BATCH, true, "saving");

	/* BATCH with the same in-between saving (680 batches): stay. */
	rig_init(&r, PT_MODE_BATCH);
	d = batch(680, 1000, 0, 0);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_BATCH, false, "saving");
	assert_float_equal(r.d.saving, 0.22, 1e-12);

	/* Below leave_saving (850 batches: saving 0.05): leave. */
	rig_init(&r, PT_MODE_BATCH);
	d = batch(850, 1000, 0, 0);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	assert_float_equal(r.d.saving, 0.05, 1e-12);
}

static void test_idle(void **state)
{
	struct rig r;
	struct pt_stats d = emul(50, 3, 1); /* 50 writes/s, one long run */

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, false, "idle");
	assert_true(r.d.saving > r.p.enter_saving);

	/* An idle guest in BATCH stays there: switching would only cost. */
	rig_init(&r, PT_MODE_BATCH);
	d = batch(1, 50, 0, 0);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_BATCH, false, "idle");

	/* No activity at all. */
	rig_init(&r, PT_MODE_EMULATE);
	memset(&d, 0, sizeof(d));
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, false, "idle");
	assert_float_equal(r.d.cost_emulate, 0, 0);
}

static void test_dwell(void **state)
{
	struct rig r;
	struct pt_stats hi = emul_high(), lo = batch(1000, 1000, 0, 0);

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	r.p.min_dwell_ms = 10000;
	/* Dwell counts from the start of the current mode (init here). */
	feed(&r, &hi, 3);
	expect(&r, PT_MODE_BATCH, false, "dwell");
	feed(&r, &hi, 7);
	expect(&r, PT_MODE_BATCH, true, "saving");

	switch_to(&r, PT_MODE_BATCH);
	feed(&r, &lo, 3);
	/* 4 s in BATCH, saving negative: wants out but must dwell. */
	expect(&r, PT_MODE_EMULATE, false, "dwell");
	feed(&r, &lo, 5);
	expect(&r, PT_MODE_EMULATE, false, "dwell");
	feed(&r, &lo, 1);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");

	/* Safety exits ignore the dwell. */
	r.f.capable = false;
	r.g.mode_since_ms = r.t;
	expect(&r, PT_MODE_EMULATE, true, "incapable");
}

static void test_rate_limit(void **state)
{
	struct rig r;
	struct pt_stats hi = emul_high(), lo = batch(1000, 1000, 0, 0);

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	r.p.max_switches = 2;
	r.p.rate_period_ms = 60000;
	feed(&r, &hi, 3);
	expect(&r, PT_MODE_BATCH, true, "saving");
	switch_to(&r, PT_MODE_BATCH);
	feed(&r, &lo, 3);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
	switch_to(&r, PT_MODE_EMULATE);
	assert_int_equal(r.g.n_switches, 2);
	feed(&r, &hi, 3);
	/* Two switches in the last minute: hold. */
	expect(&r, PT_MODE_BATCH, false, "rate-limit");
	/* The first switch was at T0+3s; it leaves the period at T0+63s. */
	while (r.t < T0 + 62000)
		feed(&r, &hi, 1);
	expect(&r, PT_MODE_BATCH, false, "rate-limit");
	feed(&r, &hi, 1);
	expect(&r, PT_MODE_BATCH, true, "saving");

	/* Leaving BATCH for safety is never rate-limited. */
	r.p.rate_period_ms = 3600000;
	switch_to(&r, PT_MODE_BATCH);
	engine_note_switch(&r.g, PT_MODE_BATCH, r.t); /* same mode: no-op */
	assert_int_equal(r.g.n_switches, 3);
	feed(&r, &lo, 3);
	expect(&r, PT_MODE_EMULATE, false, "rate-limit");
	r.f.vcpus = 16;
	expect(&r, PT_MODE_EMULATE, true, "smp-vcpus");
}

static void test_switch_cost(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high(), lo = batch(1000, 1000, 0, 0);
	double gain;

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	feed(&r, &d, 3);
	decide(&r);
	/* Gain per second 1321000 cycles; horizon max(dwell 0, 3 s window). */
	gain = (r.d.cost_emulate - r.d.cost_batch) * 3;
	r.p.cost.mode_switch = gain;
	expect(&r, PT_MODE_BATCH, false, "switch-cost");
	r.p.cost.mode_switch = gain * 0.99;
	expect(&r, PT_MODE_BATCH, true, "saving");
	/* A longer dwell lengthens the horizon. */
	r.p.cost.mode_switch = gain * 3;
	r.p.min_dwell_ms = 9000;
	r.g.mode_since_ms = 0;
	expect(&r, PT_MODE_BATCH, false, "switch-cost");
	r.p.min_dwell_ms = 10000;
	expect(&r, PT_MODE_BATCH, true, "saving");

	/* Leaving BATCH is not held back by the switch cost. */
	rig_init(&r, PT_MODE_BATCH);
	r.p.cost.mode_switch = 1e12;
	feed(&r, &lo, 3);
	expect(&r, PT_MODE_EMULATE, true, "low-saving");
}

static void test_counter_reset(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high();

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_BATCH, true, "saving");

	/* The domain is re-created: counters start again near zero. */
	memset(&r.abs, 0, sizeof(r.abs));
	r.abs.emulated_writes = 10;
	r.abs.batches = 1000000; /* one counter up, others down */
	r.t += 1000;
	engine_observe(&r.g, &r.abs, r.t);
	assert_int_equal(r.g.n, 0);
	expect(&r, PT_MODE_EMULATE, false, "warming-up");
	assert_true(r.d.cost_emulate == 0 && r.d.cost_batch == 0);

	/* Deltas resume from the new baseline, not from the old one. */
	feed(&r, &d, 3);
	expect(&r, PT_MODE_BATCH, true, "saving");
	assert_float_equal(r.d.cost_emulate, 1490e3, 1e-6);
}

static void test_observe_time(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high();
	uint64_t t;

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	feed(&r, &d, 2);
	/* A second read at the same instant adds no sample ... */
	add(&r.abs, &d);
	engine_observe(&r.g, &r.abs, r.t);
	assert_int_equal(r.g.n, 2);
	/* ... and loses nothing: the next sample covers both. */
	t = r.t;
	feed(&r, &d, 1);
	assert_int_equal(r.g.n, 3);
	assert_int_equal(r.g.ring[2].d.emulated_writes, 2980);
	assert_int_equal(r.g.ring[2].dt_ms, r.t - t);

	/* The clock going backwards: a new baseline, the window kept. */
	engine_observe(&r.g, &r.abs, r.t - 5000);
	assert_int_equal(r.g.n, 3);
	assert_int_equal(r.g.last_ms, r.t - 5000);

	/* The ring wraps without losing its newest samples. */
	rig_init(&r, PT_MODE_EMULATE);
	feed(&r, &d, ENGINE_MAX_WINDOW + 5);
	assert_int_equal(r.g.n, ENGINE_MAX_WINDOW);
	r.p.window = ENGINE_MAX_WINDOW;
	expect(&r, PT_MODE_BATCH, true, "saving");
	assert_float_equal(r.d.cost_emulate, 1490e3, 1e-6);
}

static void test_switch_clears_window(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high();

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	feed(&r, &d, 3);
	engine_note_switch(&r.g, PT_MODE_BATCH, r.t);
	assert_int_equal(r.g.mode, PT_MODE_BATCH);
	assert_int_equal(r.g.mode_since_ms, r.t);
	assert_int_equal(r.g.n_switches, 1);
	assert_int_equal(r.g.n, 0);
	/* The interval straddling the switch is discarded. */
	feed(&r, &d, 1);
	assert_int_equal(r.g.n, 0);
	feed(&r, &d, 1);
	assert_int_equal(r.g.n, 1);
	expect(&r, PT_MODE_BATCH, false, "warming-up");
}

static void test_smp_guards(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high();

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	r.f.vcpus = 5;
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, false, "smp-vcpus");
	r.f.vcpus = 4;
	expect(&r, PT_MODE_BATCH, true, "saving");

	/* Spurious faults per batched PTE above the limit: leave now. */
	rig_init(&r, PT_MODE_BATCH);
	r.p.min_dwell_ms = 3600000;
	r.p.max_switches = 1;
	engine_note_switch(&r.g, PT_MODE_EMULATE, r.t);
	switch_to(&r, PT_MODE_BATCH);
	d = batch(10, 1000, 101, 0);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, true, "spurious");
	/* At the limit is still fine. */
	rig_init(&r, PT_MODE_BATCH);
	d = batch(10, 1000, 100, 0);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_BATCH, false, "saving");
	/* Spurious faults with no batched PTE at all. */
	rig_init(&r, PT_MODE_BATCH);
	d = batch(0, 0, 1, 500);
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, true, "spurious");
}

static void test_incapable(void **state)
{
	struct rig r;
	struct pt_stats d = emul_high();

	(void)state;
	rig_init(&r, PT_MODE_EMULATE);
	r.f.capable = false;
	/* No measurements needed to know this. */
	expect(&r, PT_MODE_EMULATE, false, "incapable");
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, false, "incapable");

	rig_init(&r, PT_MODE_BATCH);
	r.f.capable = false;
	expect(&r, PT_MODE_EMULATE, true, "incapable");
}

static void test_overrides(void **state)
{
	static const char yaml[] =
	    "guests:\n"
	    "  - {match: {name: 'db-*'}, exclude: true}\n"
	    "  - {match: {domid: 5}, pin: batch}\n"
	    "  - {match: {uuid: 0123abcd-89ab-cdef-0123-456789abcdef},"
	    " pin: emulate}\n";
	struct policy_error e;
	struct policy loaded;
	struct rig r;
	struct pt_stats d = emul_high();

	(void)state;
	assert_int_equal(
	    policy_load_string("t", yaml, strlen(yaml), &loaded, &e), 0);
	/* Pinned to batch: no warm-up, no SMP heuristics. */
	rig_init(&r, PT_MODE_EMULATE);
	r.p.n_overrides = loaded.n_overrides;
	memcpy(r.p.overrides, loaded.overrides, sizeof(loaded.overrides));
	r.f.vcpus = 64;
	expect(&r, PT_MODE_BATCH, true, "pinned");
	/* ... but the capability is still required ... */
	r.f.capable = false;
	expect(&r, PT_MODE_EMULATE, false, "incapable");
	r.f.capable = true;
	/* ... and the dwell still applies. */
	r.p.min_dwell_ms = 60000;
	expect(&r, PT_MODE_BATCH, false, "dwell");
	r.p.min_dwell_ms = 0;

	/* Pinned to emulate by UUID, from BATCH: leave now. */
	r.g.mode = PT_MODE_BATCH;
	r.f.uuid = "0123ABCD-89ab-cdef-0123-456789abcdef";
	r.f.domid = 6;
	expect(&r, PT_MODE_EMULATE, true, "pinned");

	/* Excluded by name beats everything, first match first. */
	r.f.name = "db-1";
	r.f.domid = 5;
	expect(&r, PT_MODE_EMULATE, true, "excluded");
	r.g.mode = PT_MODE_EMULATE;
	feed(&r, &d, 3);
	expect(&r, PT_MODE_EMULATE, false, "excluded");

	/* No match: the measurements decide. */
	r.f.name = "web";
	r.f.uuid = NULL;
	r.f.domid = 9;
	r.f.vcpus = 2;
	expect(&r, PT_MODE_BATCH, true, "saving");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model_emulate),
	    cmocka_unit_test(test_model_batch),
	    cmocka_unit_test(test_warming_up),
	    cmocka_unit_test(test_noise_margin_enter),
	    cmocka_unit_test(test_noise_margin_leave),
	    cmocka_unit_test(test_change_point_exit),
	    cmocka_unit_test(test_change_point_noise),
	    cmocka_unit_test(test_probation),
	    cmocka_unit_test(test_ring_len),
	    cmocka_unit_test(test_quiet_batch),
	    cmocka_unit_test(test_hysteresis),
	    cmocka_unit_test(test_idle),
	    cmocka_unit_test(test_dwell),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_switch_cost),
	    cmocka_unit_test(test_counter_reset),
	    cmocka_unit_test(test_observe_time),
	    cmocka_unit_test(test_switch_clears_window),
	    cmocka_unit_test(test_smp_guards),
	    cmocka_unit_test(test_incapable),
	    cmocka_unit_test(test_overrides),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}

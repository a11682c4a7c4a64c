/* SPDX-License-Identifier: MIT */
/*
 * The decision engine: pure functions of the policy, a guest's counters
 * and its history.  No I/O, no clock: the caller passes "now", so the
 * same code runs in the daemon, the tests and the offline evaluation.
 *
 * The rule is the work-function rule for a two-state task system with
 * switching costs (docs/policy.md, "The decision rule"): a regret counter
 * in cycles, clamped to [-H, H], moved by every sample's modeled cost
 * difference; the guest enters BATCH when it reaches H and leaves when
 * it reaches -H.  Everything is in seconds: samples are weighted by the
 * time they cover, whatever the sampling interval.  A guest's state is a
 * few hundred bytes, whatever the window.
 */
#ifndef PTSWITCHD_ENGINE_H
#define PTSWITCHD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "phases.h"
#include "ptswitch.h"

#define ENGINE_MAX_WINDOW 64
/*
 * Switch times kept per guest: twice the largest rate-limit budget (32),
 * so that the rate limit's price counts the switches beyond it.
 */
#define ENGINE_MAX_SWITCH_HISTORY 64
/*
 * Sanity bound on any counter's rate, per second.  An emulated write
 * costs thousands of cycles and re-validating a batched entry over a
 * hundred: 1e8 a second is tens of cores' worth for one guest.  A delta
 * above it is a counter fault (a bogus jump, a reset), not work.
 */
#define ENGINE_MAX_RATE 1e8

/*
 * The counters the cost model reads (named as in struct pt_stats), as
 * deltas over one sample or as the last absolute values.
 */
struct engine_delta {
	uint64_t emulated_writes;
	uint64_t emul_runs[PT_HIST_BUCKETS];
	uint64_t batches;
	uint64_t batch_ptes;
	uint64_t spurious_faults;
	uint64_t unhook_refused;
};

/* Time-weighted exponential averages (weights decay with age in s). */
struct engine_avg {
	double w;	       /* total weight, seconds */
	double ce, cb, writes; /* cycles/s, cycles/s, PTE writes/s */
	double ptes, spurious; /* BATCH only: batched PTEs, faults */
};

/* What the engine remembers about one guest. */
struct engine_guest {
	bool have_last;
	struct pt_stats last; /* last absolute counters (published) */
	uint64_t last_ms;
	enum pt_mode mode; /* current (hypervisor-reported) mode */
	uint64_t mode_since_ms;
	/*
	 * The regret: modeled EMULATE minus BATCH cycles, accumulated and
	 * clamped to [-bound, bound] (the work-function difference).
	 */
	double regret, bound;
	/*
	 * The excursion: regret toward the other mode accumulated, and its
	 * seconds, since the counter last stood at the current mode's side;
	 * the noise guard's test runs on it.  held: regret the clamp threw
	 * away in the last sample while the guard held the guest at the far
	 * side (what the guard cost, in the bound's accounting).
	 */
	double exc_regret, exc_secs, exc_cost, held;
	/*
	 * Phases as the counter sees them: side is +1 while it stands at
	 * BATCH's bound, -1 at EMULATE's, since side_ms; phase_b and
	 * phase_e, the mean length in seconds of the last few phases at
	 * each side (0: none seen yet).
	 */
	int side;
	uint64_t side_ms;
	double phase_b, phase_e;
	double dev_b, dev_e;   /* their mean absolute deviations */
	unsigned int n_b, n_e; /* phases seen at each side */
	/*
	 * What a phase brought: 2 bound plus the regret the clamp threw
	 * away while the counter stood at its side (gain_b, gain_e: the
	 * means, side_gain: the current phase's so far).
	 */
	double gain_b, gain_e, side_gain;
	/*
	 * Phase lengths in busy seconds (samples with page-table writes):
	 * the means, their deviations, the current phase's so far.
	 */
	double busy_b, busy_e, bdev_b, bdev_e, side_busy;
	/* What the last phases of each side brought, one by one. */
	struct phases kept_b, kept_e;
	/*
	 * What the guest lost getting into each mode the last time the
	 * rule followed a phase there (late_b, late_e, cycles), and when
	 * (late_b_ms, late_e_ms; 0: never); the costs the phases were
	 * modeled with.
	 */
	double late_b, late_e;
	uint64_t late_b_ms, late_e_ms;
	struct policy_costs cost_seen;
	/*
	 * Noise, over ten windows, measured on stretches of at least a
	 * second (bk_*: the one being filled): the last stretch's residual
	 * (its regret rate less what the window's saving predicts) and its
	 * own saving, and time-weighted sums of the change of the residual
	 * from stretch to stretch, of the previous stretch's saving's miss
	 * and of the root of the cost level.
	 */
	double bk_x, bk_c, bk_secs;
	double resid, nd, ncc;
	double prev_s, nd_prev; /* the previous stretch's saving, its misses */
	bool have_resid;
	/* noise of the regret rate per sqrt(s), per sqrt(cost level) */
	double sigma;
	/* The window's rates, for the published costs and the guards. */
	struct engine_avg win;
	uint64_t faults;	 /* samples rejected by the sanity bound */
	unsigned int n_switches; /* switches ever; switch_ms is a ring */
	uint64_t switch_ms[ENGINE_MAX_SWITCH_HISTORY];
};

/* Facts about a guest that do not come from the counters. */
struct engine_facts {
	const char *name;
	unsigned int domid;
	const char *uuid; /* may be NULL */
	unsigned int vcpus;
	bool capable; /* agent advertised every BATCH capability */
};

struct engine_decision {
	enum pt_mode want;
	bool switch_now;     /* want != mode and every guard allows it */
	char reason[64];     /* stable token (docs/policy.md) */
	double cost_emulate; /* modeled cycles/s over the window */
	double cost_batch;
	double saving; /* predicted fraction saved by BATCH */
	double regret; /* the rule's counter and its bound, cycles */
	double bound;
	double margin; /* what the excursion must exceed: the noise guard */
	double held;   /* regret discarded while held, last sample, cycles */
};

/* What engine_observe() made of a reading. */
enum engine_observed {
	ENGINE_OBS_SAMPLE,   /* a sample was taken */
	ENGINE_OBS_BASELINE, /* first reading, or time went back */
	ENGINE_OBS_REJECTED, /* a delta beyond ENGINE_MAX_RATE: ignored */
};

/*
 * A guest in `mode` since now_ms, nothing measured yet.  The state is in
 * cycles and seconds, not in samples: a policy reload (a new window,
 * interval or costs) keeps it, but for what the phases brought, which
 * new costs drop (engine.c, gains_forget()).
 */
void engine_guest_init(struct engine_guest *g, enum pt_mode mode,
		       uint64_t now_ms);
/*
 * Feed absolute counters read at now_ms.  The delta since the last
 * reading is taken modulo 2^64 (a wrap is no reset) and weighted by the
 * time it covers (a missed reading only makes a longer sample).  A delta
 * faster than ENGINE_MAX_RATE is a counter fault: it is ignored, the
 * reading becomes the new baseline, and g->faults counts it (the caller
 * logs it).
 */
enum engine_observed engine_observe(const struct policy *p,
				    struct engine_guest *g,
				    const struct pt_stats *now,
				    uint64_t now_ms);
/*
 * Record that the guest's mode changed (a switch happened): restarts the
 * dwell, counts towards the rate limit, and puts the regret at the new
 * mode's side of the bound.  A call with the current mode is ignored.
 */
void engine_note_switch(struct engine_guest *g, enum pt_mode mode,
			uint64_t now_ms);
/*
 * The regret bound H at now_ms: the switch cost, times the rate limit's
 * price (docs/policy.md).
 */
double engine_bound(const struct policy *p, const struct engine_guest *g,
		    uint64_t now_ms);
/*
 * Safety exits from BATCH set switch_now regardless of dwell and rate
 * limit.  p->action is not looked at: advise mode is the caller's
 * business.
 */
void engine_decide(const struct policy *p, const struct engine_guest *g,
		   const struct engine_facts *f, uint64_t now_ms,
		   struct engine_decision *out);

#endif /* PTSWITCHD_ENGINE_H */

/*
 * The decision engine: pure functions of the policy, a guest's recent
 * counters and its history.  No I/O, no clock: the caller passes "now",
 * so the same code runs in the daemon, the tests and the offline
 * evaluation.
 */
#ifndef PTSWITCHD_ENGINE_H
#define PTSWITCHD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "ptswitch.h"

#define ENGINE_MAX_WINDOW 64
#define ENGINE_MAX_SWITCH_HISTORY 32

/*
 * Deltas over one sampling interval of the counters the cost model reads
 * (named as in struct pt_stats); kept small because the daemon holds a
 * window of them for every guest.
 */
struct engine_delta {
	uint64_t emulated_writes;
	uint64_t emul_runs[PT_HIST_BUCKETS];
	uint64_t batches;
	uint64_t batch_ptes;
	uint64_t spurious_faults;
	uint64_t unhook_refused;
};

struct engine_sample {
	uint64_t t_ms; /* end of the interval */
	uint64_t dt_ms;
	struct engine_delta d;
};

/* What the engine remembers about one guest. */
struct engine_guest {
	bool have_last;
	struct pt_stats last; /* last absolute counters */
	uint64_t last_ms;
	unsigned int n, head;	    /* ring of samples */
	unsigned int cap;	    /* its capacity: at least the window */
	struct engine_sample *ring; /* the caller's memory */
	enum pt_mode mode;	    /* current (hypervisor-reported) mode */
	uint64_t mode_since_ms;
	unsigned int n_switches; /* switches ever; switch_ms is a ring */
	uint64_t switch_ms[ENGINE_MAX_SWITCH_HISTORY];
	/*
	 * Counters of the current BATCH stay and of the last finished one:
	 * a stay that cost more than it saved puts the guest on probation.
	 */
	struct engine_delta stay, last_stay;
	bool have_last_stay;
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
};

/*
 * Samples a guest's ring must hold for policy p: the window, and on
 * probation enough windows to span the dwell (at most ENGINE_MAX_WINDOW).
 */
unsigned int engine_ring_len(const struct policy *p);

/*
 * ring[cap] is memory the caller owns (cap 1..ENGINE_MAX_WINDOW; at least
 * engine_ring_len(), or probations last only as long as the ring): the
 * engine itself never allocates.
 */
void engine_guest_init(struct engine_guest *g, enum pt_mode mode,
		       uint64_t now_ms, struct engine_sample *ring,
		       unsigned int cap);
/* Give the guest a new ring (e.g. the window changed); forgets samples. */
void engine_guest_set_ring(struct engine_guest *g, struct engine_sample *ring,
			   unsigned int cap);
/* Feed absolute counters read at now_ms; computes deltas. */
void engine_observe(struct engine_guest *g, const struct pt_stats *now,
		    uint64_t now_ms);
/*
 * Record that the guest's mode changed (a switch happened): restarts the
 * dwell, counts towards the rate limit and empties the window.  A call
 * with the current mode is ignored.
 */
void engine_note_switch(struct engine_guest *g, enum pt_mode mode,
			uint64_t now_ms);
/*
 * Dwell counts from g->mode_since_ms.  Safety exits from BATCH set
 * switch_now regardless of dwell and rate limit.  p->action is not looked
 * at: advise mode is the caller's business.
 */
void engine_decide(const struct policy *p, const struct engine_guest *g,
		   const struct engine_facts *f, uint64_t now_ms,
		   struct engine_decision *out);

#endif /* PTSWITCHD_ENGINE_H */

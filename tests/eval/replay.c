/* SPDX-License-Identifier: MIT */
/* Replaying a trace through the engine and the FSM (see replay.h). */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "fsm.h"
#include "replay.h"
#include "simbook.h"
#include "slice.h"

const char *const replay_reasons[REPLAY_WHY_N] = {
    "missed",	   "warming-up",  "saving",	"low-saving",
    "noise",	   "short-phase", "rate-limit", "idle",
    "switch-cost", "dwell",	  "spurious",	"pinned",
    "excluded",	   "return-cost", "cycle",	"other",
};

static unsigned char why_index(const char *reason)
{
	unsigned char i;

	for (i = 0; i < REPLAY_WHY_N - 1; i++)
		if (!strcmp(reason, replay_reasons[i]))
			return i;
	return REPLAY_WHY_N - 1;
}

/* The sim hypervisor always accepts (the guest opted in). */
static void set_mode(struct simbook *book, struct fsm *fsm,
		     struct engine_guest *g, const struct fsm_input *in,
		     enum pt_mode want, enum pt_mode *hv,
		     struct replay_result *res)
{
	if (want == *hv)
		return;
	if (*hv == PT_MODE_BATCH)
		simbook_leave_batch(book);
	*hv = want;
	fsm_set_mode_result(fsm, want, 0, want, in);
	engine_note_switch(g, want, in->now_ms);
	res->switches++;
}

/* splitmix64, for the fault schedule. */
static uint64_t fault_rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* What the engine reads: the booked counters plus a faulty offset. */
static void faulty_read(const struct pt_stats *st, const struct pt_stats *off,
			struct pt_stats *out)
{
	const uint64_t *a = (const uint64_t *)st, *b = (const uint64_t *)off;
	uint64_t *o = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		o[i] = a[i] + b[i];
}

/*
 * Move the offset: now and then a reset (the reading restarts at 0), a
 * wrap (the reading restarts just below 2^64) or, once, a bogus jump.
 */
static void fault_step(uint64_t *rng, const struct pt_stats *st,
		       struct pt_stats *off, bool *jumped)
{
	uint64_t *o = (uint64_t *)off, r = fault_rng(rng) % 1000;
	const uint64_t *a = (const uint64_t *)st;
	size_t i, n = sizeof(*st) / sizeof(uint64_t);

	if (r == 0) /* a reset: the hypervisor's counters restart */
		for (i = 0; i < n; i++)
			o[i] = -a[i];
	else if (r == 1) /* a wrap soon: just below 2^64 */
		for (i = 0; i < n; i++)
			o[i] = -a[i] - 1000;
	else if (r == 2 && !*jumped) {
		off->emulated_writes += 1ull << 32;
		*jumped = true;
	}
}

int replay_policy(const struct policy *p, const struct replay_guest *rg,
		  enum pt_mode *sched, struct replay_result *res)
{
	struct pt_stats off, seen;
	struct trace_row row;
	uint64_t frng = 0x6661756c74730000ull ^ rg->domid;
	bool jumped = false;
	struct engine_facts facts = {
	    .name = rg->trace->name,
	    .domid = rg->domid,
	    .vcpus = rg->vcpus,
	    .capable = true,
	};
	struct engine_decision dec;
	struct engine_guest g;
	enum pt_mode hv = PT_MODE_EMULATE;
	struct simbook book;
	struct fsm fsm;
	bool ack_due = false;
	/* A guest met for the first time has served its dwell. */
	uint64_t t0 = p->min_dwell_ms + p->interval_ms;
	size_t i;

	if (!rg->n || !p->interval_ms || !rg->trace->n_rows)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	simbook_init(&book, rg->vcpus, simbook_seed(rg->domid));
	fsm_init(&fsm, PT_MODE_EMULATE, 0);
	engine_guest_init(&g, PT_MODE_EMULATE, 0);
	memset(&off, 0, sizeof(off));
	if (rg->counter_faults) /* start near 2^64: an early wrap */
		memset(&off, 0xff, sizeof(off));
	faulty_read(&book.st, &off, &seen);
	engine_observe(p, &g, &seen, t0);

	for (i = 0; i < rg->n; i++) {
		uint64_t now = t0 + (i + 1) * p->interval_ms;
		struct fsm_input in;

		slice_rows(rg->trace, i * p->interval_ms,
			   (i + 1) * p->interval_ms, &row);
		simbook_row(&book, hv, &row);
		sched[i] = hv;
		res->batch_intervals += hv == PT_MODE_BATCH;
		if (rg->counter_faults) {
			fault_step(&frng, &book.st, &off, &jumped);
			/* A missed reading: the daemon did not tick. */
			if (fault_rng(&frng) % 100 == 0) {
				if (rg->why)
					rg->why[i] = REPLAY_WHY_MISSED;
				continue;
			}
		}
		faulty_read(&book.st, &off, &seen);
		if (engine_observe(p, &g, &seen, now) == ENGINE_OBS_REJECTED)
			res->rejected++;
		g.mode = fsm_mode(&fsm);
		engine_decide(p, &g, &facts, now, &dec);
		if (dec.bound > res->max_bound)
			res->max_bound = dec.bound;
		res->held += dec.held;
		if (rg->why)
			rg->why[i] = why_index(dec.reason);
		if (dec.want != g.mode && !dec.switch_now)
			res->reasons_held++;
		if (rg->log)
			fprintf(rg->log,
				"%zu %s want=%s%s %s saving=%.3f "
				"emul=%.3g batch=%.3g regret=%.3g/%.3g "
				"guard=%.3g sigma=%.3g\n",
				i, pt_mode_name(g.mode), pt_mode_name(dec.want),
				dec.switch_now ? "!" : "", dec.reason,
				dec.saving, dec.cost_emulate, dec.cost_batch,
				dec.regret, dec.bound, dec.margin, g.sigma);

		in = (struct fsm_input){
		    .now_ms = now,
		    .want_batch = dec.switch_now && dec.want == PT_MODE_BATCH,
		    .want_emulate =
			dec.switch_now && dec.want == PT_MODE_EMULATE,
		    .may_switch = true,
		    .capable = true,
		    .have_ack = ack_due,
		    .ack = {.seq = fsm.seq, .answer = PROTO_ACK_OK},
		    .timeout_ms = p->handshake_timeout_ms,
		    .backoff_ms = p->backoff_ms,
		    .backoff_max_ms = p->backoff_max_ms,
		};
		ack_due = false;
		switch (fsm_step(&fsm, &in)) {
		case FSM_ACT_NONE:
			break;
		case FSM_ACT_REQUEST_BATCH:
			/* The agent answers before the next tick. */
			ack_due = true;
			break;
		case FSM_ACT_SET_BATCH:
			set_mode(&book, &fsm, &g, &in, PT_MODE_BATCH, &hv, res);
			break;
		case FSM_ACT_SET_EMULATE:
			set_mode(&book, &fsm, &g, &in, PT_MODE_EMULATE, &hv,
				 res);
			break;
		}
	}
	return 0;
}

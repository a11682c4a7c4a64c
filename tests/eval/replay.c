/* Replaying a trace through the engine and the FSM (see replay.h). */
#include <errno.h>
#include <string.h>

#include "engine.h"
#include "fsm.h"
#include "replay.h"
#include "simbook.h"

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

int replay_policy(const struct policy *p, const struct replay_guest *rg,
		  enum pt_mode *sched, struct replay_result *res)
{
	struct engine_sample ring[ENGINE_MAX_WINDOW];
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
	engine_guest_init(&g, PT_MODE_EMULATE, 0, ring, engine_ring_len(p));
	engine_observe(&g, &book.st, t0);

	for (i = 0; i < rg->n; i++) {
		uint64_t now = t0 + (i + 1) * p->interval_ms;
		struct fsm_input in;

		simbook_row(&book, hv, trace_row_at(rg->trace, i));
		sched[i] = hv;
		res->batch_intervals += hv == PT_MODE_BATCH;
		engine_observe(&g, &book.st, now);
		g.mode = fsm_mode(&fsm);
		engine_decide(p, &g, &facts, now, &dec);
		if (dec.want != g.mode && !dec.switch_now)
			res->reasons_held++;
		if (rg->log)
			fprintf(rg->log,
				"%zu %s want=%s%s %s saving=%.3f "
				"emul=%.3g batch=%.3g\n",
				i, pt_mode_name(g.mode), pt_mode_name(dec.want),
				dec.switch_now ? "!" : "", dec.reason,
				dec.saving, dec.cost_emulate, dec.cost_batch);

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

/* SPDX-License-Identifier: MIT */
/* The per-guest switch state machine (see fsm.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fsm.h"

void fsm_init(struct fsm *f, enum pt_mode mode, uint64_t seq)
{
	memset(f, 0, sizeof(*f));
	f->state = mode == PT_MODE_BATCH ? FSM_BATCH : FSM_EMULATE;
	f->seq = seq;
	snprintf(f->reason, sizeof(f->reason), "started");
}

enum pt_mode fsm_mode(const struct fsm *f)
{
	return f->state == FSM_BATCH ? PT_MODE_BATCH : PT_MODE_EMULATE;
}

const char *fsm_state_name(enum fsm_state s)
{
	switch (s) {
	case FSM_EMULATE:
		return "emulate";
	case FSM_REQUESTED:
		return "requested";
	case FSM_BATCH:
		return "batch";
	}
	return "unknown";
}

/* A failed try: back to EMULATE and wait before the next one. */
static void fail(struct fsm *f, const struct fsm_input *in, const char *why)
{
	f->state = FSM_EMULATE;
	f->failures++;
	if (!f->backoff_ms)
		f->backoff_ms = in->backoff_ms;
	else if (f->backoff_ms < in->backoff_max_ms / 2)
		f->backoff_ms *= 2;
	else
		f->backoff_ms = in->backoff_max_ms;
	f->backoff_until_ms = in->now_ms + f->backoff_ms;
	snprintf(f->reason, sizeof(f->reason), "%s", why);
}

static uint64_t next_seq(const struct fsm *f, const struct fsm_input *in)
{
	return (f->seq > in->seq_floor ? f->seq : in->seq_floor) + 1;
}

static enum fsm_action step_emulate(struct fsm *f, const struct fsm_input *in)
{
	if (!in->want_batch || !in->may_switch)
		return FSM_ACT_NONE;
	if (!in->capable) {
		snprintf(f->reason, sizeof(f->reason), "incapable");
		return FSM_ACT_NONE;
	}
	if (in->now_ms < f->backoff_until_ms) {
		/* Keep the reason of the failure that started the back-off. */
		return FSM_ACT_NONE;
	}
	f->seq = next_seq(f, in);
	f->state = FSM_REQUESTED;
	f->deadline_ms = in->now_ms + in->timeout_ms;
	snprintf(f->reason, sizeof(f->reason), "requested");
	return FSM_ACT_REQUEST_BATCH;
}

static enum fsm_action step_requested(struct fsm *f, const struct fsm_input *in)
{
	char why[sizeof(f->reason)];

	if (in->have_ack && in->ack.seq == f->seq) {
		if (in->ack.answer == PROTO_ACK_REFUSE) {
			snprintf(why, sizeof(why), "refused:%s",
				 in->ack.reason[0] ? in->ack.reason
						   : "unspecified");
			fail(f, in, why);
			return FSM_ACT_NONE;
		}
		if (!in->capable || !in->may_switch) {
			f->state = FSM_EMULATE;
			snprintf(f->reason, sizeof(f->reason), "%s",
				 in->capable ? "advise" : "incapable");
			return FSM_ACT_NONE;
		}
		return FSM_ACT_SET_BATCH;
	}
	/* Withdrawn caps or a changed mind cancel the request. */
	if (!in->capable) {
		f->state = FSM_EMULATE;
		snprintf(f->reason, sizeof(f->reason), "incapable");
		return FSM_ACT_NONE;
	}
	if (in->now_ms >= f->deadline_ms) {
		fail(f, in, "handshake-timeout");
		return FSM_ACT_NONE;
	}
	return FSM_ACT_NONE;
}

static enum fsm_action step_batch(struct fsm *f, const struct fsm_input *in)
{
	/* A failing set-mode EMULATE is tried again after a back-off. */
	if (f->emulate_failing && in->now_ms < f->emulate_retry_ms)
		return FSM_ACT_NONE;
	/* Leaving BATCH is always safe and needs no consent. */
	if (!in->capable) {
		snprintf(f->reason, sizeof(f->reason), "incapable");
		return FSM_ACT_SET_EMULATE;
	}
	if (in->want_emulate && in->may_switch)
		return FSM_ACT_SET_EMULATE;
	return FSM_ACT_NONE;
}

enum fsm_action fsm_step(struct fsm *f, const struct fsm_input *in)
{
	switch (f->state) {
	case FSM_EMULATE:
		return step_emulate(f, in);
	case FSM_REQUESTED:
		return step_requested(f, in);
	case FSM_BATCH:
		return step_batch(f, in);
	}
	return FSM_ACT_NONE;
}

void fsm_set_mode_result(struct fsm *f, enum pt_mode asked, int err,
			 enum pt_mode hv_mode, const struct fsm_input *in)
{
	char why[sizeof(f->reason)];

	if (err) {
		snprintf(why, sizeof(why), "set-mode-%s-failed:%s",
			 pt_mode_name(asked), strerrorname_np(-err) ?: "E?");
		if (asked == PT_MODE_BATCH) {
			fail(f, in, why);
		} else {
			snprintf(f->reason, sizeof(f->reason), "%s", why);
			if (!f->emulate_backoff_ms)
				f->emulate_backoff_ms = FSM_EMULATE_RETRY_MS;
			else if (f->emulate_backoff_ms < in->backoff_max_ms / 2)
				f->emulate_backoff_ms *= 2;
			else
				f->emulate_backoff_ms = in->backoff_max_ms;
			f->emulate_failing = true;
			f->emulate_retry_ms =
			    in->now_ms + f->emulate_backoff_ms;
		}
		/* Whatever we asked, the hypervisor's word is the state. */
		f->state = hv_mode == PT_MODE_BATCH ? FSM_BATCH : FSM_EMULATE;
		if (f->state != FSM_BATCH)
			f->emulate_failing = false;
		return;
	}
	f->state = asked == PT_MODE_BATCH ? FSM_BATCH : FSM_EMULATE;
	if (asked == PT_MODE_BATCH) {
		f->failures = 0;
		f->backoff_ms = 0;
		f->backoff_until_ms = 0;
	} else {
		/* The announcement request carries a fresh seq. */
		f->seq = next_seq(f, in);
		f->emulate_failing = false;
		f->emulate_backoff_ms = 0;
	}
}

void fsm_resync(struct fsm *f, uint64_t seq)
{
	if (seq <= f->seq)
		return;
	f->seq = seq;
	if (f->state == FSM_REQUESTED) {
		f->state = FSM_EMULATE;
		snprintf(f->reason, sizeof(f->reason), "seq-resync");
	}
}

void fsm_adopt(struct fsm *f, enum pt_mode hv_mode, const char *why)
{
	f->emulate_failing = false;
	f->emulate_backoff_ms = 0;
	f->state = hv_mode == PT_MODE_BATCH ? FSM_BATCH : FSM_EMULATE;
	snprintf(f->reason, sizeof(f->reason), "%s", why);
}

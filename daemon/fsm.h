/* SPDX-License-Identifier: MIT */
/*
 * The per-guest switch state machine:
 *
 *   EMULATE --(policy wants BATCH, guest capable)--> REQUESTED
 *   REQUESTED --(ack ok, set-mode ok)--> BATCH
 *   REQUESTED --(refuse | timeout | set-mode failed)--> EMULATE + back-off
 *   BATCH --(policy wants EMULATE, or safety)--> EMULATE   (no consent)
 *
 * Pure: no I/O and no clock.  fsm_step() returns what the caller must do;
 * the caller reports the outcome back with fsm_set_mode_result().
 */
#ifndef PTSWITCHD_FSM_H
#define PTSWITCHD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "ptswitch.h"

enum fsm_state {
	FSM_EMULATE,
	FSM_REQUESTED,
	FSM_BATCH,
};

enum fsm_action {
	FSM_ACT_NONE,
	FSM_ACT_REQUEST_BATCH, /* write request "<seq> batch" */
	FSM_ACT_SET_BATCH,     /* call set-mode BATCH */
	FSM_ACT_SET_EMULATE,   /* call set-mode EMULATE, then announce */
};

/*
 * Sequence numbers are unique across the daemon's runs and the domain
 * instances that share a domid: each request takes one above both the
 * guest's last and the daemon's (seq_floor, from the wall clock at
 * start).  No seq at or above this is used (guest.c resynchronises to
 * an ack's seq only below the wall clock plus about 12 days of
 * microseconds).
 */
#define FSM_SEQ_MAX (1ull << 62)

struct fsm {
	enum fsm_state state;
	uint64_t seq;	      /* last request sequence number written */
	uint64_t deadline_ms; /* handshake deadline in REQUESTED */
	uint64_t backoff_until_ms;
	uint64_t backoff_ms;   /* current back-off, doubles on failure */
	unsigned int failures; /* consecutive failed tries */
	/* set-mode EMULATE failed: retried after emulate_retry_ms. */
	bool emulate_failing;
	uint64_t emulate_retry_ms, emulate_backoff_ms;
	char reason[80]; /* why the guest is where it is */
};

/* What the caller knows this tick. */
struct fsm_input {
	uint64_t now_ms;
	bool want_batch;   /* engine says switch to BATCH now */
	bool want_emulate; /* engine says leave BATCH now */
	bool may_switch;   /* enforce mode and backend can switch */
	bool capable;	   /* caps include every BATCH capability */
	bool have_ack;	   /* a fresh, well-formed ack was read */
	struct proto_ack ack;
	uint64_t timeout_ms; /* handshake timeout */
	uint64_t backoff_ms; /* policy: first back-off */
	uint64_t backoff_max_ms;
	uint64_t seq_floor; /* the next seq is above this too */
};

/* First wait before set-mode EMULATE is tried again; doubles to the max. */
#define FSM_EMULATE_RETRY_MS 1000

void fsm_init(struct fsm *f, enum pt_mode mode, uint64_t seq);
enum pt_mode fsm_mode(const struct fsm *f);
const char *fsm_state_name(enum fsm_state s);

enum fsm_action fsm_step(struct fsm *f, const struct fsm_input *in);

/*
 * Outcome of a set-mode call the FSM asked for.  err is 0 or a negative
 * errno; hv_mode is what the hypervisor reports afterwards (the truth).
 */
void fsm_set_mode_result(struct fsm *f, enum pt_mode asked, int err,
			 enum pt_mode hv_mode, const struct fsm_input *in);

/*
 * The guest acked seq, above any we wrote (our last request was lost):
 * continue above it; a request in flight is void (the agent would take
 * it for a replay) and is made again at the next step.
 */
void fsm_resync(struct fsm *f, uint64_t seq);

/* The hypervisor reports a mode the FSM did not expect: adopt it. */
void fsm_adopt(struct fsm *f, enum pt_mode hv_mode, const char *why);

#endif /* PTSWITCHD_FSM_H */

/* SPDX-License-Identifier: MIT */
/* Unit tests of the per-guest handshake state machine (daemon/fsm.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fsm.h"

static struct fsm_input input(uint64_t now)
{
	return (struct fsm_input){
	    .now_ms = now,
	    .may_switch = true,
	    .capable = true,
	    .timeout_ms = 5000,
	    .backoff_ms = 60000,
	    .backoff_max_ms = 600000,
	};
}

static void test_request_then_ok(void **state)
{
	struct fsm f;
	struct fsm_input in = input(1000);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.want_batch = true;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_REQUEST_BATCH);
	assert_int_equal(f.state, FSM_REQUESTED);
	assert_int_equal(f.seq, 1);
	/* No answer yet, before the deadline: wait. */
	in.now_ms = 2000;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	in.have_ack = true;
	in.ack.seq = 1;
	in.ack.answer = PROTO_ACK_OK;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_BATCH);
	fsm_set_mode_result(&f, PT_MODE_BATCH, 0, PT_MODE_BATCH, &in);
	assert_int_equal(f.state, FSM_BATCH);
	assert_int_equal(fsm_mode(&f), PT_MODE_BATCH);
}

static void test_wrong_seq_ignored(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 10);
	in.want_batch = true;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_REQUEST_BATCH);
	in.have_ack = true;
	in.ack.seq = 10; /* an answer to an older request */
	in.ack.answer = PROTO_ACK_OK;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	assert_int_equal(f.state, FSM_REQUESTED);
}

static void test_refuse_backs_off(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.want_batch = true;
	fsm_step(&f, &in);
	in.have_ack = true;
	in.ack.seq = 1;
	in.ack.answer = PROTO_ACK_REFUSE;
	strcpy(in.ack.reason, "kernel-lacks-note");
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	assert_int_equal(f.state, FSM_EMULATE);
	assert_string_equal(f.reason, "refused:kernel-lacks-note");
	in.have_ack = false;
	/* Within the back-off: no new request. */
	in.now_ms = 59999;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	in.now_ms = 60000;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_REQUEST_BATCH);
	assert_int_equal(f.seq, 2);
}

static void test_timeout_doubles_backoff(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.want_batch = true;
	fsm_step(&f, &in);
	in.now_ms = 5000;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	assert_string_equal(f.reason, "handshake-timeout");
	assert_int_equal(f.backoff_until_ms, 65000);
	in.now_ms = 65000;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_REQUEST_BATCH);
	in.now_ms = 70000;
	fsm_step(&f, &in);
	assert_int_equal(f.backoff_ms, 120000);
	assert_int_equal(f.backoff_until_ms, 190000);
	/* Capped at the maximum. */
	f.backoff_ms = 500000;
	in.now_ms = 190000;
	fsm_step(&f, &in);
	in.now_ms = 195000;
	fsm_step(&f, &in);
	assert_int_equal(f.backoff_ms, 600000);
}

static void test_set_mode_failure_known_mode(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.want_batch = true;
	fsm_step(&f, &in);
	in.have_ack = true;
	in.ack.seq = 1;
	in.ack.answer = PROTO_ACK_OK;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_BATCH);
	fsm_set_mode_result(&f, PT_MODE_BATCH, -EPERM, PT_MODE_EMULATE, &in);
	assert_int_equal(f.state, FSM_EMULATE);
	assert_string_equal(f.reason, "set-mode-batch-failed:EPERM");
	assert_true(f.backoff_until_ms > 0);
}

static void test_leave_needs_no_consent(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_BATCH, 5);
	in.want_emulate = true;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_EMULATE);
	fsm_set_mode_result(&f, PT_MODE_EMULATE, 0, PT_MODE_EMULATE, &in);
	assert_int_equal(f.state, FSM_EMULATE);
	/* The announcement carries a fresh sequence number. */
	assert_int_equal(f.seq, 6);
}

static void test_incapable_leaves_batch_even_in_advise(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_BATCH, 1);
	in.may_switch = false;
	in.capable = false;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_EMULATE);
	assert_string_equal(f.reason, "incapable");
}

static void test_advise_never_requests(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.may_switch = false;
	in.want_batch = true;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	assert_int_equal(f.seq, 0);
	in.may_switch = true;
	in.capable = false;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	assert_string_equal(f.reason, "incapable");
}

static void test_caps_withdrawn_cancels_request(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.want_batch = true;
	fsm_step(&f, &in);
	in.capable = false;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	assert_int_equal(f.state, FSM_EMULATE);
	/* A late ok for the cancelled request does not switch. */
	in.have_ack = true;
	in.ack.seq = 1;
	in.ack.answer = PROTO_ACK_OK;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
}

static void test_adopt(void **state)
{
	struct fsm f;

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	fsm_adopt(&f, PT_MODE_BATCH, "external-change");
	assert_int_equal(fsm_mode(&f), PT_MODE_BATCH);
	assert_string_equal(f.reason, "external-change");
}

static void test_seq_above_floor(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	/* A new instance (seq 0) after others used seqs up to 1000. */
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.seq_floor = 1000;
	in.want_batch = true;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_REQUEST_BATCH);
	assert_int_equal(f.seq, 1001);
	/* The guest's own seq, when higher, wins. */
	fsm_init(&f, PT_MODE_BATCH, 5000);
	in.want_batch = false;
	in.want_emulate = true;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_EMULATE);
	fsm_set_mode_result(&f, PT_MODE_EMULATE, 0, PT_MODE_EMULATE, &in);
	assert_int_equal(f.seq, 5001);
}

static void test_resync_voids_pending_request(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_EMULATE, 0);
	in.want_batch = true;
	fsm_step(&f, &in);
	assert_int_equal(f.seq, 1);
	/* The agent answered seq 7 before: our request 1 is stale to it. */
	fsm_resync(&f, 7);
	assert_int_equal(f.state, FSM_EMULATE);
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_REQUEST_BATCH);
	assert_int_equal(f.seq, 8);
	/* Never backwards. */
	fsm_resync(&f, 3);
	assert_int_equal(f.seq, 8);
	assert_int_equal(f.state, FSM_REQUESTED);
}

static void test_emulate_failure_backs_off(void **state)
{
	struct fsm f;
	struct fsm_input in = input(0);

	(void)state;
	fsm_init(&f, PT_MODE_BATCH, 1);
	in.capable = false;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_EMULATE);
	fsm_set_mode_result(&f, PT_MODE_EMULATE, -EBUSY, PT_MODE_BATCH, &in);
	assert_int_equal(f.state, FSM_BATCH);
	assert_true(f.emulate_failing);
	assert_string_equal(f.reason, "set-mode-emulate-failed:EBUSY");
	/* Not again on the next tick... */
	in.now_ms = FSM_EMULATE_RETRY_MS - 1;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_NONE);
	/* ... but once the back-off is over, and then it doubles. */
	in.now_ms = FSM_EMULATE_RETRY_MS;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_EMULATE);
	fsm_set_mode_result(&f, PT_MODE_EMULATE, -EBUSY, PT_MODE_BATCH, &in);
	assert_int_equal(f.emulate_retry_ms, 3 * FSM_EMULATE_RETRY_MS);
	/* Success ends it. */
	in.now_ms = 3 * FSM_EMULATE_RETRY_MS;
	assert_int_equal(fsm_step(&f, &in), FSM_ACT_SET_EMULATE);
	fsm_set_mode_result(&f, PT_MODE_EMULATE, 0, PT_MODE_EMULATE, &in);
	assert_false(f.emulate_failing);
	assert_int_equal(f.state, FSM_EMULATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_then_ok),
	    cmocka_unit_test(test_wrong_seq_ignored),
	    cmocka_unit_test(test_refuse_backs_off),
	    cmocka_unit_test(test_timeout_doubles_backoff),
	    cmocka_unit_test(test_set_mode_failure_known_mode),
	    cmocka_unit_test(test_leave_needs_no_consent),
	    cmocka_unit_test(test_incapable_leaves_batch_even_in_advise),
	    cmocka_unit_test(test_advise_never_requests),
	    cmocka_unit_test(test_caps_withdrawn_cancels_request),
	    cmocka_unit_test(test_adopt),
	    cmocka_unit_test(test_seq_above_floor),
	    cmocka_unit_test(test_resync_voids_pending_request),
	    cmocka_unit_test(test_emulate_failure_backs_off),
	};

	return cmocka_run_group_tests_name("fsm", tests, NULL, NULL);
}

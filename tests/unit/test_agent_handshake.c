/* SPDX-License-Identifier: MIT */
/* Unit tests of the agent's request judgement (guestagent/handshake.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "handshake.h"

#define S(x) x, strlen(x)

static const struct probe_result capable = {.batch_ok = true,
					    .caps = PROTO_CAPS_BATCH};
static const struct probe_result stock = {.reason =
					      "kernel-lacks-ptswitch-note"};

static void test_answers(void **state)
{
	struct handshake h;
	struct proto_ack a;
	char buf[PROTO_MAX_VALUE + 1];

	(void)state;
	handshake_init(&h);
	assert_int_equal(handshake_judge(&h, S("1 batch"), &capable, &a),
			 HANDSHAKE_ANSWER);
	assert_int_equal(a.answer, PROTO_ACK_OK);
	proto_format_ack(&a, buf, sizeof(buf));
	assert_string_equal(buf, "1 ok");

	assert_int_equal(handshake_judge(&h, S("2 batch"), &stock, &a),
			 HANDSHAKE_ANSWER);
	proto_format_ack(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2 refuse kernel-lacks-ptswitch-note");

	/* Back to EMULATE is always safe, whatever the kernel. */
	assert_int_equal(handshake_judge(&h, S("3 emulate"), &stock, &a),
			 HANDSHAKE_ANSWER);
	proto_format_ack(&a, buf, sizeof(buf));
	assert_string_equal(buf, "3 ok");
}

static void test_stale_and_malformed(void **state)
{
	struct handshake h;
	struct proto_ack a;

	(void)state;
	handshake_init(&h);
	/* seq 0 is a valid first request. */
	assert_int_equal(handshake_judge(&h, S("0 emulate"), &capable, &a),
			 HANDSHAKE_ANSWER);
	assert_int_equal(handshake_judge(&h, S("0 emulate"), &capable, &a),
			 HANDSHAKE_STALE);
	assert_int_equal(handshake_judge(&h, S("10 batch"), &capable, &a),
			 HANDSHAKE_ANSWER);
	assert_int_equal(handshake_judge(&h, S("10 batch"), &capable, &a),
			 HANDSHAKE_STALE);
	assert_int_equal(handshake_judge(&h, S("9 batch"), &capable, &a),
			 HANDSHAKE_STALE);
	assert_int_equal(handshake_judge(&h, S(""), &capable, &a),
			 HANDSHAKE_MALFORMED);
	assert_int_equal(handshake_judge(&h, S("11 BATCH"), &capable, &a),
			 HANDSHAKE_MALFORMED);
	assert_int_equal(handshake_judge(&h, S("11 batch "), &capable, &a),
			 HANDSHAKE_MALFORMED);
	assert_int_equal(handshake_judge(&h, S("-1 batch"), &capable, &a),
			 HANDSHAKE_MALFORMED);
	assert_int_equal(
	    handshake_judge(&h, S("99999999999999999999 batch"), &capable, &a),
	    HANDSHAKE_MALFORMED);
	assert_int_equal(handshake_judge(&h, "11 batch\0x", 10, &capable, &a),
			 HANDSHAKE_MALFORMED);
	/* Malformed input did not move the sequence. */
	assert_int_equal(handshake_judge(&h, S("11 batch"), &capable, &a),
			 HANDSHAKE_ANSWER);
	/* The highest seq is still answerable exactly once. */
	assert_int_equal(
	    handshake_judge(&h, S("18446744073709551615 batch"), &capable, &a),
	    HANDSHAKE_ANSWER);
	assert_int_equal(
	    handshake_judge(&h, S("18446744073709551615 batch"), &capable, &a),
	    HANDSHAKE_STALE);
}

static void test_resume(void **state)
{
	struct handshake h;
	struct proto_ack a;

	(void)state;
	handshake_init(&h);
	handshake_resume(&h, S("7 refuse vm-assist-off"));
	assert_int_equal(handshake_judge(&h, S("7 batch"), &capable, &a),
			 HANDSHAKE_STALE);
	assert_int_equal(handshake_judge(&h, S("8 batch"), &capable, &a),
			 HANDSHAKE_ANSWER);
	/* A garbled old ack leaves the state alone. */
	handshake_init(&h);
	handshake_resume(&h, S("7 maybe"));
	assert_int_equal(handshake_judge(&h, S("1 batch"), &capable, &a),
			 HANDSHAKE_ANSWER);
}

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * Requests that are mostly well formed, some with a byte or two changed:
 * only well-formed ones are answered, and never with a seq going back.
 */
static void test_random_requests(void **state)
{
	static const char junk[] = "0123456789 abe-\x00\xff";
	struct proto_request r;
	struct handshake h;
	struct proto_ack a;
	char buf[48];
	uint32_t x = 0xc0ffee;
	uint64_t last = 0;
	unsigned int round, answered = 0, k;
	int len;

	(void)state;
	handshake_init(&h);
	for (round = 0; round < 20000; round++) {
		len = snprintf(buf, sizeof(buf), "%u %s", xorshift(&x) % 100000,
			       xorshift(&x) & 1 ? "batch" : "emulate");
		for (k = xorshift(&x) % 3; k; k--)
			buf[xorshift(&x) % (unsigned int)len] =
			    junk[xorshift(&x) % (sizeof(junk) - 1)];
		if (handshake_judge(&h, buf, (size_t)len, &capable, &a) !=
		    HANDSHAKE_ANSWER)
			continue;
		assert_int_equal(proto_parse_request(buf, (size_t)len, &r), 0);
		assert_true(r.seq == a.seq);
		assert_true(answered == 0 || a.seq > last);
		last = a.seq;
		answered++;
	}
	/* The generator must have produced answerable requests too. */
	assert_true(answered > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_stale_and_malformed),
	    cmocka_unit_test(test_resume),
	    cmocka_unit_test(test_random_requests),
	};

	return cmocka_run_group_tests_name("agent_handshake", tests, NULL,
					   NULL);
}

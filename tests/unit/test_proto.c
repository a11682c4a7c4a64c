/* SPDX-License-Identifier: MIT */
/* Unit tests of the xenstore contract parsers (common/proto.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

#define S(x) x, strlen(x)

static void test_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(proto_parse_u64(S("0"), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(proto_parse_u64(S("18446744073709551615"), &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_not_equal(proto_parse_u64(S("18446744073709551616"), &v), 0);
	assert_int_not_equal(proto_parse_u64(S(""), &v), 0);
	assert_int_not_equal(proto_parse_u64(S("-1"), &v), 0);
	assert_int_not_equal(proto_parse_u64(S("+1"), &v), 0);
	assert_int_not_equal(proto_parse_u64(S("01"), &v), 0);
	assert_int_not_equal(proto_parse_u64(S("1 "), &v), 0);
	assert_int_not_equal(proto_parse_u64(S(" 1"), &v), 0);
	assert_int_not_equal(proto_parse_u64(S("12abc"), &v), 0);
	assert_int_not_equal(proto_parse_u64(S("0x10"), &v), 0);
	/* An embedded NUL is not a number followed by junk we ignore. */
	assert_int_not_equal(proto_parse_u64("1\0002", 3, &v), 0);
}

static void test_caps(void **state)
{
	unsigned int caps;
	char big[PROTO_MAX_VALUE + 2];

	(void)state;
	assert_int_equal(proto_parse_caps(S("missing-pde spurious-fault "
					    "lazy-flush"), &caps), 0);
	assert_int_equal(caps, PROTO_CAPS_BATCH);
	assert_int_equal(proto_parse_caps(S(""), &caps), 0);
	assert_int_equal(caps, 0);
	/* Unknown tokens are ignored: forward compatible. */
	assert_int_equal(proto_parse_caps(S("future-thing missing-pde"),
					  &caps), 0);
	assert_int_equal(caps, PROTO_CAP_MISSING_PDE);
	/* A prefix of a token is not the token. */
	assert_int_equal(proto_parse_caps(S("missing-pdex"), &caps), 0);
	assert_int_equal(caps, 0);
	assert_int_not_equal(proto_parse_caps(S("Missing-PDE"), &caps), 0);
	assert_int_not_equal(proto_parse_caps(S("a\tb"), &caps), 0);
	assert_int_not_equal(proto_parse_caps(S("caf\xc3\xa9"), &caps), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_not_equal(proto_parse_caps(big, strlen(big), &caps), 0);
}

static void test_request(void **state)
{
	struct proto_request r;
	char buf[64];

	(void)state;
	assert_int_equal(proto_parse_request(S("7 batch"), &r), 0);
	assert_true(r.seq == 7 && r.verb == PROTO_REQ_BATCH);
	assert_int_equal(proto_parse_request(S("8 emulate"), &r), 0);
	assert_true(r.seq == 8 && r.verb == PROTO_REQ_EMULATE);
	assert_int_not_equal(proto_parse_request(S("7 batchy"), &r), 0);
	assert_int_not_equal(proto_parse_request(S("7  batch"), &r), 0);
	assert_int_not_equal(proto_parse_request(S("batch"), &r), 0);
	assert_int_not_equal(proto_parse_request(S("7"), &r), 0);
	assert_int_not_equal(proto_parse_request(S("7 batch x"), &r), 0);
	assert_int_not_equal(proto_parse_request(S("-7 batch"), &r), 0);
	r.seq = 42;
	r.verb = PROTO_REQ_BATCH;
	proto_format_request(&r, buf, sizeof(buf));
	assert_string_equal(buf, "42 batch");
}

static void test_ack(void **state)
{
	struct proto_ack a;
	char buf[128];

	(void)state;
	assert_int_equal(proto_parse_ack(S("3 ok"), &a), 0);
	assert_true(a.seq == 3 && a.answer == PROTO_ACK_OK);
	assert_int_equal(proto_parse_ack(S("4 refuse kernel-lacks-note"), &a),
			 0);
	assert_true(a.answer == PROTO_ACK_REFUSE);
	assert_string_equal(a.reason, "kernel-lacks-note");
	assert_int_equal(proto_parse_ack(S("5 refuse"), &a), 0);
	assert_string_equal(a.reason, "");
	assert_int_not_equal(proto_parse_ack(S("5 ok extra"), &a), 0);
	assert_int_not_equal(proto_parse_ack(S("5 refuse two words"), &a), 0);
	assert_int_not_equal(proto_parse_ack(S("5 refuse "), &a), 0);
	assert_int_not_equal(proto_parse_ack(S("ok"), &a), 0);
	assert_int_not_equal(proto_parse_ack(S("5 OK"), &a), 0);
	assert_int_not_equal(
		proto_parse_ack(S("5 refuse "
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				  "aaaaaaaaaaaaaaaaaaaaa"), &a), 0);
	a.seq = 9;
	a.answer = PROTO_ACK_REFUSE;
	strcpy(a.reason, "busy");
	proto_format_ack(&a, buf, sizeof(buf));
	assert_string_equal(buf, "9 refuse busy");
	a.answer = PROTO_ACK_OK;
	proto_format_ack(&a, buf, sizeof(buf));
	assert_string_equal(buf, "9 ok");
}

static void test_metric_names(void **state)
{
	(void)state;
	assert_true(proto_metric_name_ok("forks"));
	assert_true(proto_metric_name_ok("cow_faults"));
	assert_false(proto_metric_name_ok(""));
	assert_false(proto_metric_name_ok("../x"));
	assert_false(proto_metric_name_ok("a/b"));
	assert_false(proto_metric_name_ok("UPPER"));
	assert_false(proto_metric_name_ok(
		"a-name-that-is-far-too-long-for-a-metric"));
}

static void test_caps_format(void **state)
{
	char buf[64];

	(void)state;
	proto_format_caps(PROTO_CAPS_BATCH, buf, sizeof(buf));
	assert_string_equal(buf, "missing-pde spurious-fault lazy-flush");
	proto_format_caps(0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_metric_names),
		cmocka_unit_test(test_caps_format),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}

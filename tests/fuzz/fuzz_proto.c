/* SPDX-License-Identifier: MIT */
/*
 * The guest-value parsers of common/proto.c: every value a guest (or the
 * daemon, for the agent) writes goes through one of them.  Each input is
 * given to all of them; what parses must format and parse back the same.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char out[PROTO_MAX_VALUE + 64], reason[PROTO_MAX_REASON + 1];
	char name[PROTO_MAX_METRIC_NAME + 8];
	struct proto_request r, r2;
	struct proto_ack a, a2;
	unsigned int caps, caps2;
	uint64_t u;
	int rc;

	rc = proto_parse_u64(buf, size, &u);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);

	rc = proto_parse_caps(buf, size, &caps);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (!rc) {
		size_t n = proto_format_caps(caps, out, sizeof(out));

		FUZZ_CHECK(n == strlen(out));
		FUZZ_CHECK(!proto_parse_caps(out, n, &caps2));
		/* Unknown tokens are dropped, known ones kept. */
		FUZZ_CHECK(caps2 == (caps & PROTO_CAPS_BATCH));
	}

	rc = proto_parse_request(buf, size, &r);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (!rc) {
		size_t n = proto_format_request(&r, out, sizeof(out));

		FUZZ_CHECK(n == strlen(out));
		FUZZ_CHECK(!proto_parse_request(out, n, &r2));
		FUZZ_CHECK(r2.seq == r.seq && r2.verb == r.verb);
	}

	rc = proto_parse_ack(buf, size, &a);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (!rc) {
		size_t n = proto_format_ack(&a, out, sizeof(out));

		FUZZ_CHECK(fuzz_terminated(a.reason, sizeof(a.reason)));
		FUZZ_CHECK(n == strlen(out));
		FUZZ_CHECK(!proto_parse_ack(out, n, &a2));
		FUZZ_CHECK(a2.seq == a.seq && a2.answer == a.answer);
		FUZZ_CHECK(a.answer != PROTO_ACK_REFUSE ||
			   !strcmp(a.reason, a2.reason));
	}

	memset(reason, 0x55, sizeof(reason));
	rc = proto_parse_reason(buf, size, reason);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (!rc)
		FUZZ_CHECK(strlen(reason) >= 1 &&
			   strlen(reason) <= PROTO_MAX_REASON);

	/* Metric names arrive NUL-terminated (xenstore directory entries). */
	if (size < sizeof(name)) {
		memcpy(name, buf, size);
		name[size] = '\0';
		if (proto_metric_name_ok(name))
			FUZZ_CHECK(strlen(name) >= 1 &&
				   strlen(name) <= PROTO_MAX_METRIC_NAME);
	}
	return 0;
}

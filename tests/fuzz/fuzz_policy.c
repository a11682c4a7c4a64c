/* SPDX-License-Identifier: MIT */
/*
 * The policy loader (daemon/policy*.c): what an admin, or whoever can
 * write the policy file, gives the daemon.  A load either succeeds with a
 * policy that passes its own cross-checks, or fails with a message and,
 * where it can, a line:column inside the input.
 */
#include <string.h>

#include "fuzz.h"
#include "policy.h"

/*
 * An upper bound on the lines libyaml counts: it breaks lines at LF, CR,
 * NEL (U+0085, its second byte 0x85) and LS/PS (U+2028/9, ending in 0xa8
 * or 0xa9).
 */
static unsigned int lines_in(const uint8_t *data, size_t size)
{
	unsigned int n = 1;
	size_t i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 ||
		     data[i] == 0xa8 || data[i] == 0xa9;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy p, before;
	struct policy_error err;
	char msg[sizeof(err.file) + sizeof(err.msg) + 32];
	size_t i;

	memset(&p, 0xa5, sizeof(p));
	before = p;
	if (policy_load_string("fuzz.yaml", (const char *)data, size, &p,
			       &err)) {
		/* Untouched on error, and the error is well formed. */
		FUZZ_CHECK(!memcmp(&p, &before, sizeof(p)));
		FUZZ_CHECK(fuzz_terminated(err.msg, sizeof(err.msg)));
		FUZZ_CHECK(err.msg[0]);
		/* libyaml may point one line past the last newline. */
		FUZZ_CHECK(err.line <= lines_in(data, size) + 1);
		policy_error_format(&err, msg, sizeof(msg));
		FUZZ_CHECK(!strncmp(msg, "fuzz.yaml:", 10));
		return 0;
	}
	FUZZ_CHECK(p.enter_saving > p.leave_saving);
	FUZZ_CHECK(p.backoff_max_ms >= p.backoff_ms);
	FUZZ_CHECK(p.interval_ms >= 10 && p.window >= 1 && p.window <= 64);
	FUZZ_CHECK(p.n_overrides <= POLICY_MAX_OVERRIDES);
	for (i = 0; i < p.n_overrides; i++)
		FUZZ_CHECK(fuzz_terminated(p.overrides[i].pattern,
					   sizeof(p.overrides[i].pattern)));
	(void)policy_match(&p, "web1", 7,
			   "01234567-89ab-cdef-0123-456789abcdef");
	return 0;
}

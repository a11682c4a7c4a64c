/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the journal side of common/log.c (the fields a guest's
 * message carries, when stderr counts as the journal) and of the agent's
 * JSON strings (guestagent/report.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "report.h"

/* The value of KEY in an entry in the binary field form, or NULL. */
static const char *field(const char *buf, size_t len, const char *key,
			 char *val, size_t size)
{
	size_t off = 0, klen = strlen(key);

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		uint64_t vlen = 0;
		int i;

		assert_non_null(nl);
		assert_true((size_t)(nl - buf) + 9 <= len);
		for (i = 7; i >= 0; i--)
			vlen = (vlen << 8) | (unsigned char)nl[1 + i];
		if ((size_t)(nl - (buf + off)) == klen &&
		    !memcmp(buf + off, key, klen)) {
			assert_true(vlen < size);
			memcpy(val, nl + 9, vlen);
			val[vlen] = '\0';
			return val;
		}
		off = (size_t)(nl - buf) + 9 + vlen + 1;
	}
	return NULL;
}

static bool known(unsigned int domid, const char **name, const char **uuid)
{
	if (domid == 5) {
		*name = "web-1";
		*uuid = "6a1e0cbb-2f4b-4e2a-9d2e-6f0d3c1b5a01";
		return true;
	}
	if (domid == 6) { /* a guest whose toolstack set no vm link */
		*name = "db-1";
		*uuid = "";
		return true;
	}
	return false;
}

static void test_identity_fields(void **state)
{
	char buf[2048], v[128];
	size_t n;

	(void)state;
	log_set_dom_identity(known);
	n = log_format_dom_journal(buf, sizeof(buf), LOG_INFO, 5, "batch",
				   "saving", "switched");
	assert_true(n > 0);
	assert_string_equal(field(buf, n, "DOMID", v, sizeof(v)), "5");
	assert_string_equal(field(buf, n, "GUEST_NAME", v, sizeof(v)), "web-1");
	assert_string_equal(field(buf, n, "GUEST_UUID", v, sizeof(v)),
			    "6a1e0cbb-2f4b-4e2a-9d2e-6f0d3c1b5a01");
	assert_string_equal(field(buf, n, "MODE", v, sizeof(v)), "batch");
	assert_string_equal(field(buf, n, "REASON", v, sizeof(v)), "saving");
	assert_string_equal(field(buf, n, "MESSAGE", v, sizeof(v)),
			    "dom5: switched");

	n = log_format_dom_journal(buf, sizeof(buf), LOG_INFO, 6, NULL, NULL,
				   "m");
	assert_string_equal(field(buf, n, "GUEST_NAME", v, sizeof(v)), "db-1");
	assert_null(field(buf, n, "GUEST_UUID", v, sizeof(v)));

	/* Unknown to the daemon: DOMID only. */
	n = log_format_dom_journal(buf, sizeof(buf), LOG_INFO, 7, NULL, NULL,
				   "m");
	assert_string_equal(field(buf, n, "DOMID", v, sizeof(v)), "7");
	assert_null(field(buf, n, "GUEST_NAME", v, sizeof(v)));
	log_set_dom_identity(NULL);
}

static void test_no_empty_fields(void **state)
{
	char buf[2048], v[128];
	size_t n;

	(void)state;
	n = log_format_dom_journal(buf, sizeof(buf), LOG_INFO, 5, NULL, "",
				   "caps now none");
	assert_true(n > 0);
	assert_null(field(buf, n, "MODE", v, sizeof(v)));
	assert_null(field(buf, n, "REASON", v, sizeof(v)));
	n = log_format_dom_journal(buf, sizeof(buf), LOG_INFO, 5, "", NULL,
				   "x");
	assert_null(field(buf, n, "MODE", v, sizeof(v)));
	assert_null(field(buf, n, "REASON", v, sizeof(v)));
	/* Too small a buffer: nothing, not a truncated entry. */
	assert_int_equal(
	    log_format_dom_journal(buf, 16, LOG_INFO, 5, NULL, NULL, "x"), 0);
}

static void test_journal_stream(void **state)
{
	char path[] = "/tmp/ptswitch-test-journal.XXXXXX", env[64];
	struct stat st;
	int fd, other;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	other = open("/dev/null", O_WRONLY);
	assert_true(other >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_true(log_stream_is_journal(env, fd));
	/* Inherited by a process whose stderr went elsewhere. */
	assert_false(log_stream_is_journal(env, other));
	assert_false(log_stream_is_journal(NULL, fd));
	assert_false(log_stream_is_journal("", fd));
	assert_false(log_stream_is_journal("12", fd));
	snprintf(env, sizeof(env), "%llu:%llux", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	assert_false(log_stream_is_journal(env, fd));
	close(other);
	close(fd);
	unlink(path);
}

static void json(const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	report_json_string(f, in);
	fclose(f);
	assert_string_equal(out, want);
	free(out);
}

static void test_json_escapes(void **state)
{
	(void)state;
	json("Linux", "\"Linux\"");
	json("a\"b\\c", "\"a\\\"b\\\\c\"");
	json("line\nnext\ttab", "\"line\\nnext\\ttab\"");
	json("\x01\x1b[31m\x7f", "\"\\u0001\\u001b[31m\\u007f\"");
	json("\xc3\xa9", "\"\\u00c3\\u00a9\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_fields),
	    cmocka_unit_test(test_no_empty_fields),
	    cmocka_unit_test(test_journal_stream),
	    cmocka_unit_test(test_json_escapes),
	};

	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}

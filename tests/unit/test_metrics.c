/* SPDX-License-Identifier: MIT */
/* Unit tests of the /proc/vmstat and /proc/stat counter parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"
#include "proto.h"
#include "guest_fixtures.h"

#define S(x) x, strlen(x)

static int slot(const char *name)
{
	unsigned int i;

	for (i = 0; i < metric_count; i++)
		if (!strcmp(metric_defs[i].name, name))
			return (int)i;
	fail_msg("no metric %s", name);
	return -1;
}

static void expect(const struct metrics *m, const char *name, uint64_t v)
{
	int i = slot(name);

	assert_true(m->present[i]);
	assert_true(m->value[i] == v);
}

static void expect_absent(const struct metrics *m, const char *name)
{
	assert_false(m->present[slot(name)]);
}

static void test_table(void **state)
{
	unsigned int i, j;

	(void)state;
	assert_true(metric_count <= PROTO_MAX_METRICS);
	assert_true(metric_count <= METRIC_SLOTS);
	for (i = 0; i < metric_count; i++) {
		assert_true(proto_metric_name_ok(metric_defs[i].name));
		for (j = 0; j < i; j++)
			assert_string_not_equal(metric_defs[i].name,
						metric_defs[j].name);
	}
}

static void test_vmstat(void **state)
{
	struct metrics m;

	(void)state;
	metrics_clear(&m);
	metrics_parse(METRIC_VMSTAT,
		      S("nr_free_pages 5\npgfault 123\npgmajfault 0\n"
			"pgfaultx 9\npgreuse 18446744073709551615"),
		      &m);
	expect(&m, "pgfault", 123);
	expect(&m, "pgmajfault", 0);
	expect(&m, "pgreuse", UINT64_MAX); /* last line without newline */
	expect_absent(&m, "thp_fault_alloc");
	expect_absent(&m, "forks"); /* a /proc/stat key */
}

static void test_vmstat_hostile(void **state)
{
	char big[4096];
	struct metrics m;

	(void)state;
	metrics_clear(&m);
	metrics_parse(METRIC_VMSTAT,
		      S("pgfault 18446744073709551616\n" /* overflow */
			"pgmajfault -1\n"
			"pgreuse 12x\n"
			"thp_fault_alloc \n"
			"thp_split_pmd 1 2\n"  /* vmstat has one value */
			"pgfree 5\npgfree 6\n" /* duplicate key */
			"cow_ksm\n"),
		      &m);
	expect_absent(&m, "pgfault");
	expect_absent(&m, "pgmajfault");
	expect_absent(&m, "pgreuse");
	expect_absent(&m, "thp_fault_alloc");
	expect(&m, "thp_split_pmd", 1);
	expect_absent(&m, "pgfree");
	expect_absent(&m, "cow_ksm");

	/* A line longer than the line buffer whose number is cut off. */
	memset(big, '1', sizeof(big));
	memcpy(big, "pgfault ", 8);
	metrics_clear(&m);
	metrics_parse(METRIC_VMSTAT, big, sizeof(big), &m);
	expect_absent(&m, "pgfault");
	/* Binary junk and NULs. */
	memset(big, 0, sizeof(big));
	big[100] = '\n';
	metrics_clear(&m);
	metrics_parse(METRIC_VMSTAT, big, sizeof(big), &m);
	for (unsigned int i = 0; i < metric_count; i++)
		assert_false(m.present[i]);
}

static void test_stat(void **state)
{
	char line[1100];
	struct metrics m;
	size_t n;

	(void)state;
	metrics_clear(&m);
	metrics_parse(METRIC_STAT,
		      S("cpu  1 2 3\ncpu0 1 2 3\nintr 77 1 2 3\nctxt 99\n"
			"btime 1\nprocesses 4242\nprocs_running 1\n"),
		      &m);
	expect(&m, "forks", 4242);
	expect(&m, "ctxt", 99);
	expect(&m, "intr", 77);

	/* The intr line of a big machine is far longer than a line buffer:
	 * its total comes first and must still be read. */
	n = (size_t)snprintf(line, sizeof(line), "intr 123456");
	while (n < 1000)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " 0");
	line[n++] = '\n';
	memcpy(line + n, "processes 1\n", 12);
	metrics_clear(&m);
	metrics_parse(METRIC_STAT, line, n + 12, &m);
	expect(&m, "intr", 123456);
	expect(&m, "forks", 1);
}

/* Random bytes, digits, spaces and newlines: never a crash, never a
 * counter from a line that is not exactly "<key> <digits>...". */
static void test_random_input(void **state)
{
	static const char alphabet[] = "0123456789 \npgfault\x00\xff-";
	uint32_t x = 0xdeadbeef;
	char buf[512];
	struct metrics m;
	unsigned int round;
	size_t i, len;

	(void)state;
	for (round = 0; round < 5000; round++) {
		len = (x >> 3) % sizeof(buf);
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		metrics_clear(&m);
		metrics_parse(METRIC_VMSTAT, buf, len, &m);
		metrics_parse(METRIC_STAT, buf, len, &m);
	}
}

/* Recorded counters of a stock Debian 6.1 PV domU and dom0. */
static void test_debian_capture(void **state)
{
	static const char *const captures[] = {"debian-6.1-pv-domu",
					       "debian-6.1-pv-dom0"};
	struct metrics m;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    metrics_collect(guest_fixture(captures[i]), &m), 0);
		assert_true(m.present[slot("forks")]);
		assert_true(m.present[slot("ctxt")]);
		assert_true(m.present[slot("intr")]);
		assert_true(m.present[slot("pgfault")]);
		assert_true(m.present[slot("pgreuse")]);
		assert_true(m.present[slot("cow_ksm")]);
		assert_true(m.present[slot("thp_fault_alloc")]);
	}
}

static void test_synthetic(void **state)
{
	struct metrics m;

	(void)state;
	assert_int_equal(
	    metrics_collect(guest_fixture("synthetic-capable"), &m), 0);
	expect(&m, "forks", 300);
	expect(&m, "pgfault", 50000);
	expect(&m, "intr", 5000);
	assert_int_not_equal(metrics_collect("/nonexistent-root", &m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_vmstat),
	    cmocka_unit_test(test_vmstat_hostile),
	    cmocka_unit_test(test_stat),
	    cmocka_unit_test(test_random_input),
	    cmocka_unit_test(test_debian_capture),
	    cmocka_unit_test(test_synthetic),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}

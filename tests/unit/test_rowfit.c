/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of rowfit (tests/eval/rowfit.h): recorded writes are moved
 * to the row where their run is booked, every row stays consistent and
 * the total is kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rowfit.h"
#include "trace.h"

static void test_consistent_rows_unchanged(void **state)
{
	uint64_t runs[PT_HIST_BUCKETS] = {3, 2, 0, 0, 0, 0};
	struct rowfit f = {0};

	(void)state;
	/* 3 singles and two runs of 2-9: 7..21 writes allowed. */
	assert_int_equal(rowfit_writes(&f, runs, 7), 7);
	assert_int_equal(rowfit_writes(&f, runs, 21), 21);
	assert_int_equal(f.carry, 0);
}

/* A run of 300 straddles the sample: writes first, its run next row. */
static void test_open_run_moves_forward(void **state)
{
	uint64_t none[PT_HIST_BUCKETS] = {0}, one[PT_HIST_BUCKETS] = {1};
	uint64_t long_run[PT_HIST_BUCKETS] = {0, 0, 0, 0, 1, 0};
	struct rowfit f = {0};

	(void)state;
	assert_int_equal(rowfit_writes(&f, one, 201), 1);
	assert_int_equal(f.carry, 200);
	assert_int_equal(rowfit_writes(&f, long_run, 100), 300);
	assert_int_equal(f.carry, 0);
	assert_int_equal(rowfit_writes(&f, none, 0), 0);
}

/* Runs booked with writes counted in an earlier row: borrow, repay. */
static void test_borrow(void **state)
{
	uint64_t two[PT_HIST_BUCKETS] = {0, 0, 0, 0, 0, 2};
	uint64_t singles[PT_HIST_BUCKETS] = {5};
	struct rowfit f = {0};
	uint64_t total = 0;

	(void)state;
	total += rowfit_writes(&f, two, 1000); /* needs 1024 */
	assert_int_equal(f.carry, -24);
	assert_true(trace_min_writes(two) <= 1024);
	total += rowfit_writes(&f, singles, 29);
	assert_int_equal(f.carry, 0);
	assert_int_equal(total, 1029);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_consistent_rows_unchanged),
	    cmocka_unit_test(test_open_run_moves_forward),
	    cmocka_unit_test(test_borrow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* The ring of a side's last phases (daemon/phases.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "phases.h"

static void test_empty(void **state)
{
	struct phases p = {0};
	double r = -1.0;

	(void)state;
	assert_true(phases_mean(&p) == 0.0);
	assert_true(phases_sd(&p) == 0.0);
	assert_true(phases_max(&p) == 0.0);
	assert_false(phases_residual(&p, 0.0, &r));
	assert_true(r == -1.0);
}

/* Seven short phases and a long one: past the short ones, the long one. */
static void test_residual(void **state)
{
	struct phases p = {0};
	double r;
	int i;

	(void)state;
	for (i = 0; i < 7; i++)
		phases_add(&p, 10.0);
	phases_add(&p, 100.0);
	assert_true(phases_residual(&p, 0.0, &r));
	assert_true(fabs(r - (70.0 + 100.0) / 8.0) < 1e-9);
	assert_true(phases_residual(&p, 40.0, &r));
	assert_true(fabs(r - 60.0) < 1e-9);
	/* One that brought as much as a kept one lasted as long. */
	assert_true(phases_residual(&p, 100.0, &r));
	assert_true(r == 0.0);
	assert_false(phases_residual(&p, 100.5, &r));
	assert_true(fabs(phases_mean(&p) - 170.0 / 8.0) < 1e-9);
	assert_true(phases_max(&p) == 100.0);
}

/* The ring keeps the newest PHASES_KEPT: the long one ages out. */
static void test_wrap(void **state)
{
	struct phases p = {0};
	double r;
	int i;

	(void)state;
	phases_add(&p, 100.0);
	for (i = 0; i < PHASES_KEPT; i++)
		phases_add(&p, 10.0);
	assert_int_equal(p.n, PHASES_KEPT);
	assert_true(phases_max(&p) == 10.0);
	assert_true(phases_sd(&p) == 0.0);
	assert_true(phases_residual(&p, 10.0, &r));
	assert_false(phases_residual(&p, 10.5, &r));
	phases_forget(&p);
	assert_int_equal(p.n, 0);
}

/*
 * Fifteen phases of 10 and one of 1000.  At 10, fifteen of the sixteen
 * that got there ended there: following now pays on average, but waiting
 * one step (1) makes plain which it is, at less cost.  Past 10, only the
 * long one went on: follow.
 */
static void test_follow_now(void **state)
{
	struct phases p = {0};
	int i;

	(void)state;
	for (i = 0; i < 15; i++)
		phases_add(&p, 10.0);
	phases_add(&p, 1000.0);
	assert_false(phases_follow_now(&p, 10.0, 1.0, 50.0));
	assert_true(phases_follow_now(&p, 11.0, 1.0, 50.0));
	/* Not worth the price even when long. */
	assert_false(phases_follow_now(&p, 11.0, 1.0, 2000.0));
	/* Nothing kept went on this long. */
	assert_false(phases_follow_now(&p, 1001.0, 1.0, 50.0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_residual),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_follow_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

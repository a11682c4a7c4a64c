/* SPDX-License-Identifier: MIT */
/*
 * Cycle costs from a pvguest calibration file (docs/calibration.md):
 * every "cost.<policy key> <number>" line replaces that cost of the
 * policy; "n/a" and missing keys keep the policy's value.
 */
#ifndef PTEVAL_CALIB_H
#define PTEVAL_CALIB_H

#include "policy.h"

/*
 * Returns 0, or -1 with a "file:line: message" in err.  which receives
 * the keys taken from the file, space-separated (may be empty).
 */
int calib_apply_file(const char *path, struct policy_costs *c, char *err,
		     size_t err_size, char *which, size_t which_size);

#endif /* PTEVAL_CALIB_H */

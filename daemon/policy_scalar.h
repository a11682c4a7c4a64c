/* SPDX-License-Identifier: MIT */
/*
 * Strict parsers for the scalar values of the policy file.  Internal to the
 * policy parser; exposed for its unit tests.  Each returns 0 or -1.
 */
#ifndef PTSWITCHD_POLICY_SCALAR_H
#define PTSWITCHD_POLICY_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "250ms", "1s", "5m", "1h": decimal integer plus a unit; result in ms. */
int scalar_duration_ms(const char *s, uint64_t *ms);
/* Format a duration with the largest exact unit ("90s", "1h"). */
void scalar_format_duration(uint64_t ms, char *buf, size_t size);
/* Plain decimal integer without sign or leading zeros. */
int scalar_uint(const char *s, uint64_t *v);
/* Finite decimal number, e.g. "12", "-0.5", "1e6" (no hex, inf, nan). */
int scalar_real(const char *s, double *v);
/* A fraction: a number ("0.2") or a percentage ("20%"). */
int scalar_fraction(const char *s, double *v);
/* YAML 1.2 core booleans: true or false. */
int scalar_bool(const char *s, bool *v);
/*
 * Canonical UUID (8-4-4-4-12 hex digits, any case); *out receives the
 * lower-case form (37 bytes).
 */
int scalar_uuid(const char *s, char out[37]);
/*
 * A usable fnmatch(3) glob: printable ASCII, no unterminated bracket
 * expression or trailing backslash.  Returns NULL if fine, else why not.
 */
const char *scalar_glob_problem(const char *s);
/* Case-insensitive comparison of two canonical UUIDs. */
bool scalar_uuid_equal(const char *a, const char *b);

#endif /* PTSWITCHD_POLICY_SCALAR_H */

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the policy parser: every error path with its exact
 * line:column, the defaults, a full file, the shipped example and
 * override matching.  Run from the repository root (the shipped example
 * is read from config/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "policy_scalar.h"

struct error_case {
	const char *name;
	const char *yaml;
	unsigned int line, column;
	const char *fragment;
};

static const struct error_case error_cases[] = {
    /* libyaml's own errors, at its problem mark */
    {"syntax-mapping-in-scalar", "interval: 1s\n  window: 3\n", 2, 9,
     "mapping values are not allowed"},
    {"syntax-tab-indent", "window: 3\n\tdwell: 1s\n", 2, 1,
     "tab character that violates indentation"},
    {"syntax-tab-start", "\tdwell: 1s\n", 1, 1, "cannot start any token"},
    {"syntax-unclosed-flow", "thresholds: {enter-saving: 0.3\n", 2, 1,
     "did not find expected"},
    /* The schema has nothing to share: anchors and aliases are refused
     * in the first pass, before libyaml's quadratic anchor lookup. */
    {"alias-undefined", "window: *nowhere\n", 1, 9,
     "anchors and aliases are not supported"},
    {"anchor-on-scalar", "interval: 1s\nwindow: &w 5\ndwell: *w\n", 2, 9,
     "anchors and aliases are not supported"},
    {"anchor-on-mapping", "thresholds: &t\n  enter-saving: 0.3\n", 1, 13,
     "anchors and aliases are not supported"},
    {"anchor-on-list", "guests: &g []\n", 1, 9,
     "anchors and aliases are not supported"},
    {"reader-bad-utf8",
     "window: 3\naction: enf\xff"
     "rce\n",
     2, 12, "invalid input"},
    {"nul-in-quoted-value", "action: \"enf\\0orce\"\n", 1, 9, "NUL character"},
    {"too-deep", "guests: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n", 1, 24,
     "nesting deeper than 16 levels"},
    {"second-document", "window: 5\n---\nwindow: 6\n", 2, 1,
     "only one YAML document"},
    /* structure */
    {"top-level-list", "- window\n- 3\n", 1, 1,
     "top level: expected a mapping, found a list"},
    {"top-level-scalar", "hello\n", 1, 1,
     "top level: expected a mapping, found a scalar"},
    {"key-not-scalar", "? [a, b]\n: 1\n", 1, 3, "keys must be plain words"},
    {"unknown-top-key", "interval: 1s\nwindw: 5\n", 2, 1,
     "unknown key 'windw'"},
    {"unknown-nested-key", "thresholds:\n  enter: 0.3\n", 2, 3,
     "unknown key 'enter' in thresholds"},
    {"unknown-calibration", "calibration: host.yaml\n", 1, 1,
     "unknown key 'calibration'"},
    {"duplicate-key", "window: 5\naction: advise\nwindow: 6\n", 3, 1,
     "duplicate key 'window' (first at line 1)"},
    {"duplicate-nested-key", "cost:\n  batch: 1\n  batch: 2\n", 3, 3,
     "duplicate key 'batch' (first at line 2)"},
    {"scalar-expected", "interval: [1s]\n", 1, 11,
     "interval: expected a duration such as 500ms, 1s, 5m or 1h, found "
     "a list"},
    {"mapping-expected", "thresholds: 0.3\n", 1, 13,
     "thresholds: expected a mapping, found a scalar"},
    {"list-expected", "guests: {match: {domid: 1}, pin: batch}\n", 1, 9,
     "guests: expected a list, found a mapping"},
    {"empty-value", "window: 5\ninterval:\ndwell: 1s\n", 2, 10,
     "interval: missing value"},
    /* scalar types and ranges */
    {"action-bad", "action: maybe\n", 1, 9,
     "action: expected enforce or advise, found 'maybe'"},
    {"on-stop-bad", "window: 5\non-stop: off\n", 2, 10,
     "on-stop: expected keep or revert, found 'off'"},
    {"on-stop-mapping", "on-stop: {revert: true}\n", 1, 10,
     "on-stop: expected keep or revert, found a mapping"},
    {"on-stop-empty", "on-stop:\n", 1, 9,
     "on-stop: missing value (expected keep or revert)"},
    {"duration-no-unit", "dwell: 30\n", 1, 8, "dwell: expected a duration"},
    {"duration-bad-unit", "interval: 5x\n", 1, 11,
     "interval: expected a duration"},
    {"duration-fraction", "interval: 1.5s\n", 1, 11,
     "interval: expected a duration"},
    {"duration-overflow", "dwell: 99999999999999999999h\n", 1, 8,
     "dwell: expected a duration"},
    {"duration-too-short", "interval: 5ms\n", 1, 11,
     "interval: 5ms is out of range (10ms..1h)"},
    {"duration-too-long", "handshake-timeout: 11m\n", 1, 20,
     "handshake-timeout: 11m is out of range (100ms..10m)"},
    {"dwell-too-long", "dwell: 25h\n", 1, 8,
     "dwell: 25h is out of range (0ms..24h)"},
    {"window-zero", "window: 0\n", 1, 9, "window: 0 is out of range (1..64)"},
    {"window-too-big", "window: 65\n", 1, 9,
     "window: 65 is out of range (1..64)"},
    {"window-negative", "window: -1\n", 1, 9,
     "window: expected a whole number, found '-1'"},
    {"window-real", "window: 2.5\n", 1, 9, "window: expected a whole number"},
    {"window-leading-zero", "window: 08\n", 1, 9,
     "window: expected a whole number"},
    {"enter-out-of-range", "thresholds: {enter-saving: 1.5}\n", 1, 28,
     "thresholds.enter-saving: 1.5 is out of range (0..1)"},
    {"leave-out-of-range", "thresholds:\n  leave-saving: -150%\n", 2, 17,
     "thresholds.leave-saving: -150% is out of range (-1..1)"},
    {"fraction-bad", "thresholds:\n  enter-saving: lots\n", 2, 17,
     "thresholds.enter-saving: expected a fraction"},
    {"min-write-rate-negative", "thresholds:\n  min-write-rate: -5\n", 2, 19,
     "thresholds.min-write-rate: -5 is out of range (0..1e+09)"},
    {"noise-margin-too-big", "thresholds: {noise-margin: 11}\n", 1, 28,
     "thresholds.noise-margin: 11 is out of range (0..10)"},
    {"rate-switches-zero", "rate-limit:\n  switches: 0\n", 2, 13,
     "rate-limit.switches: 0 is out of range (1..32)"},
    {"rate-switches-too-many", "rate-limit:\n  switches: 33\n", 2, 13,
     "rate-limit.switches: 33 is out of range (1..32)"},
    {"rate-per-too-short", "rate-limit: {per: 500ms}\n", 1, 19,
     "rate-limit.per: 500ms is out of range (1s..168h)"},
    {"smp-vcpus-zero", "smp:\n  max-vcpus: 0\n", 2, 14,
     "smp.max-vcpus: 0 is out of range (1..4096)"},
    {"smp-spurious-too-big", "smp:\n  max-spurious-rate: 2\n", 2, 22,
     "smp.max-spurious-rate: 2 is out of range (0..1)"},
    {"cost-zero-emulated-write", "cost:\n  emulated-write: 0\n", 2, 19,
     "cost.emulated-write: 0 is out of range (1..1e+09)"},
    {"cost-nan", "cost: {batch: .nan}\n", 1, 15,
     "cost.batch: expected a number, found '.nan'"},
    {"cost-hex", "cost: {batch-entry: 0x10}\n", 1, 21,
     "cost.batch-entry: expected a number"},
    {"cost-inf", "cost: {spurious-fault: 1e999}\n", 1, 24,
     "cost.spurious-fault: expected a number"},
    {"cost-mode-switch-range", "cost: {mode-switch: 1e13}\n", 1, 21,
     "cost.mode-switch: 1e13 is out of range (0..1e+12)"},
    /* cross-field checks */
    {"enter-below-leave",
     "thresholds:\n  enter-saving: 30%\n  leave-saving: 40%\n", 2, 17,
     "enter-saving (0.3) must exceed thresholds.leave-saving (0.4)"},
    {"enter-equals-default-leave", "thresholds:\n  enter-saving: 0.05\n", 2, 17,
     "must exceed"},
    {"leave-equals-default-enter", "thresholds:\n  leave-saving: 0.2\n", 2, 17,
     "for hysteresis"},
    {"backoff-max-shorter", "backoff: 1m\nbackoff-max: 30s\n", 2, 14,
     "backoff-max must not be shorter than backoff"},
    {"backoff-above-default-max", "backoff: 1h\n", 1, 10,
     "backoff-max must not be shorter than backoff"},
    /* overrides */
    {"guest-not-mapping", "guests:\n  - web\n", 2, 5,
     "guests[0]: expected a mapping"},
    {"guest-missing-match", "guests:\n  - pin: batch\n", 2, 5,
     "guests[0]: missing 'match'"},
    {"guest-missing-action", "guests:\n  - match: {domid: 3}\n", 2, 5,
     "guests[0]: needs 'pin: emulate|batch' or 'exclude: true'"},
    {"guest-pin-and-exclude",
     "guests:\n  - match: {domid: 3}\n    pin: batch\n    exclude: true\n", 4,
     5, "guests[0]: 'pin' and 'exclude' cannot be combined"},
    {"guest-unknown-key",
     "guests:\n  - match: {domid: 1}\n    pin: batch\n    foo: 1\n", 4, 5,
     "unknown key 'foo' in guests[0]"},
    {"guest-duplicate-pin",
     "guests:\n  - match: {domid: 1}\n    pin: batch\n    pin: emulate\n", 4, 5,
     "duplicate key 'pin' (first at line 3)"},
    {"match-not-mapping", "guests:\n  - match: web\n    pin: batch\n", 2, 12,
     "guests[0].match: expected a mapping, found a scalar"},
    {"match-empty", "guests:\n  - match: {}\n    pin: batch\n", 2, 5,
     "guests[0].match: needs one of name, domid or uuid"},
    {"match-two-keys",
     "guests:\n  - match: {name: a, domid: 3}\n    pin: batch\n", 2, 22,
     "guests[0].match: 'name' and 'domid' cannot be combined"},
    {"match-unknown-key",
     "guests:\n  - {match: {domid: 1}, pin: batch}\n"
     "  - match: {nam: x}\n    pin: batch\n",
     3, 13, "unknown key 'nam' in guests[1].match"},
    {"pin-bad", "guests:\n  - match: {domid: 1}\n    pin: fast\n", 3, 10,
     "guests[0].pin: expected emulate or batch, found 'fast'"},
    {"exclude-false", "guests:\n  - match: {domid: 1}\n    exclude: false\n", 3,
     14, "only 'exclude: true' is meaningful"},
    {"exclude-yes", "guests:\n  - match: {domid: 1}\n    exclude: yes\n", 3, 14,
     "guests[0].exclude: expected true, found 'yes'"},
    {"glob-unterminated",
     "guests:\n  - match: {name: 'web[12'}\n    pin: batch\n", 2, 19,
     "bad glob 'web[12': unterminated '[' bracket expression"},
    {"glob-trailing-backslash",
     "guests:\n  - match: {name: 'web\\'}\n    pin: batch\n", 2, 19,
     "bad glob 'web\\': trailing backslash"},
    {"glob-control-char",
     "guests:\n  - match: {name: \"a\\tb\"}\n    pin: batch\n", 2, 19,
     "only printable ASCII"},
    {"glob-too-long",
     "guests:\n  - match: {name: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n"
     "    pin: batch\n",
     2, 19, "pattern longer than 63 characters"},
    {"uuid-bad", "guests:\n  - match: {uuid: 1234}\n    pin: batch\n", 2, 19,
     "guests[0].match.uuid: bad UUID '1234'"},
    {"uuid-bad-hex",
     "guests:\n  - match: {uuid: 0123456g-89ab-cdef-0123-456789abcdef}\n"
     "    pin: batch\n",
     2, 19, "bad UUID"},
    {"domid-out-of-range",
     "guests:\n  - match: {domid: 32752}\n    exclude: true\n", 2, 20,
     "guests[0].match.domid: 32752 is out of range (0..32751)"},
};

static int load(const char *yaml, struct policy *p, struct policy_error *e)
{
	return policy_load_string("t.yaml", yaml, strlen(yaml), p, e);
}

static void test_error_case(void **state)
{
	const struct error_case *c = *state;
	struct policy p, before;
	struct policy_error e;

	memset(&p, 0xa5, sizeof(p));
	before = p;
	assert_int_equal(load(c->yaml, &p, &e), -1);
	if (e.line != c->line || e.column != c->column ||
	    !strstr(e.msg, c->fragment))
		print_error("%s: got %u:%u: %s\n", c->name, e.line, e.column,
			    e.msg);
	assert_string_equal(e.file, "t.yaml");
	assert_int_equal(e.line, c->line);
	assert_int_equal(e.column, c->column);
	assert_non_null(strstr(e.msg, c->fragment));
	/* On error the caller's policy is untouched. */
	assert_memory_equal(&p, &before, sizeof(p));
}

static void test_too_many_overrides(void **state)
{
	char *yaml = malloc(8192);
	struct policy p;
	struct policy_error e;
	size_t len;
	int i;

	(void)state;
	assert_non_null(yaml);
	len = (size_t)sprintf(yaml, "guests:\n");
	for (i = 0; i < POLICY_MAX_OVERRIDES; i++)
		len += (size_t)sprintf(
		    yaml + len, "  - {match: {domid: %d}, pin: emulate}\n",
		    i + 1);
	assert_int_equal(load(yaml, &p, &e), 0);
	assert_int_equal(p.n_overrides, POLICY_MAX_OVERRIDES);
	sprintf(yaml + len, "  - {match: {domid: 999}, exclude: true}\n");
	assert_int_equal(load(yaml, &p, &e), -1);
	assert_int_equal(e.line, POLICY_MAX_OVERRIDES + 2);
	assert_int_equal(e.column, 5);
	assert_non_null(strstr(e.msg, "guests: too many entries (at most 64)"));
	free(yaml);
}

/*
 * A 1 MiB file of 38,000 anchors and their aliases took libyaml's loader
 * 12 s (45 s under ASan): it looks every alias up, and checks every new
 * anchor, in a linear list.  It must be refused at the first anchor,
 * without building the tree.
 */
static void test_hostile_aliases(void **state)
{
	const size_t max = 1024 * 1024;
	char *yaml = malloc(max + 64);
	struct policy p;
	struct policy_error e;
	size_t len;
	int i;

	(void)state;
	assert_non_null(yaml);
	len = (size_t)sprintf(yaml, "guests: [");
	for (i = 0; i < 38000; i++)
		len += (size_t)sprintf(yaml + len, "&a%d 0, ", i);
	for (i = 0; len < max - 32; i++)
		len += (size_t)sprintf(yaml + len, "*a%d, ", i % 38000);
	len += (size_t)sprintf(yaml + len, "0]\n");
	assert_int_equal(policy_load_string("t.yaml", yaml, len, &p, &e), -1);
	assert_int_equal(e.line, 1);
	assert_int_equal(e.column, 10);
	assert_non_null(strstr(e.msg, "anchors and aliases are not supported"));
	free(yaml);
}

static void test_defaults(void **state)
{
	struct policy p;

	(void)state;
	memset(&p, 0xa5, sizeof(p));
	policy_defaults(&p);
	assert_int_equal(p.action, POLICY_ENFORCE);
	assert_int_equal(p.interval_ms, 1000);
	assert_int_equal(p.window, 10);
	assert_int_equal(p.handshake_timeout_ms, 5000);
	assert_int_equal(p.backoff_ms, 10000);
	assert_int_equal(p.backoff_max_ms, 600000);
	assert_true(p.enter_saving > p.leave_saving);
	assert_true(p.leave_saving >= 0);
	assert_int_equal(p.min_dwell_ms, 0);
	assert_int_equal(p.max_switches, 32);
	assert_int_equal(p.rate_period_ms, 300000);
	assert_int_equal(p.smp_max_vcpus, 2);
	assert_int_equal(p.on_stop, ON_STOP_KEEP);
	assert_true(p.cost.emulated_write >= 1);
	assert_int_equal(p.n_overrides, 0);
	assert_string_equal(p.source, "(built-in)");
}

/* Empty input, comments only, a bare '---' or '~': the defaults. */
static void test_empty_is_defaults(void **state)
{
	static const char *const inputs[] = {
	    "", "# nothing here\n\n", "---\n", "~\n", "--- # c\n...\n",
	};
	struct policy def, p;
	struct policy_error e;
	size_t i;

	(void)state;
	policy_defaults(&def);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		memset(&p, 0xa5, sizeof(p));
		assert_int_equal(load(inputs[i], &p, &e), 0);
		assert_string_equal(p.source, "t.yaml");
		snprintf(p.source, sizeof(p.source), "(built-in)");
		assert_memory_equal(&p, &def, sizeof(p));
	}
}

static const char full_yaml[] =
    "# every key, none at its default\n"
    "action: advise\n"
    "interval: 250ms\n"
    "window: 64\n"
    "handshake-timeout: 2s\n"
    "backoff: 1s\n"
    "backoff-max: 1h\n"
    "thresholds:\n"
    "  enter-saving: 35%\n"
    "  leave-saving: -0.1\n"
    "  min-write-rate: 1e4\n"
    "  noise-margin: 0\n"
    "dwell: 2m\n"
    "rate-limit: {switches: 32, per: 24h}\n"
    "smp:\n"
    "  max-vcpus: 3\n"
    "  max-spurious-rate: 0.5%\n"
    "cost:\n"
    "  emulated-write: 1800.5\n"
    "  batch: 0\n"
    "  batch-entry: '90'\n"
    "  spurious-fault: 2500\n"
    "  mode-switch: 2e7\n"
    "guests:\n"
    "  - match: {name: 'db-*'}\n"
    "    exclude: true\n"
    "  - match: {domid: 7}\n"
    "    pin: batch\n"
    "  - match:\n"
    "      uuid: 0123ABCD-89ab-CDEF-0123-456789ABCDEF\n"
    "    pin: emulate\n"
    "  - {match: {name: 'web[0-9]'}, pin: batch}\n"
    "on-stop: revert\n";

static void test_full_file(void **state)
{
	struct policy p;
	struct policy_error e;

	(void)state;
	assert_int_equal(load(full_yaml, &p, &e), 0);
	assert_int_equal(p.action, POLICY_ADVISE);
	assert_int_equal(p.interval_ms, 250);
	assert_int_equal(p.window, 64);
	assert_int_equal(p.handshake_timeout_ms, 2000);
	assert_int_equal(p.backoff_ms, 1000);
	assert_int_equal(p.backoff_max_ms, 3600000);
	assert_float_equal(p.enter_saving, 0.35, 1e-12);
	assert_float_equal(p.leave_saving, -0.1, 1e-12);
	assert_float_equal(p.min_write_rate, 1e4, 1e-9);
	assert_float_equal(p.noise_margin, 0, 0);
	assert_int_equal(p.min_dwell_ms, 120000);
	assert_int_equal(p.max_switches, 32);
	assert_int_equal(p.rate_period_ms, 86400000);
	assert_int_equal(p.smp_max_vcpus, 3);
	assert_float_equal(p.smp_max_spurious, 0.005, 1e-12);
	assert_float_equal(p.cost.emulated_write, 1800.5, 1e-9);
	assert_float_equal(p.cost.batch, 0, 0);
	assert_float_equal(p.cost.batch_entry, 90, 0);
	assert_float_equal(p.cost.spurious_fault, 2500, 0);
	assert_float_equal(p.cost.mode_switch, 2e7, 0);
	assert_int_equal(p.on_stop, ON_STOP_REVERT);
	assert_int_equal(p.n_overrides, 4);

	assert_int_equal(p.overrides[0].match, MATCH_NAME);
	assert_string_equal(p.overrides[0].pattern, "db-*");
	assert_int_equal(p.overrides[0].kind, OVERRIDE_EXCLUDE);
	assert_int_equal(p.overrides[0].line, 25);
	assert_int_equal(p.overrides[1].match, MATCH_DOMID);
	assert_int_equal(p.overrides[1].domid, 7);
	assert_int_equal(p.overrides[1].kind, OVERRIDE_PIN);
	assert_int_equal(p.overrides[1].pin, PT_MODE_BATCH);
	assert_int_equal(p.overrides[2].match, MATCH_UUID);
	assert_string_equal(p.overrides[2].pattern,
			    "0123abcd-89ab-cdef-0123-456789abcdef");
	assert_int_equal(p.overrides[2].pin, PT_MODE_EMULATE);
	assert_int_equal(p.overrides[3].match, MATCH_NAME);
	assert_string_equal(p.overrides[3].pattern, "web[0-9]");
	assert_string_equal(p.source, "t.yaml");
}

/* Sections whose entries are all commented out are empty, not errors. */
static void test_empty_sections(void **state)
{
	static const char yaml[] = "thresholds:\n"
				   "#  enter-saving: 0.3\n"
				   "cost: ~\n"
				   "guests:\n"
				   "#  - match: {domid: 0}\n"
				   "#    exclude: true\n";
	struct policy def, p;
	struct policy_error e;

	(void)state;
	policy_defaults(&def);
	assert_int_equal(load(yaml, &p, &e), 0);
	memset(p.source, 0, sizeof(p.source));
	snprintf(p.source, sizeof(p.source), "(built-in)");
	assert_memory_equal(&p, &def, sizeof(p));
	/* ... but a value that is missing still is an error. */
	assert_int_equal(load("guests:\n  - match:\n    pin: batch\n", &p, &e),
			 -1);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.column, 5);
	assert_non_null(strstr(e.msg, "needs one of name, domid or uuid"));
}

/* A key given once keeps the others at their defaults. */
static void test_partial_file(void **state)
{
	struct policy def, p;
	struct policy_error e;

	(void)state;
	policy_defaults(&def);
	assert_int_equal(load("smp: {max-vcpus: 4}\n", &p, &e), 0);
	assert_int_equal(p.smp_max_vcpus, 4);
	def.smp_max_vcpus = 4;
	snprintf(def.source, sizeof(def.source), "t.yaml");
	assert_memory_equal(&p, &def, sizeof(p));
}

static void test_match(void **state)
{
	struct policy p;
	struct policy_error e;
	const struct policy_override *o;

	(void)state;
	assert_int_equal(load(full_yaml, &p, &e), 0);
	/* name glob */
	o = policy_match(&p, "db-main", 3, NULL);
	assert_ptr_equal(o, &p.overrides[0]);
	assert_null(policy_match(&p, "xdb-main", 3, NULL));
	/* first match wins: db-7 by name before domid 7 */
	assert_ptr_equal(policy_match(&p, "db-7", 7, NULL), &p.overrides[0]);
	assert_ptr_equal(policy_match(&p, "mail", 7, NULL), &p.overrides[1]);
	/* UUID, case-insensitive */
	assert_ptr_equal(
	    policy_match(&p, "mail", 8, "0123abcd-89AB-cdef-0123-456789abcdef"),
	    &p.overrides[2]);
	assert_null(policy_match(&p, "mail", 8,
				 "0123abcd-89ab-cdef-0123-456789abcde0"));
	assert_null(policy_match(&p, "mail", 8, "0123abcd"));
	/* bracket glob; no name at all matches no glob */
	assert_ptr_equal(policy_match(&p, "web3", 9, NULL), &p.overrides[3]);
	assert_null(policy_match(&p, "web33", 9, NULL));
	assert_null(policy_match(&p, NULL, 9, NULL));
}

static void test_error_format(void **state)
{
	struct policy_error e = {"a.yaml", 3, 7, "oops"};
	char buf[300];

	(void)state;
	policy_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:3:7: oops");
	e.line = e.column = 0;
	policy_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml: oops");
}

static void test_scalars(void **state)
{
	uint64_t u;
	double d;
	char buf[32], uuid[37];

	(void)state;
	assert_int_equal(scalar_duration_ms("250ms", &u), 0);
	assert_int_equal(u, 250);
	assert_int_equal(scalar_duration_ms("0s", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(scalar_duration_ms("2h", &u), 0);
	assert_int_equal(u, 7200000);
	assert_int_equal(scalar_duration_ms("01s", &u), -1);
	assert_int_equal(scalar_duration_ms("1 s", &u), -1);
	assert_int_equal(scalar_duration_ms("s", &u), -1);
	assert_int_equal(scalar_duration_ms("1S", &u), -1);
	assert_int_equal(scalar_duration_ms("18446744073709551615h", &u), -1);
	scalar_format_duration(90000, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	scalar_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0ms");
	assert_int_equal(scalar_real(" 1", &d), -1);
	assert_int_equal(scalar_real("1,5", &d), -1);
	assert_int_equal(scalar_real("inf", &d), -1);
	assert_int_equal(scalar_real("-.5", &d), 0);
	assert_float_equal(d, -0.5, 0);
	assert_int_equal(scalar_fraction("12.5%", &d), 0);
	assert_float_equal(d, 0.125, 1e-12);
	assert_int_equal(scalar_fraction("%", &d), -1);
	assert_int_equal(
	    scalar_uuid("0123ABCD-89ab-cdef-0123-456789abcdef", uuid), 0);
	assert_string_equal(uuid, "0123abcd-89ab-cdef-0123-456789abcdef");
	assert_int_equal(
	    scalar_uuid("0123abcd89ab-cdef-0123-456789abcdef-", uuid), -1);
	assert_null(scalar_glob_problem("[]]x"));
	assert_null(scalar_glob_problem("[!]]x"));
	assert_null(scalar_glob_problem("a\\*"));
	assert_non_null(scalar_glob_problem("[]"));
	assert_non_null(scalar_glob_problem(""));
}

/* A private temp dir, removed whatever happens to the test. */
static char tmpdir[64];

static int tmp_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ptswitch-policy.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	static const char bad[] = "window: 5\nthresholds:\n  leave: 1\n";
	char path[128], msg[512];
	struct policy p, before;
	struct policy_error e;
	char *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/good.yaml", tmpdir);
	write_file(path, full_yaml, strlen(full_yaml));
	assert_int_equal(policy_load_file(path, &p, &e), 0);
	assert_string_equal(p.source, path);
	assert_int_equal(p.window, 64);

	memset(&p, 0x5a, sizeof(p));
	before = p;
	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	write_file(path, bad, strlen(bad));
	assert_int_equal(policy_load_file(path, &p, &e), -1);
	assert_memory_equal(&p, &before, sizeof(p));
	policy_error_format(&e, msg, sizeof(msg));
	assert_string_equal(e.file, path);
	assert_int_equal(e.line, 3);
	assert_int_equal(e.column, 3);
	assert_non_null(strstr(msg, "bad.yaml:3:3: unknown key 'leave' in "
				    "thresholds"));

	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	assert_int_equal(policy_load_file(path, &p, &e), -1);
	assert_int_equal(e.line, 0);
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_memory_equal(&p, &before, sizeof(p));

	assert_int_equal(policy_load_file(tmpdir, &p, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));

	/*
	 * A FIFO with no writer: open(2) without O_NONBLOCK waits for one
	 * forever.  The alarm turns a hang into a failure.
	 */
	snprintf(path, sizeof(path), "%s/fifo.yaml", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(policy_load_file(path, &p, &e), -1);
	alarm(0);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_memory_equal(&p, &before, sizeof(p));

	/* Over 1 MiB of comments: refused before parsing. */
	big = malloc(1024 * 1024 + 2);
	assert_non_null(big);
	memset(big, '#', 1024 * 1024 + 1);
	big[1024 * 1024 + 1] = '\n';
	snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	write_file(path, big, 1024 * 1024 + 2);
	free(big);
	assert_int_equal(policy_load_file(path, &p, &e), -1);
	assert_non_null(strstr(e.msg, "too large"));

	/* An empty file is the defaults. */
	snprintf(path, sizeof(path), "%s/empty.yaml", tmpdir);
	write_file(path, "", 0);
	assert_int_equal(policy_load_file(path, &p, &e), 0);
	assert_int_equal(p.window, 10);
}

/*
 * The shipped example must load, and must say the same as the built-in
 * defaults (it documents them), apart from its one override.
 */
static void test_shipped_example(void **state)
{
	struct policy def, p;
	struct policy_error e;
	char msg[512];

	(void)state;
	policy_defaults(&def);
	if (policy_load_file("config/ptswitch.yaml", &p, &e)) {
		policy_error_format(&e, msg, sizeof(msg));
		fail_msg("%s (run from the repository root)", msg);
	}
	assert_int_equal(p.n_overrides, 1);
	assert_int_equal(p.overrides[0].match, MATCH_DOMID);
	assert_int_equal(p.overrides[0].domid, 0);
	assert_int_equal(p.overrides[0].kind, OVERRIDE_EXCLUDE);
	p.n_overrides = 0;
	memset(p.overrides, 0, sizeof(p.overrides));
	memset(p.source, 0, sizeof(p.source));
	snprintf(p.source, sizeof(p.source), "(built-in)");
	assert_memory_equal(&p, &def, sizeof(p));
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_too_many_overrides),
	    cmocka_unit_test(test_hostile_aliases),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_empty_is_defaults),
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_partial_file),
	    cmocka_unit_test(test_empty_sections),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_error_format),
	    cmocka_unit_test(test_scalars),
	    cmocka_unit_test_setup_teardown(test_load_file, tmp_setup,
					    tmp_teardown),
	    cmocka_unit_test(test_shipped_example),
	};
	enum {
		NE = sizeof(error_cases) / sizeof(error_cases[0]),
		NF = sizeof(fixed) / sizeof(fixed[0])
	};
	struct CMUnitTest tests[NE + NF];
	size_t i;

	for (i = 0; i < NE; i++) {
		tests[i] = (struct CMUnitTest){
		    .name = error_cases[i].name,
		    .test_func = test_error_case,
		    .initial_state = (void *)&error_cases[i],
		};
	}
	for (i = 0; i < NF; i++)
		tests[NE + i] = fixed[i];
	return _cmocka_run_group_tests("policy", tests, NE + NF, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the workload-trace parser, the simulation map and the sim
 * backend's counter model.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend.h"
#include "log.h"
#include "simmap.h"
#include "trace.h"

#define HDR "ptswitch-trace 1\n"
#define FIELDS                                                                 \
	"fields runs-1 runs-2-9 runs-10-49 runs-50-99 runs-100-511 runs-512 "  \
	"writes forks pgfault\n"

/* ---- helpers: a private temp dir with files written by the tests ---- */

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_sim.XXXXXX",
		 base && *base && strlen(base) < 200 ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text)
{
	static char path[4][320];
	static unsigned int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return p;
}

static int mkdir_p_sub(void)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/sub", tmpdir);
	return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

/* ---- trace parser ---- */

static void test_parse_ok(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "\n" HDR "name tiny\n" FIELDS "1 0 0 0 0 0 1 0 1\n"
	    "0 2 1 0 0 1\t530 3 7\n"
	    "  4 0 0 0 0 0 4 0 4  \n";
	struct trace t;
	struct trace_error err;

	(void)state;
	assert_int_equal(trace_parse(text, strlen(text), "x", &t, &err), 0);
	assert_string_equal(t.name, "tiny");
	assert_int_equal(t.n_metrics, 2);
	assert_string_equal(t.metric_name[0], "forks");
	assert_string_equal(t.metric_name[1], "pgfault");
	assert_int_equal(t.n_rows, 3);
	assert_int_equal(t.rows[1].runs[1], 2);
	assert_int_equal(t.rows[1].runs[5], 1);
	assert_int_equal(t.rows[1].writes, 530);
	assert_int_equal(t.rows[1].metric[0], 3);
	assert_int_equal(t.rows[1].metric[1], 7);
	/* Looping. */
	assert_ptr_equal(trace_row_at(&t, 4), &t.rows[1]);
	trace_free(&t);
}

static void test_parse_default_name(void **state)
{
	static const char text[] = HDR FIELDS "1 0 0 0 0 0 1 0 0\n";
	struct trace t;
	struct trace_error err;

	(void)state;
	assert_int_equal(
	    trace_parse(text, strlen(text), "dir/web.trace", &t, &err), 0);
	assert_string_equal(t.name, "web.trace");
	trace_free(&t);
}

struct bad_case {
	const char *text;
	unsigned int line;
	const char *msg; /* substring of the message */
};

static void test_parse_errors(void **state)
{
	static const struct bad_case cases[] = {
	    {"", 0, "empty"},
	    {"# only a comment\n", 0, "empty"},
	    {FIELDS, 1, "expected 'ptswitch-trace 1' first"},
	    {"ptswitch-trace 2\n", 1, "unsupported version"},
	    {"ptswitch-trace 1x\n", 1, "unsupported version"},
	    {HDR, 0, "no 'fields' line"},
	    {HDR FIELDS, 0, "no rows"},
	    {HDR "1 0 0 0 0 0 1\n", 2, "row before the 'fields' line"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0\n", 3, "8 values, expected 9"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0 0 0\n", 3, "10 values"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0 1a\n", 3, "value 9 '1a'"},
	    {HDR FIELDS "01 0 0 0 0 0 1 0 0\n", 3, "value 1 '01'"},
	    {HDR FIELDS "1 0 0 0 0 0 1 -1 0\n", 3, "value 8 '-1'"},
	    {HDR FIELDS "-1 0 0 0 0 0 1 0 0\n", 3, "bad time '-1'"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0 1000000001\n", 3, "value 9"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0 99999999999999999999999\n", 3,
	     "value 9"},
	    {HDR FIELDS "0 1 0 0 0 0 1 0 0\n", 3,
	     "writes 1 do not fit the runs (2..9)"},
	    {HDR FIELDS "0 1 0 0 0 0 10 0 0\n", 3, "do not fit"},
	    {HDR FIELDS "0 0 0 0 0 1 511 0 0\n", 3, "do not fit"},
	    {HDR "fields runs-1\n", 2, "needs the 7 run and write"},
	    {HDR "fields runs-2-9 runs-1 runs-10-49 runs-50-99 "
		 "runs-100-511 runs-512 writes\n",
	     2, "field 1 is 'runs-2-9', expected 'runs-1'"},
	    {HDR "fields runs-1 runs-2-9 runs-10-49 runs-50-99 "
		 "runs-100-511 runs-512 write\n",
	     2, "field 7 is 'write'"},
	    {HDR "fields runs-1 runs-2-9 runs-10-49 runs-50-99 "
		 "runs-100-511 runs-512 writes Forks\n",
	     2, "bad metric name 'Forks'"},
	    {HDR "fields runs-1 runs-2-9 runs-10-49 runs-50-99 "
		 "runs-100-511 runs-512 writes a b a\n",
	     2, "metric 'a' listed twice"},
	    {HDR FIELDS FIELDS, 3, "second 'fields' line"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0 0\n" FIELDS, 4,
	     "second 'fields' line"},
	    {HDR "name a\nname b\n", 3, "second 'name' line"},
	    {HDR "name Bad/Name\n", 2, "bad 'name' line"},
	    {HDR "bogus 1\n", 2, "unknown keyword 'bogus'"},
	    {HDR FIELDS "1 0 0 0 0 0 1 0 0\r\n", 3,
	     "control or non-ASCII byte 0x0d in column 18"},
	    {HDR FIELDS "# ok\n\n1 0 0 0 0 0 1 0 0\n1 0 0 0 0 0 2 0 0\n", 6,
	     "writes 2 do not fit"},
	};
	struct trace t;
	struct trace_error err;
	char buf[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = trace_parse(cases[i].text, strlen(cases[i].text), "bad",
				 &t, &err);
		trace_error_format(&err, buf, sizeof(buf));
		if (rc != -EINVAL || err.line != cases[i].line ||
		    !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: rc %d, got '%s', want line %u '%s'",
				 i, rc, buf, cases[i].line, cases[i].msg);
		assert_null(t.rows);
	}
}

static void test_parse_long_line(void **state)
{
	char text[2 * TRACE_MAX_LINE];
	struct trace t;
	struct trace_error err;
	char buf[512];

	(void)state;
	snprintf(text, sizeof(text), HDR "# %*s\n", TRACE_MAX_LINE, "x");
	assert_int_equal(trace_parse(text, strlen(text), "long", &t, &err),
			 -EINVAL);
	assert_int_equal(err.line, 2);
	trace_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "long:2: line longer than 1024 bytes");
	/* A NUL inside the buffer is a control byte, not an end. */
	memcpy(text, HDR FIELDS "1 0\0 0 0 0 1 0 0\n",
	       sizeof(HDR FIELDS "1 0\0 0 0 0 1 0 0\n"));
	assert_int_equal(
	    trace_parse(text, sizeof(HDR FIELDS "1 0\0 0 0 0 1 0 0\n") - 1,
			"nul", &t, &err),
	    -EINVAL);
	assert_int_equal(err.line, 3);
}

static void test_split_writes(void **state)
{
	static const uint64_t lo[] = {1, 2, 10, 50, 100, 512};
	static const uint64_t hi[] = {1, 9, 49, 99, 511, 512};
	struct trace_row r;
	uint64_t w[PT_HIST_BUCKETS], sum, span;
	unsigned int i, b, seed = 1;

	(void)state;
	for (i = 0; i < 2000; i++) {
		memset(&r, 0, sizeof(r));
		for (b = 0; b < PT_HIST_BUCKETS; b++)
			r.runs[b] = (uint64_t)(rand_r(&seed) % 4
						   ? 0
						   : rand_r(&seed) % 1000);
		span = trace_max_writes(r.runs) - trace_min_writes(r.runs);
		r.writes = trace_min_writes(r.runs) +
			   (span ? (uint64_t)rand_r(&seed) % (span + 1) : 0);
		trace_split_writes(&r, w);
		for (sum = 0, b = 0; b < PT_HIST_BUCKETS; b++) {
			assert_true(w[b] >= r.runs[b] * lo[b]);
			assert_true(w[b] <= r.runs[b] * hi[b]);
			sum += w[b];
		}
		assert_int_equal(sum, r.writes);
	}
}

/* The committed traces: found next to the sources. */
static const char *traces_dir(void)
{
	static char dir[PATH_MAX + 64];
	char exe[PATH_MAX], probe[PATH_MAX + 64], *slash;
	const char *env = getenv("PTSWITCH_SRCDIR");
	ssize_t n;
	int up;

	if (env) {
		snprintf(dir, sizeof(dir), "%s/tests/traces", env);
		return dir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return "tests/traces";
	exe[n] = '\0';
	for (up = 0; up < 6; up++) {
		slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/tests/traces/idle.trace",
			 exe);
		if (!access(probe, R_OK)) {
			snprintf(dir, sizeof(dir), "%s/tests/traces", exe);
			return dir;
		}
	}
	return "tests/traces";
}

static void test_committed_traces(void **state)
{
	static const char *const names[] = {
	    "idle",	  "webserver", "kernel-build",
	    "fork-heavy", "database",  "phase-change",
	};
	char path[PATH_MAX + 128], buf[PATH_MAX + 256];
	struct trace t;
	struct trace_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.trace", traces_dir(),
			 names[i]);
		if (trace_load(path, &t, &err)) {
			trace_error_format(&err, buf, sizeof(buf));
			fail_msg("%s", buf);
		}
		assert_string_equal(t.name, names[i]);
		assert_int_equal(t.n_rows, 300);
		assert_int_equal(t.n_metrics, 4);
		trace_free(&t);
	}
}

static void test_load_missing(void **state)
{
	struct trace t;
	struct trace_error err;
	char buf[512];

	(void)state;
	assert_int_equal(trace_load("/nonexistent/x.trace", &t, &err), -ENOENT);
	trace_error_format(&err, buf, sizeof(buf));
	assert_non_null(strstr(buf, "/nonexistent/x.trace: "));
}

/* ---- map files ---- */

static const char three_rows[] = HDR FIELDS "1 0 0 0 0 0 1 1 1\n"
					    "0 2 1 0 0 1 540 0 2\n"
					    "3 1 0 0 0 0 7 0 3\n";

static void test_map_ok(void **state)
{
	struct simmap m;
	struct trace_error err;
	const struct simmap_entry *e;
	char buf[512];

	(void)state;
	assert_int_equal(mkdir_p_sub(), 0);
	write_file("sub/three.trace", three_rows);
	write_file("map",
		   "# domains\n"
		   "7 sub/three.trace vcpus=4 optin=no ack=silent offset=2\n"
		   "\n"
		   "3 sub/three.trace caps=none fail=set-mode,get-mode\n"
		   "  5\tsub/three.trace optin=no caps=batch ack=refuse\n");
	if (simmap_load(write_file("map2", ""), &m, &err) != -EINVAL)
		fail_msg("empty map accepted");
	assert_string_equal(err.msg, "no domains");
	snprintf(buf, sizeof(buf), "%s/map", tmpdir);
	if (simmap_load(buf, &m, &err)) {
		trace_error_format(&err, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
	assert_int_equal(m.n, 3);
	assert_int_equal(m.n_traces, 1);   /* shared, loaded once */
	assert_int_equal(m.e[0].domid, 3); /* sorted */
	e = simmap_find(&m, 7);
	assert_non_null(e);
	assert_int_equal(e->vcpus, 4);
	assert_false(e->optin);
	assert_int_equal(e->caps, 0); /* follows optin by default */
	assert_int_equal(e->ack, SIMMAP_ACK_SILENT);
	assert_int_equal(e->offset, 2);
	assert_int_equal(e->line, 2);
	assert_int_equal(e->trace->n_rows, 3);
	e = simmap_find(&m, 3);
	assert_true(e->optin);
	assert_int_equal(e->caps, 0);
	assert_int_equal(e->fail, SIMMAP_FAIL_SET_MODE | SIMMAP_FAIL_GET_MODE);
	assert_int_equal(e->vcpus, 1);
	e = simmap_find(&m, 5);
	assert_int_equal(e->caps, PROTO_CAPS_BATCH);
	assert_int_equal(e->ack, SIMMAP_ACK_REFUSE);
	assert_null(simmap_find(&m, 4));
	simmap_free(&m);
}

static void test_map_errors(void **state)
{
	static const struct bad_case cases[] = {
	    {"1 t.trace\n1 t.trace\n", 2, "domid 1 already mapped on line 1"},
	    {"0 t.trace\n", 1, "domid must be"},
	    {"32752 t.trace\n", 1, "domid must be"},
	    {"x t.trace\n", 1, "domid must be"},
	    {"1\n", 1, "expected '<domid> <trace-file>"},
	    {"# c\n1 t.trace vcpus=0\n", 2, "vcpus must be"},
	    {"1 t.trace vcpus=513\n", 1, "vcpus must be"},
	    {"1 t.trace optin=maybe\n", 1, "optin must be"},
	    {"1 t.trace caps=all\n", 1, "caps must be"},
	    {"1 t.trace ack=later\n", 1, "ack must be"},
	    {"1 t.trace fail=set-mode,boot\n", 1, "fail= takes"},
	    {"1 t.trace fail=\n", 1, "fail= takes"},
	    {"1 t.trace offset=-1\n", 1, "offset must be"},
	    {"1 t.trace fail=set-mode errno=EAGAIN\n", 1, "errno must be"},
	    {"1 t.trace color=red\n", 1, "unknown option 'color'"},
	    {"1 t.trace vcpus\n", 1, "expected key=value"},
	    {"1 t.trace vcpus=1 vcpus=2\n", 1, "option 'vcpus' given twice"},
	    {"1 t.trace\n2 missing.trace\n", 2,
	     "trace missing.trace: No such file or directory"},
	};
	struct simmap m;
	struct trace_error err;
	char buf[512];
	size_t i;
	int rc;

	(void)state;
	write_file("t.trace", three_rows);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = simmap_load(write_file("badmap", cases[i].text), &m, &err);
		trace_error_format(&err, buf, sizeof(buf));
		if (!rc || err.line != cases[i].line ||
		    !strstr(buf, cases[i].msg))
			fail_msg("case %zu: rc %d, got '%s', want line %u '%s'",
				 i, rc, buf, cases[i].line, cases[i].msg);
		assert_int_equal(m.n, 0);
	}
}

static void test_map_bad_trace(void **state)
{
	struct simmap m;
	struct trace_error err;
	char buf[512];

	(void)state;
	write_file("broken.trace", HDR FIELDS "1 0 0 0 0 0 1 0 0\n"
					      "1 0 0 0 0 0 1 0\n");
	assert_int_equal(
	    simmap_load(write_file("bmap", "1 broken.trace\n"), &m, &err),
	    -EINVAL);
	trace_error_format(&err, buf, sizeof(buf));
	/* The trace's own file and line, not the map's. */
	assert_non_null(strstr(buf, "broken.trace:4: 8 values, expected 9"));
}

/* ---- the backend ---- */

/* Each test starts a fresh "hypervisor": no modes saved by an earlier one. */
static void open_backend(struct backend *be, const char *map_text)
{
	char state[320];

	memset(be, 0, sizeof(*be));
	be->ops = &backend_sim_ops;
	write_file("t.trace", three_rows);
	snprintf(state, sizeof(state), "%s/bemap.state", tmpdir);
	unlink(state);
	assert_int_equal(be->ops->open(be, write_file("bemap", map_text)), 0);
	assert_true(be->can_switch);
}

/* Modes outlive the daemon, as they would in the hypervisor. */
static void test_modes_persist(void **state)
{
	struct backend be;
	enum pt_mode mode;

	(void)state;
	open_backend(&be, "1 t.trace\n2 t.trace\n3 t.trace optin=no\n");
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_BATCH), 0);
	assert_int_equal(be.ops->set_mode(&be, 3, PT_MODE_BATCH), -EPERM);
	be.ops->close(&be);
	memset(&be, 0, sizeof(be));
	be.ops = &backend_sim_ops;
	assert_int_equal(
	    be.ops->open(&be, write_file("bemap",
					 "1 t.trace\n"
					 "2 t.trace\n3 t.trace optin=no\n")),
	    0);
	assert_int_equal(be.ops->get_mode(&be, 1, &mode), 0);
	assert_int_equal(mode, PT_MODE_BATCH);
	assert_int_equal(be.ops->get_mode(&be, 2, &mode), 0);
	assert_int_equal(mode, PT_MODE_EMULATE);
	assert_int_equal(be.ops->get_mode(&be, 3, &mode), 0);
	assert_int_equal(mode, PT_MODE_EMULATE);
	be.ops->close(&be);
}

static void sum_rows(const struct trace *t, uint64_t first, uint64_t n,
		     struct trace_row *sum)
{
	const struct trace_row *r;
	uint64_t i;
	unsigned int b;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		r = trace_row_at(t, first + i);
		for (b = 0; b < PT_HIST_BUCKETS; b++)
			sum->runs[b] += r->runs[b];
		sum->writes += r->writes;
	}
}

static uint64_t total(const uint64_t *v, unsigned int n)
{
	uint64_t s = 0;

	while (n--)
		s += v[n];
	return s;
}

static void test_backend_lookup(void **state)
{
	(void)state;
	assert_ptr_equal(backend_lookup("sim"), &backend_sim_ops);
	assert_null(backend_lookup("nope"));
	assert_null(backend_lookup(NULL));
	/* xenctrl: present or not depending on the build; must not crash. */
	(void)backend_lookup("xenctrl");
}

static void test_open_errors(void **state)
{
	struct backend be = {.ops = &backend_sim_ops};

	(void)state;
	assert_int_equal(be.ops->open(&be, NULL), -EINVAL);
	assert_int_equal(be.ops->open(&be, ""), -EINVAL);
	assert_int_equal(be.ops->open(&be, "/nonexistent/map"), -ENOENT);
	assert_null(be.priv);
}

static void test_unknown_domain(void **state)
{
	struct backend be;
	struct pt_stats st;
	struct backend_dominfo info;
	enum pt_mode mode;

	(void)state;
	open_backend(&be, "1 t.trace\n");
	assert_int_equal(be.ops->get_mode(&be, 2, &mode), -ESRCH);
	assert_int_equal(be.ops->set_mode(&be, 2, PT_MODE_BATCH), -ESRCH);
	assert_int_equal(be.ops->set_mode(&be, 0, PT_MODE_EMULATE), -ESRCH);
	assert_int_equal(be.ops->get_stats(&be, 2, &st), -ESRCH);
	assert_int_equal(be.ops->get_info(&be, 2, &info), -ESRCH);
	assert_int_equal(be.ops->get_info(&be, 1, &info), 0);
	assert_int_equal(info.vcpus, 1);
	assert_true(info.opted_in);
	assert_int_equal(be.ops->set_mode(&be, 1, (enum pt_mode)7), -EINVAL);
	be.ops->close(&be);
}

static void test_emulate_counters(void **state)
{
	struct backend be;
	struct pt_stats st;
	struct trace_row sum;
	enum pt_mode mode;
	struct sim_check {
		unsigned int domid;
		uint64_t offset;
	} doms[] = {{1, 0}, {2, 2}};
	unsigned int i, b, ticks = 7;
	struct trace t;
	struct trace_error err;

	(void)state;
	open_backend(&be, "1 t.trace\n2 t.trace offset=2 vcpus=8\n");
	assert_int_equal(be.ops->get_mode(&be, 1, &mode), 0);
	assert_int_equal(mode, PT_MODE_EMULATE);
	assert_int_equal(be.ops->get_stats(&be, 1, &st), 0);
	assert_int_equal(st.emulated_writes, 0);
	for (i = 0; i < ticks; i++)
		be.ops->tick(&be);
	assert_int_equal(
	    trace_load(write_file("t.trace", three_rows), &t, &err), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(be.ops->get_stats(&be, doms[i].domid, &st), 0);
		/* 7 ticks over 3 rows: the trace loops. */
		sum_rows(&t, doms[i].offset, ticks, &sum);
		assert_int_equal(st.emulated_writes, sum.writes);
		for (b = 0; b < PT_HIST_BUCKETS; b++)
			assert_int_equal(st.emul_runs[b], sum.runs[b]);
		assert_int_equal(st.batches, 0);
		assert_int_equal(st.batch_ptes, 0);
		assert_int_equal(total(st.flush_reason, PT_FLUSH_REASONS), 0);
		assert_int_equal(st.spurious_faults, 0);
		assert_int_equal(st.unhook_refused, 0);
	}
	/* Row sums of the three-row trace, by hand: 1+540+7 twice, +1. */
	assert_int_equal(be.ops->get_stats(&be, 1, &st), 0);
	assert_int_equal(st.emulated_writes, 2 * (1 + 540 + 7) + 1);
	trace_free(&t);
	be.ops->close(&be);
}

/* A trace with many runs so that the noise has room. */
static const char busy[] = HDR FIELDS "4000 3000 2000 300 200 100 200000 0 0\n"
				      "1000 1000 1000 100 100 50 100000 0 0\n";

static void batch_run(unsigned int vcpus, struct pt_stats *out,
		      struct pt_stats *before)
{
	struct backend be;
	char map[128];
	unsigned int i;

	write_file("busy.trace", busy);
	snprintf(map, sizeof(map), "9 busy.trace vcpus=%u\n", vcpus);
	open_backend(&be, map);
	be.ops->tick(&be);
	assert_int_equal(be.ops->get_stats(&be, 9, before), 0);
	assert_int_equal(be.ops->set_mode(&be, 9, PT_MODE_BATCH), 0);
	for (i = 0; i < 20; i++)
		be.ops->tick(&be);
	assert_int_equal(be.ops->get_stats(&be, 9, out), 0);
	be.ops->close(&be);
}

static void check_batch_invariants(const struct pt_stats *st,
				   const struct pt_stats *before)
{
	uint64_t runs = 10 * (9600 + 3250), writes = 10 * 300000;
	uint64_t refused = st->unhook_refused;
	unsigned int b;

	/* Every run is either one batch or one refused, emulated run. */
	assert_int_equal(st->batches + refused, runs);
	assert_int_equal(total(st->batch_hist, PT_HIST_BUCKETS), st->batches);
	assert_int_equal(total(st->flush_reason, PT_FLUSH_REASONS),
			 st->batches);
	assert_int_equal(st->flush_reason[PT_FLUSH_MODE], 0);
	assert_int_equal(st->batch_ptes + st->emulated_writes -
			     before->emulated_writes,
			 writes);
	assert_int_equal(total(st->emul_runs, PT_HIST_BUCKETS) -
			     total(before->emul_runs, PT_HIST_BUCKETS),
			 refused);
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		assert_true(st->emul_runs[b] >= before->emul_runs[b]);
	for (b = 0; b < PT_FLUSH_REASONS - 1; b++)
		assert_true(st->flush_reason[b] > 0);
	/* The explicit flush is the most common reason. */
	for (b = 1; b < PT_FLUSH_REASONS; b++)
		assert_true(st->flush_reason[PT_FLUSH_EXPLICIT] >
			    st->flush_reason[b]);
	assert_int_equal(st->revalidation_failures, 0);
}

static void test_batch_counters_up(void **state)
{
	struct pt_stats st, before;
	uint64_t runs = 10 * (9600 + 3250);

	(void)state;
	batch_run(1, &st, &before);
	check_batch_invariants(&st, &before);
	/* One vCPU: no spurious faults; about 1 % of unhooks refused. */
	assert_int_equal(st.spurious_faults, 0);
	assert_true(st.unhook_refused > runs / 200);
	assert_true(st.unhook_refused < runs / 50);
}

static void test_batch_counters_smp(void **state)
{
	struct pt_stats st, before, up, up_before;

	(void)state;
	batch_run(4, &st, &before);
	check_batch_invariants(&st, &before);
	batch_run(1, &up, &up_before);
	/* 9 % of batches take a spurious fault with 4 vCPUs. */
	assert_true(st.spurious_faults > st.batches / 20);
	assert_true(st.spurious_faults < st.batches / 5);
	assert_true(st.unhook_refused > up.unhook_refused);
	assert_true(st.flush_reason[PT_FLUSH_FAULT] * up.batches >
		    up.flush_reason[PT_FLUSH_FAULT] * st.batches);
}

static void test_optin_refusal(void **state)
{
	struct backend be;
	struct pt_stats st;
	enum pt_mode mode;

	(void)state;
	open_backend(&be, "4 t.trace optin=no\n");
	assert_int_equal(be.ops->set_mode(&be, 4, PT_MODE_BATCH), -EPERM);
	assert_int_equal(be.ops->get_mode(&be, 4, &mode), 0);
	assert_int_equal(mode, PT_MODE_EMULATE);
	assert_int_equal(be.ops->set_mode(&be, 4, PT_MODE_EMULATE), 0);
	be.ops->tick(&be);
	assert_int_equal(be.ops->get_stats(&be, 4, &st), 0);
	assert_int_equal(st.batches, 0);
	assert_int_equal(st.emulated_writes, 1);
	be.ops->close(&be);
}

static void test_fail_injection(void **state)
{
	struct backend be;
	struct pt_stats st;
	enum pt_mode mode;

	(void)state;
	open_backend(&be, "1 t.trace fail=set-mode\n"
			  "2 t.trace fail=get-stats,get-mode\n");
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_BATCH), -EIO);
	assert_int_equal(be.ops->get_mode(&be, 1, &mode), 0);
	assert_int_equal(mode, PT_MODE_EMULATE);
	assert_int_equal(be.ops->get_stats(&be, 1, &st), 0);
	assert_int_equal(be.ops->get_stats(&be, 2, &st), -EIO);
	assert_int_equal(be.ops->get_mode(&be, 2, &mode), -EIO);
	assert_int_equal(be.ops->set_mode(&be, 2, PT_MODE_BATCH), 0);
	be.ops->close(&be);

	/* One direction only: the guest stays in the mode it was in. */
	open_backend(&be, "3 t.trace fail=set-emulate\n"
			  "4 t.trace fail=set-batch\n");
	assert_int_equal(be.ops->set_mode(&be, 3, PT_MODE_BATCH), 0);
	assert_int_equal(be.ops->set_mode(&be, 3, PT_MODE_EMULATE), -EIO);
	assert_int_equal(be.ops->get_mode(&be, 3, &mode), 0);
	assert_int_equal(mode, PT_MODE_BATCH);
	assert_int_equal(be.ops->set_mode(&be, 4, PT_MODE_BATCH), -EIO);
	assert_int_equal(be.ops->get_mode(&be, 4, &mode), 0);
	assert_int_equal(mode, PT_MODE_EMULATE);
	assert_int_equal(be.ops->set_mode(&be, 4, PT_MODE_EMULATE), 0);
	be.ops->close(&be);

	/* Any errno the domctl returns. */
	open_backend(&be, "5 t.trace fail=set-batch errno=EINVAL\n"
			  "6 t.trace fail=set-emulate errno=EBUSY\n"
			  "7 t.trace fail=get-stats errno=ENOSYS\n"
			  "8 t.trace fail=set-mode errno=EPERM\n");
	assert_int_equal(be.ops->set_mode(&be, 5, PT_MODE_BATCH), -EINVAL);
	assert_int_equal(be.ops->set_mode(&be, 6, PT_MODE_BATCH), 0);
	assert_int_equal(be.ops->set_mode(&be, 6, PT_MODE_EMULATE), -EBUSY);
	assert_int_equal(be.ops->get_stats(&be, 7, &st), -ENOSYS);
	assert_int_equal(be.ops->set_mode(&be, 8, PT_MODE_BATCH), -EPERM);
	be.ops->close(&be);
}

static void test_switch_flushes(void **state)
{
	struct backend be;
	struct pt_stats a, b;

	(void)state;
	open_backend(&be, "1 t.trace\n");
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_BATCH), 0);
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_BATCH), 0);
	/* Nothing batched yet: leaving BATCH flushes nothing. */
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_EMULATE), 0);
	assert_int_equal(be.ops->get_stats(&be, 1, &a), 0);
	assert_int_equal(a.batches, 0);
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_BATCH), 0);
	be.ops->tick(&be); /* row 0: one run of 1 */
	be.ops->tick(&be); /* row 1: 4 runs */
	assert_int_equal(be.ops->get_stats(&be, 1, &a), 0);
	assert_int_equal(a.batches + a.unhook_refused, 5);
	assert_int_equal(be.ops->set_mode(&be, 1, PT_MODE_EMULATE), 0);
	assert_int_equal(be.ops->get_stats(&be, 1, &b), 0);
	if (a.batches) {
		/* The batch open at the switch is flushed by it. */
		assert_int_equal(b.flush_reason[PT_FLUSH_MODE], 1);
		assert_int_equal(b.batches, a.batches + 1);
	}
	be.ops->tick(&be); /* row 2, emulated: 4 runs, 7 writes */
	assert_int_equal(be.ops->get_stats(&be, 1, &a), 0);
	assert_int_equal(a.emulated_writes, b.emulated_writes + 7);
	assert_int_equal(a.batches, b.batches);
	be.ops->close(&be);
}

static void run_sequence(struct pt_stats st[3])
{
	struct backend be;
	unsigned int i;

	write_file("busy.trace", busy);
	open_backend(&be, "1 busy.trace vcpus=2\n2 busy.trace vcpus=2\n"
			  "3 busy.trace vcpus=2\n");
	for (i = 0; i < 30; i++) {
		if (i == 3) {
			assert_int_equal(
			    be.ops->set_mode(&be, 1, PT_MODE_BATCH), 0);
			assert_int_equal(
			    be.ops->set_mode(&be, 2, PT_MODE_BATCH), 0);
		}
		if (i == 20)
			assert_int_equal(
			    be.ops->set_mode(&be, 2, PT_MODE_EMULATE), 0);
		be.ops->tick(&be);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(be.ops->get_stats(&be, i + 1, &st[i]), 0);
	be.ops->close(&be);
}

static void test_determinism(void **state)
{
	struct pt_stats a[3], b[3];

	(void)state;
	run_sequence(a);
	run_sequence(b);
	assert_memory_equal(a, b, sizeof(a));
	/* Seeded by domid: two domains on one trace differ in the noise. */
	assert_true(a[0].batches > 0);
	assert_memory_not_equal(a[0].flush_reason, a[1].flush_reason,
				sizeof(a[0].flush_reason));
}

static int quiet(void **state)
{
	(void)state;
	log_init("test_sim", false);
	return make_tmpdir(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_default_name),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_long_line),
	    cmocka_unit_test(test_split_writes),
	    cmocka_unit_test(test_committed_traces),
	    cmocka_unit_test(test_load_missing),
	    cmocka_unit_test(test_map_ok),
	    cmocka_unit_test(test_map_errors),
	    cmocka_unit_test(test_map_bad_trace),
	    cmocka_unit_test(test_backend_lookup),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_modes_persist),
	    cmocka_unit_test(test_unknown_domain),
	    cmocka_unit_test(test_emulate_counters),
	    cmocka_unit_test(test_batch_counters_up),
	    cmocka_unit_test(test_batch_counters_smp),
	    cmocka_unit_test(test_optin_refusal),
	    cmocka_unit_test(test_fail_injection),
	    cmocka_unit_test(test_switch_flushes),
	    cmocka_unit_test(test_determinism),
	};

	return cmocka_run_group_tests(tests, quiet, remove_tmpdir);
}

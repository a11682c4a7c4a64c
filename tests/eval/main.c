/*
 * ptswitch-eval: how well the policy picks the cheaper mode per guest.
 *
 * Each trace is replayed through the daemon's engine and switch state
 * machine (replay.h) for a guest-hour by default, the realised schedule
 * is scored with the policy's cost model (rowcost.h), and compared with
 * the offline oracle (oracle.h) and with staying in EMULATE or in BATCH
 * throughout.  The cycle costs are the policy's: pass a calibrated policy
 * file with --config.  tests/eval/README.md explains the method.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "log.h"
#include "oracle.h"
#include "policy.h"
#include "policy_scalar.h"
#include "replay.h"
#include "rowcost.h"
#include "trace.h"

/* Targets of the evaluation (issue: policy quality). */
#define TARGET_VS_ORACLE 0.03 /* at most 3 % above the oracle */
#define TARGET_SWITCHES_H 2.0 /* per guest-hour on stationary traces */

struct opts {
	const char *config;
	const char *calibration;
	char calib_keys[128];
	uint64_t duration_ms;
	unsigned int vcpus;
	bool check;
	bool schedule;
	bool decisions;
	const char *steady; /* comma-separated trace names, or NULL */
};

struct outcome {
	double policy, oracle, emulate, batch; /* cycles */
	double react; /* the oracle's schedule, followed as fast as possible */
	unsigned int sw_policy, sw_oracle;
	double hours;
	bool stationary, ok_oracle, ok_static, ok_rate;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ptswitch-eval [--config FILE] [--calibration FILE] "
		"[--duration 1h]\n"
		"                     [--vcpus N] [--check] [--steady "
		"NAME,...] [--schedule]\n"
		"                     [--decisions] TRACE...\n"
		"  --config FILE  policy (thresholds and cycle costs); "
		"default: built-in\n"
		"  --calibration FILE  cycle costs measured by the pvguest "
		"benchmark\n"
		"                 (docs/calibration.md) replace the "
		"policy's\n"
		"  --duration D   guest time replayed per trace (the trace "
		"loops); default 1h\n"
		"  --vcpus N      the guest's vCPUs (spurious faults, refused "
		"unhooks); default 1\n"
		"  --check        exit 1 when a target is missed\n"
		"  --steady LIST  these traces (by name) are stationary "
		"whatever the oracle does\n"
		"  --schedule     print the policy's, the oracle's and vs-react's "
		"schedules (one char per interval)\n"
		"  --decisions    print every engine decision\n"
		"columns: the policy's modeled cost (Mcyc/s), then the "
		"policy against\n"
		"  the oracle, the oracle's schedule followed as fast as the "
		"replay\n"
		"  lets a policy react (vs-react), always EMULATE and always "
		"BATCH\n"
		"  (negative: the policy is cheaper); switches per "
		"guest-hour of the\n"
		"  policy and of the oracle; steady or phased (see "
		"--steady).\n");
}

static double pct(double a, double b)
{
	if (b == 0.0)
		return a == 0.0 ? 0.0 : INFINITY;
	return (a / b - 1.0) * 100.0;
}

static void print_schedule(const char *who, const enum pt_mode *s, size_t n)
{
	size_t i;

	printf("  %-7s ", who);
	for (i = 0; i < n; i++) {
		putchar(s[i] == PT_MODE_BATCH ? 'B' : '.');
		if (i % 100 == 99 && i + 1 < n)
			printf("\n          ");
	}
	putchar('\n');
}

static bool name_listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *end = strchrnul(p, ',');

		if ((size_t)(end - p) == len && !strncmp(p, name, len))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static int evaluate(const struct policy *p, const struct opts *o,
		    const struct trace *t, struct outcome *out)
{
	size_t n = o->duration_ms / p->interval_ms, i;
	double *ce = calloc(n, sizeof(*ce)), *cb = calloc(n, sizeof(*cb));
	enum pt_mode *ps = calloc(n, sizeof(*ps)), *os = calloc(n, sizeof(*os));
	enum pt_mode *rs = calloc(n, sizeof(*rs));
	struct replay_guest rg = {
	    .trace = t,
	    .n = n,
	    .vcpus = o->vcpus,
	    .domid = 1,
	    .log = o->decisions ? stdout : NULL,
	};
	struct oracle_problem pb = {
	    .cost = {ce, cb},
	    .n = n,
	    .dwell = (unsigned int)((p->min_dwell_ms + p->interval_ms - 1) /
				    p->interval_ms),
	    .switch_cost = p->cost.mode_switch,
	    .start = PT_MODE_EMULATE,
	};
	struct replay_result rr;
	struct oracle_result orr;
	double best_static;
	int rc = -ENOMEM;

	if (!n) {
		rc = -EINVAL;
		goto out;
	}
	if (!ce || !cb || !ps || !os || !rs)
		goto out;
	rowcost_fill(&p->cost, o->vcpus, t, n, ce, cb);
	rc = replay_policy(p, &rg, ps, &rr);
	if (!rc)
		rc = oracle_solve(&pb, os, &orr);
	if (rc)
		goto out;
	out->policy = oracle_schedule_cost(&pb, ps, &out->sw_policy);
	out->oracle = orr.cost;
	out->sw_oracle = orr.switches;
	oracle_react(os, rs, n, REPLAY_ENTER_LAG, REPLAY_LEAVE_LAG, pb.dwell);
	out->react = oracle_schedule_cost(&pb, rs, NULL);
	out->emulate = out->batch = 0.0;
	for (i = 0; i < n; i++) {
		out->emulate += ce[i];
		out->batch += cb[i];
	}
	/* Staying in BATCH means switching into it once, before the start. */
	out->batch += p->cost.mode_switch;
	out->hours = (double)n * (double)p->interval_ms / 3600000.0;
	/*
	 * Stationary: the best schedule itself does not change its mind
	 * (it switches at most the target rate), or the user says so (an
	 * oracle that knows the noise in advance switches on a stationary
	 * random mix).  The switch-rate target applies to those only.
	 */
	out->stationary = out->sw_oracle <= TARGET_SWITCHES_H * out->hours ||
			  name_listed(o->steady, t->name);
	best_static = fmin(out->emulate, out->batch);
	out->ok_oracle = out->policy <= out->oracle * (1.0 + TARGET_VS_ORACLE);
	out->ok_static = out->policy <= best_static * (1.0 + 1e-12);
	out->ok_rate = !out->stationary ||
		       out->sw_policy <= TARGET_SWITCHES_H * out->hours;
	if (o->schedule) {
		printf("%s (B = batch, . = emulate)\n", t->name);
		print_schedule("policy", ps, n);
		print_schedule("oracle", os, n);
		print_schedule("react", rs, n);
	}
out:
	free(ce);
	free(cb);
	free(ps);
	free(os);
	free(rs);
	return rc;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"calibration", required_argument, NULL, 'C'},
	    {"duration", required_argument, NULL, 'd'},
	    {"vcpus", required_argument, NULL, 'v'},
	    {"check", no_argument, NULL, 'k'},
	    {"schedule", no_argument, NULL, 's'},
	    {"decisions", no_argument, NULL, 'D'},
	    {"steady", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	*o = (struct opts){.duration_ms = 3600000, .vcpus = 1};
	while ((c = getopt_long(argc, argv, "c:C:d:v:ksh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->calibration = optarg;
			break;
		case 'd':
			if (scalar_duration_ms(optarg, &o->duration_ms) ||
			    !o->duration_ms) {
				fprintf(stderr, "bad --duration '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'v':
			if (scalar_uint(optarg, &v) || !v || v > 4096) {
				fprintf(stderr, "bad --vcpus '%s'\n", optarg);
				return -1;
			}
			o->vcpus = (unsigned int)v;
			break;
		case 'k':
			o->check = true;
			break;
		case 's':
			o->schedule = true;
			break;
		case 'D':
			o->decisions = true;
			break;
		case 'S':
			o->steady = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int load_policy(struct opts *o, struct policy *p)
{
	struct policy_error err;
	char msg[600];

	policy_defaults(p);
	if (o->config && policy_load_file(o->config, p, &err)) {
		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	if (o->calibration &&
	    calib_apply_file(o->calibration, &p->cost, msg, sizeof(msg),
			     o->calib_keys, sizeof(o->calib_keys))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	return 0;
}

static void print_header(const struct policy *p, const struct opts *o)
{
	char dwell[32], dur[32], per[32];

	scalar_format_duration(p->min_dwell_ms, dwell, sizeof(dwell));
	scalar_format_duration(o->duration_ms, dur, sizeof(dur));
	scalar_format_duration(p->rate_period_ms, per, sizeof(per));
	printf("policy %s: window %u x %llums, enter %.2f leave %.2f, "
	       "noise-margin %.1f,\n  dwell %s, rate-limit %u per %s, "
	       "min-write-rate %.0f/s\n",
	       p->source, p->window, (unsigned long long)p->interval_ms,
	       p->enter_saving, p->leave_saving, p->noise_margin, dwell,
	       p->max_switches, per, p->min_write_rate);
	printf("costs (cycles): emulated-write %g, batch %g, batch-entry %g, "
	       "spurious-fault %g, mode-switch %g\n",
	       p->cost.emulated_write, p->cost.batch, p->cost.batch_entry,
	       p->cost.spurious_fault, p->cost.mode_switch);
	if (o->calibration)
		printf("  measured (%s) from %s; the rest from the policy\n",
		       o->calib_keys[0] ? o->calib_keys : "none",
		       o->calibration);
	else
		printf("  from the policy (placeholders unless it was "
		       "calibrated)\n");
	printf("each trace replayed for %s of guest time, %u vCPU(s); "
	       "every cost is modeled\nfrom the counters of the trace\n\n",
	       dur, o->vcpus);
	printf("%-14s %9s %9s %9s %9s %9s %7s %7s %8s  %s\n", "trace", "Mcyc/s",
	       "vs-oracle", "vs-react", "vs-emul", "vs-batch", "sw/h",
	       "orc-sw/h", "class", "targets");
}

static void print_row(const char *name, const struct outcome *r)
{
	double secs = r->hours * 3600.0;

	printf("%-14s %9.2f %+8.2f%% %+8.2f%% %+8.2f%% %+8.2f%% %7.1f %7.1f "
	       "%8s  %s%s%s%s\n",
	       name, r->policy / secs / 1e6, pct(r->policy, r->oracle),
	       pct(r->policy, r->react), pct(r->policy, r->emulate),
	       pct(r->policy, r->batch), r->sw_policy / r->hours,
	       r->sw_oracle / r->hours, r->stationary ? "steady" : "phased",
	       r->ok_oracle && r->ok_static && r->ok_rate ? "ok" : "MISSED:",
	       r->ok_oracle ? "" : " oracle", r->ok_static ? "" : " static",
	       r->ok_rate ? "" : " switches");
}

int main(int argc, char **argv)
{
	unsigned int n = 0, ok_oracle = 0, ok_static = 0, ok_rate = 0,
		     n_steady = 0;
	double worst = -INFINITY;
	const char *worst_name = "";
	struct policy p;
	struct opts o;
	int i, failed = 0;

	log_init("ptswitch-eval", false);
	if (parse_opts(argc, argv, &o) || load_policy(&o, &p))
		return 2;
	if (o.duration_ms < p.interval_ms) {
		fprintf(stderr, "--duration is shorter than one interval\n");
		return 2;
	}
	print_header(&p, &o);
	for (i = optind; i < argc; i++) {
		struct trace_error terr;
		struct outcome r;
		struct trace t;
		char msg[600];
		int rc;

		if (trace_load(argv[i], &t, &terr)) {
			trace_error_format(&terr, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
			failed = 1;
			continue;
		}
		rc = evaluate(&p, &o, &t, &r);
		if (rc) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-rc));
			failed = 1;
		} else {
			print_row(t.name, &r);
			n++;
			ok_oracle += r.ok_oracle;
			ok_static += r.ok_static;
			n_steady += r.stationary;
			ok_rate += r.stationary && r.ok_rate;
			if (pct(r.policy, r.oracle) > worst) {
				worst = pct(r.policy, r.oracle);
				worst_name = argv[i];
			}
		}
		trace_free(&t);
	}
	if (!n)
		return 2;
	printf("\nsummary: %u traces; within %.0f%% of the oracle: %u/%u "
	       "(worst %+.2f%%, %s); never worse than the better static "
	       "mode: %u/%u; at most %.0f switches/h on steady traces: "
	       "%u/%u\n",
	       n, TARGET_VS_ORACLE * 100, ok_oracle, n, worst, worst_name,
	       ok_static, n, TARGET_SWITCHES_H, ok_rate, n_steady);
	if (failed)
		return 2;
	if (o.check && (ok_oracle < n || ok_static < n || ok_rate < n_steady))
		return 1;
	return 0;
}

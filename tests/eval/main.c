/* SPDX-License-Identifier: MIT */
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

#include "bound.h"
#include "calib.h"
#include "excess.h"
#include "log.h"
#include "oracle.h"
#include "policy.h"
#include "policy_scalar.h"
#include "replay.h"
#include "rowcost.h"
#include "trace.h"

/* Targets of the evaluation (issue 18). */
#define TARGET_VS_REACT 0.03	  /* most traces at most 3 % above vs-react */
#define TARGET_VS_REACT_SHARE 0.9 /* ... at least this share of them */
#define TARGET_VS_REACT_ALL 0.10  /* and every one within 10 % */
#define TARGET_SWITCHES_H 2.0	  /* per guest-hour on stationary traces */
#define MAX_CLASSES 32

struct opts {
	const char *config;
	const char *calibration;
	char calib_keys[128];
	uint64_t duration_ms;
	uint64_t interval_ms; /* 0: the policy's */
	unsigned int vcpus;
	bool check;
	bool check_bound;
	double bound_ratio; /* the rule's competitive ratio (3) */
	bool schedule;
	bool decisions;
	const char *steady; /* comma-separated trace names, or NULL */
};

struct outcome {
	double policy, oracle, emulate, batch; /* cycles */
	double react; /* the oracle's schedule, followed as fast as possible */
	double bound; /* the rule's worst-case bound (docs/policy.md) */
	double startup; /* one window's start-up cost */
	unsigned int sw_policy, sw_oracle;
	uint64_t rejected; /* counter faults the engine rejected */
	double hours;
	/* policy - react, by reason, in % of react (excess.h) */
	double why[REPLAY_WHY_N], why_switches;
	bool stationary, ok_bound, ok_react, ok_react_all, ok_static, ok_rate;
};

/* Per-class tallies: the class is a trace's name up to its first '.'. */
struct class_sum {
	char name[32];
	unsigned int n, ok_bound, ok_react, ok_react_all, ok_static, n_steady,
	    ok_rate;
	double worst_react;
	/* the outcomes' why, summed over the traces that missed a target */
	double why[REPLAY_WHY_N], why_switches;
	unsigned int n_missed;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
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
	    "  --interval D   sample at this interval instead of the "
	    "policy's\n"
	    "  --vcpus N      the guest's vCPUs (spurious faults, refused "
	    "unhooks); default 1\n"
	    "  --check        exit 1 when a target is missed\n"
	    "  --steady LIST  these traces (by name or class) are "
	    "stationary whatever\n"
	    "                 the oracle does\n"
	    "traces of the class 'faults' are replayed with counter faults "
	    "(resets,\n"
	    "  wraps, a bogus jump, missed readings)\n"
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

/* A trace's class: its name up to the first '.', or all of it. */
static void class_of(const char *name, char *out, size_t size)
{
	size_t n = strcspn(name, ".");

	if (n >= size)
		n = size - 1;
	memcpy(out, name, n);
	out[n] = '\0';
}

static bool name_listed(const char *list, const char *name)
{
	char cls[32];
	size_t len = strlen(name), clen;
	const char *p = list;

	class_of(name, cls, sizeof(cls));
	clen = strlen(cls);
	while (p && *p) {
		const char *end = strchrnul(p, ',');

		if ((size_t)(end - p) == len && !strncmp(p, name, len))
			return true;
		if ((size_t)(end - p) == clen && !strncmp(p, cls, clen))
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
	unsigned char *why = calloc(n, sizeof(*why));
	char cls[32];
	struct replay_guest rg = {
	    .trace = t,
	    .n = n,
	    .vcpus = o->vcpus,
	    .domid = 1,
	    .log = o->decisions ? stdout : NULL,
	    .why = why,
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
	struct excess ex;
	double best_static;
	size_t w;
	int rc = -ENOMEM;

	class_of(t->name, cls, sizeof(cls));
	rg.counter_faults = !strcmp(cls, "faults");
	if (!n) {
		rc = -EINVAL;
		goto out;
	}
	if (!ce || !cb || !ps || !os || !rs || !why)
		goto out;
	rowcost_fill(&p->cost, o->vcpus, t, n, p->interval_ms, ce, cb);
	rc = replay_policy(p, &rg, ps, &rr);
	if (!rc)
		rc = oracle_solve(&pb, os, &orr);
	if (rc)
		goto out;
	out->policy = oracle_schedule_cost(&pb, ps, &out->sw_policy);
	out->oracle = orr.cost;
	out->sw_oracle = orr.switches;
	out->rejected = rr.rejected;
	rc = bound_of(&pb, ps, &rr, o->bound_ratio, &out->bound);
	if (rc)
		goto out;
	oracle_react(os, rs, n, REPLAY_ENTER_LAG, REPLAY_LEAVE_LAG, pb.dwell);
	out->react = oracle_schedule_cost(&pb, rs, NULL);
	excess_of(&pb, ps, rs, why, &ex);
	for (i = 0; i < REPLAY_WHY_N; i++)
		out->why[i] = pct(out->react + ex.by_reason[i], out->react);
	out->why_switches = pct(out->react + ex.switches, out->react);
	out->emulate = out->batch = 0.0;
	for (i = 0; i < n; i++) {
		out->emulate += ce[i];
		out->batch += cb[i];
	}
	/* Staying in BATCH means switching into it once, before the start. */
	out->batch += p->cost.mode_switch;
	/*
	 * One window's start-up cost: a window (and the handshake) spent in
	 * the wrong mode at the start, and a switch.
	 */
	w = (size_t)((p->window * 1000ull + p->interval_ms - 1) /
		     p->interval_ms) +
	    REPLAY_ENTER_LAG;
	out->startup = p->cost.mode_switch;
	for (i = 0; i < w && i < n; i++)
		out->startup += fabs(ce[i] - cb[i]);
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
	out->ok_bound = out->policy <= out->bound * (1.0 + 1e-12);
	out->ok_react = out->policy <= out->react * (1.0 + TARGET_VS_REACT);
	out->ok_react_all =
	    out->policy <= out->react * (1.0 + TARGET_VS_REACT_ALL);
	out->ok_static = out->policy <= best_static + out->startup;
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
	free(why);
	return rc;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"calibration", required_argument, NULL, 'C'},
	    {"duration", required_argument, NULL, 'd'},
	    {"interval", required_argument, NULL, 'i'},
	    {"vcpus", required_argument, NULL, 'v'},
	    {"check", no_argument, NULL, 'k'},
	    {"check-bound", no_argument, NULL, 'K'},
	    {"bound-ratio", required_argument, NULL, 'R'},
	    {"schedule", no_argument, NULL, 's'},
	    {"decisions", no_argument, NULL, 'D'},
	    {"steady", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	*o = (struct opts){
	    .duration_ms = 3600000, .vcpus = 1, .bound_ratio = 3.0};
	while ((c = getopt_long(argc, argv, "c:C:d:i:v:ksh", longopts, NULL)) !=
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
		case 'i':
			if (scalar_duration_ms(optarg, &o->interval_ms) ||
			    o->interval_ms < 10) {
				fprintf(stderr, "bad --interval '%s'\n",
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
		case 'K':
			o->check_bound = true;
			break;
		case 'R':
			if (scalar_real(optarg, &o->bound_ratio) ||
			    o->bound_ratio < 0) {
				fprintf(stderr, "bad --bound-ratio '%s'\n",
					optarg);
				return -1;
			}
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
	if (o->interval_ms)
		p->interval_ms = o->interval_ms;
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
	printf("policy %s: interval %llums, window %us, noise-margin %.1f, "
	       "dwell %s,\n  rate-limit %u per %s\n",
	       p->source, (unsigned long long)p->interval_ms, p->window,
	       p->noise_margin, dwell, p->max_switches, per);
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
	printf("%-22s %9s %9s %9s %9s %9s %7s %7s %8s %7s  %s\n", "trace",
	       "Mcyc/s", "vs-oracle", "vs-react", "vs-emul", "vs-batch", "sw/h",
	       "orc-sw/h", "class", "/bound", "targets");
}

static bool missed(const struct outcome *r)
{
	return !(r->ok_bound && r->ok_react && r->ok_static && r->ok_rate);
}

/*
 * Where the excess over vs-react comes from: the intervals the policy
 * ran in another mode than vs-react, by the reason the engine gave then
 * (saving / low-saving: it followed a phase vs-react did not, or late;
 * switch-cost: the regret had not reached H yet; noise: the noise guard
 * held; short-phase: the phase test held; return-cost: the return test
 * held; warming-up), and its switches beyond vs-react's.  Shares of at
 * least 0.05 % of vs-react's cost.
 */
static void print_why(const double *why, double switches, double total)
{
	unsigned int i;

	printf("    why: %+.2f%% =", total);
	for (i = 0; i < REPLAY_WHY_N; i++)
		if (fabs(why[i]) >= 0.05)
			printf(" %s %+.2f%%", replay_reasons[i], why[i]);
	printf(" switches %+.2f%%\n", switches);
}

static void print_row(const char *name, const struct outcome *r)
{
	double secs = r->hours * 3600.0;

	printf("%-22s %9.2f %+8.2f%% %+8.2f%% %+8.2f%% %+8.2f%% %7.1f %7.1f "
	       "%8s %7.3f  %s%s%s%s%s",
	       name, r->policy / secs / 1e6, pct(r->policy, r->oracle),
	       pct(r->policy, r->react), pct(r->policy, r->emulate),
	       pct(r->policy, r->batch), r->sw_policy / r->hours,
	       r->sw_oracle / r->hours, r->stationary ? "steady" : "phased",
	       r->bound > 0 ? r->policy / r->bound : 0.0,
	       r->ok_bound && r->ok_react && r->ok_static && r->ok_rate
		   ? "ok"
		   : "MISSED:",
	       r->ok_bound ? "" : " BOUND",
	       r->ok_react ? "" : (r->ok_react_all ? " react" : " REACT>10%"),
	       r->ok_static ? "" : " static", r->ok_rate ? "" : " switches");
	if (r->rejected)
		printf(" (%llu faults rejected)",
		       (unsigned long long)r->rejected);
	putchar('\n');
	if (!missed(r))
		return;
	print_why(r->why, r->why_switches, pct(r->policy, r->react));
}

static struct class_sum *class_find(struct class_sum *c, unsigned int *n,
				    const char *name)
{
	char cls[32];
	unsigned int i;

	class_of(name, cls, sizeof(cls));
	for (i = 0; i < *n; i++)
		if (!strcmp(c[i].name, cls))
			return &c[i];
	if (*n >= MAX_CLASSES)
		return NULL;
	memset(&c[*n], 0, sizeof(c[*n]));
	snprintf(c[*n].name, sizeof(c[*n].name), "%s", cls);
	c[*n].worst_react = -INFINITY;
	return &c[(*n)++];
}

static void class_add(struct class_sum *c, const struct outcome *r)
{
	c->n++;
	c->ok_bound += r->ok_bound;
	c->ok_react += r->ok_react;
	c->ok_react_all += r->ok_react_all;
	c->ok_static += r->ok_static;
	c->n_steady += r->stationary;
	c->ok_rate += r->stationary && r->ok_rate;
	c->worst_react = fmax(c->worst_react, pct(r->policy, r->react));
	if (missed(r)) {
		unsigned int i;

		c->n_missed++;
		for (i = 0; i < REPLAY_WHY_N; i++)
			c->why[i] += r->why[i];
		c->why_switches += r->why_switches;
	}
}

/* The largest share of the missed traces' excess, and its name. */
static const char *class_cause(const struct class_sum *c, double *share)
{
	const char *name = "switches";
	unsigned int i;

	*share = c->why_switches;
	for (i = 0; i < REPLAY_WHY_N; i++)
		if (c->why[i] > *share) {
			*share = c->why[i];
			name = replay_reasons[i];
		}
	return name;
}

static void class_print(const struct class_sum *c)
{
	double share;
	const char *cause;

	printf("%-22s %3u %6u %9u %7u %+9.2f%% %7u %6u/%u", c->name, c->n,
	       c->ok_bound, c->ok_react, c->ok_react_all, c->worst_react,
	       c->ok_static, c->ok_rate, c->n_steady);
	if (c->n_missed) {
		cause = class_cause(c, &share);
		printf("  %u missed, mostly %s (%+.2f%%)", c->n_missed, cause,
		       share / c->n_missed);
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct class_sum classes[MAX_CLASSES + 1], all;
	unsigned int n_classes = 0, i_c;
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
	memset(&all, 0, sizeof(all));
	snprintf(all.name, sizeof(all.name), "all");
	all.worst_react = -INFINITY;
	print_header(&p, &o);
	for (i = optind; i < argc; i++) {
		struct trace_error terr;
		struct class_sum *c;
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
			class_add(&all, &r);
			c = class_find(classes, &n_classes, t.name);
			if (c)
				class_add(c, &r);
		}
		trace_free(&t);
	}
	if (!all.n)
		return 2;
	printf("\n%-22s %3s %6s %9s %7s %10s %7s %8s  %s\n", "class", "n",
	       "bound", "react<=3%", "<=10%", "worst", "static", "sw<=2/h",
	       "misses: the largest cause, mean share of vs-react");
	for (i_c = 0; i_c < n_classes; i_c++)
		class_print(&classes[i_c]);
	class_print(&all);
	printf("\nsummary: %u traces; within the bound: %u/%u; within 3%% of "
	       "vs-react: %u/%u (target %.0f%%), within 10%%: %u/%u; never "
	       "worse than the better static mode by more than a window's "
	       "start-up: %u/%u; at most %.0f switches/h on steady traces: "
	       "%u/%u\n",
	       all.n, all.ok_bound, all.n, all.ok_react, all.n,
	       TARGET_VS_REACT_SHARE * 100, all.ok_react_all, all.n,
	       all.ok_static, all.n, TARGET_SWITCHES_H, all.ok_rate,
	       all.n_steady);
	if (failed)
		return 2;
	if (o.check_bound && all.ok_bound < all.n)
		return 1;
	if (o.check && (all.ok_bound < all.n || all.ok_react_all < all.n ||
			all.ok_react < TARGET_VS_REACT_SHARE * all.n ||
			all.ok_static < all.n || all.ok_rate < all.n_steady))
		return 1;
	return 0;
}

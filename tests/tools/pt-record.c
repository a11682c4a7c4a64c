/* SPDX-License-Identifier: MIT */
/*
 * pt-record: record page-table workload traces of running guests, in
 * dom0 on the patched hypervisor (tests/traces/recorded/README.md).
 *
 *   pt-record [--interval MS] --duration SECONDS --dir DIR NAME=DOMID...
 *
 * Every interval it reads each domain's hypervisor counters through the
 * ptswitch domctl (the calls the daemon's xenctrl backend makes) and the
 * guest agent's metrics from xenstore, and appends one row of deltas to
 * DIR/NAME.trace in the trace format of tests/traces/README.md.  Rows are
 * flushed as they are written, so a run cut short leaves a valid trace.
 *
 * The last column, `ms`, is the interval's real length: the rows are
 * meant to be 1 s apart, and on a busy host they are not exactly.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenctrl.h>
#include <xenstore.h>

#include "clock.h"
#include "proto.h"
#include "pt_domctl.h"
#include "pt_xc.h"
#include "ptswitch.h"
#include "rowfit.h"

#define MAX_DOMAINS 32

/* Agent metrics recorded, in column order (guestagent/metrics.c). */
static const char *const metric_name[] = {
    "forks", "ctxt", "intr", "pgfault", "pgmajfault", "pgreuse", "pgfree",
};
#define N_METRICS (sizeof(metric_name) / sizeof(metric_name[0]))

struct recdom {
	char name[64];
	unsigned int domid;
	FILE *out;
	struct pt_stats last;
	uint64_t last_metric[N_METRICS];
	struct rowfit fit;
	uint64_t last_ms; /* when last was read */
	uint64_t rows, batches, failures;
	int last_err;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_until_ms(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000),
			      .tv_nsec = (long)(t % 1000) * 1000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
		   EINTR &&
	       !stop)
		;
}

/* A metric the agent has not published (yet) reads as 0. */
static uint64_t read_metric(struct xs_handle *xs, unsigned int domid,
			    const char *name)
{
	char path[128];
	unsigned int len;
	uint64_t v = 0;
	char *buf;

	snprintf(path, sizeof(path),
		 "/local/domain/%u/data/ptswitch/metrics/%s", domid, name);
	buf = xs_read(xs, XBT_NULL, path, &len);
	if (!buf)
		return 0;
	if (proto_parse_u64(buf, len, &v))
		v = 0;
	free(buf);
	return v;
}

static int sample(xc_interface *xch, struct xs_handle *xs, struct recdom *d,
		  struct pt_stats *st, uint64_t metric[N_METRICS])
{
	unsigned int m;
	int err = pt_xc_get_stats(xch, d->domid, st, NULL, NULL);

	if (err)
		return err;
	for (m = 0; m < N_METRICS; m++)
		metric[m] = read_metric(xs, d->domid, metric_name[m]);
	return 0;
}

/* Counters only grow; a metric that went back (agent restart) gives 0. */
static uint64_t delta(uint64_t now, uint64_t old)
{
	return now >= old ? now - old : 0;
}

static void write_header(struct recdom *d, unsigned int interval_ms)
{
	unsigned int m;

	fprintf(d->out,
		"# recorded by pt-record: domain %u, one row every %u ms;\n"
		"# runs-* and writes from the hypervisor's EMULATE counters "
		"(ptswitch domctl),\n"
		"# metrics from the guest agent (xenstore), ms = the "
		"interval's real length\n"
		"ptswitch-trace 1\nname %s\nfields runs-1 runs-2-9 "
		"runs-10-49 runs-50-99 runs-100-511 runs-512 writes",
		d->domid, interval_ms, d->name);
	for (m = 0; m < N_METRICS; m++)
		fprintf(d->out, " %s", metric_name[m]);
	fprintf(d->out, " ms\n");
	fflush(d->out);
}

static void write_row(struct recdom *d, const struct pt_stats *st,
		      const uint64_t metric[N_METRICS], uint64_t dt_ms)
{
	uint64_t runs[PT_HIST_BUCKETS];
	unsigned int b, m;

	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		runs[b] = delta(st->emul_runs[b], d->last.emul_runs[b]);
		fprintf(d->out, "%" PRIu64 " ", runs[b]);
	}
	fprintf(
	    d->out, "%" PRIu64,
	    rowfit_writes(&d->fit, runs,
			  delta(st->emulated_writes, d->last.emulated_writes)));
	for (m = 0; m < N_METRICS; m++)
		fprintf(d->out, " %" PRIu64,
			delta(metric[m], d->last_metric[m]));
	fprintf(d->out, " %" PRIu64 "\n", dt_ms);
	fflush(d->out);
	d->batches += delta(st->batches, d->last.batches);
	d->rows++;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pt-record [--interval MS] --duration SECONDS "
		   "--dir DIR NAME=DOMID...\n");
}

static int parse_domain(const char *arg, struct recdom *d)
{
	const char *eq = strchr(arg, '=');
	char *end;
	unsigned long v;
	size_t n;

	if (!eq)
		return -1;
	n = (size_t)(eq - arg);
	if (!n || n >= sizeof(d->name))
		return -1;
	memcpy(d->name, arg, n);
	d->name[n] = '\0';
	if (!proto_metric_name_ok(d->name))
		return -1;
	errno = 0;
	v = strtoul(eq + 1, &end, 10);
	if (errno || end == eq + 1 || *end || v >= 0x7ff0)
		return -1;
	d->domid = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"interval", required_argument, NULL, 'i'},
	    {"duration", required_argument, NULL, 'd'},
	    {"dir", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct recdom dom[MAX_DOMAINS];
	unsigned int interval_ms = 1000, duration_s = 0, n = 0, i;
	const char *dir = NULL;
	struct xs_handle *xs;
	xc_interface *xch;
	uint64_t start, next;
	int c;

	while ((c = getopt_long(argc, argv, "i:d:D:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interval_ms = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			duration_s = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'D':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dir || !duration_s || interval_ms < 100 || optind >= argc ||
	    argc - optind > MAX_DOMAINS) {
		usage(stderr);
		return 2;
	}
	for (; optind < argc; optind++, n++) {
		char path[512];

		if (parse_domain(argv[optind], &dom[n])) {
			fprintf(stderr, "pt-record: bad domain '%s'\n",
				argv[optind]);
			return 2;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.trace", dir,
				     dom[n].name) >= sizeof(path)) {
			fprintf(stderr, "pt-record: --dir too long\n");
			return 2;
		}
		dom[n].out = fopen(path, "w");
		if (!dom[n].out) {
			perror(path);
			return 1;
		}
	}

	xch = xc_interface_open(NULL, NULL, 0);
	xs = xs_open(0);
	if (!xch || !xs) {
		fprintf(stderr, "pt-record: cannot open %s\n",
			xch ? "xenstore" : "libxenctrl");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	for (i = 0; i < n; i++) {
		int err =
		    sample(xch, xs, &dom[i], &dom[i].last, dom[i].last_metric);

		if (err) {
			fprintf(stderr, "pt-record: %s (dom%u): %s\n",
				dom[i].name, dom[i].domid, strerror(-err));
			return 1;
		}
		dom[i].last_ms = pt_monotonic_ms();
		write_header(&dom[i], interval_ms);
	}
	start = pt_monotonic_ms();
	for (next = start + interval_ms;
	     !stop && next <= start + (uint64_t)duration_s * 1000;
	     next += interval_ms) {
		uint64_t t;

		sleep_until_ms(next);
		if (stop)
			break;
		t = pt_monotonic_ms();
		for (i = 0; i < n; i++) {
			struct pt_stats st;
			uint64_t metric[N_METRICS];
			int err = sample(xch, xs, &dom[i], &st, metric);

			if (err) {
				/* Keep the row count aligned: skip, count. */
				dom[i].failures++;
				dom[i].last_err = err;
				continue;
			}
			write_row(&dom[i], &st, metric, t - dom[i].last_ms);
			dom[i].last_ms = t;
			dom[i].last = st;
			memcpy(dom[i].last_metric, metric, sizeof(metric));
		}
	}
	for (i = 0; i < n; i++) {
		fprintf(dom[i].out,
			"# end: %" PRIu64 " rows, %" PRIu64
			" failed reads (last: %s), %" PRIu64
			" batches (0: the guest stayed in EMULATE), %" PRId64
			" writes left unplaced\n",
			dom[i].rows, dom[i].failures,
			dom[i].failures ? strerror(-dom[i].last_err) : "none",
			dom[i].batches, dom[i].fit.carry);
		fclose(dom[i].out);
		fprintf(stderr, "pt-record: %s: %" PRIu64 " rows\n",
			dom[i].name, dom[i].rows);
	}
	xs_close(xs);
	xc_interface_close(xch);
	return 0;
}

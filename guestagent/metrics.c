/* SPDX-License-Identifier: MIT */
/* Counter parsing for /proc/vmstat and /proc/stat, streamed line by line. */
#include <string.h>

#include "metrics.h"
#include "proto.h"
#include "sysfile.h"

/*
 * Linux 6.1 has no counter of COW copies; pgreuse counts write faults
 * that reused the page instead of copying it, cow_ksm the copies of KSM
 * pages.  Counters the kernel lacks are simply not published.
 */
const struct metric_def metric_defs[] = {
    {"forks", METRIC_STAT, "processes"},
    {"ctxt", METRIC_STAT, "ctxt"},
    {"intr", METRIC_STAT, "intr"},
    {"pgfault", METRIC_VMSTAT, "pgfault"},
    {"pgmajfault", METRIC_VMSTAT, "pgmajfault"},
    {"pgreuse", METRIC_VMSTAT, "pgreuse"},
    {"cow_ksm", METRIC_VMSTAT, "cow_ksm"},
    {"thp_fault_alloc", METRIC_VMSTAT, "thp_fault_alloc"},
    {"thp_fault_fallback", METRIC_VMSTAT, "thp_fault_fallback"},
    {"thp_split_pmd", METRIC_VMSTAT, "thp_split_pmd"},
    {"thp_collapse_alloc", METRIC_VMSTAT, "thp_collapse_alloc"},
    {"pgfree", METRIC_VMSTAT, "pgfree"},
};
const unsigned int metric_count = sizeof(metric_defs) / sizeof(metric_defs[0]);

_Static_assert(sizeof(metric_defs) / sizeof(metric_defs[0]) <= METRIC_SLOTS,
	       "metric table larger than struct metrics");
_Static_assert(METRIC_SLOTS <= PROTO_MAX_METRICS,
	       "more metrics than the protocol allows");

struct line_parser {
	enum metric_source src;
	struct metrics *m;
	char line[METRIC_LINE_MAX];
	size_t n;
	bool overflow; /* the current line is longer than line[] */
	bool seen[METRIC_SLOTS];
};

void metrics_clear(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
}

/*
 * "<digits>" ended by a space or the end of the line; no overflow.  In a
 * truncated line only a space proves that the number is complete.
 */
static bool parse_value(const char *s, size_t len, bool truncated,
			uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	if (!len || s[0] < '0' || s[0] > '9')
		return false;
	for (; i < len && s[i] != ' '; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (truncated && i == len)
		return false;
	*out = v;
	return true;
}

/* Lines longer than the buffer are parsed from their first bytes: the
 * "intr" line of /proc/stat is long but its total comes first. */
static void parse_line(struct line_parser *lp)
{
	const char *sp = memchr(lp->line, ' ', lp->n);
	size_t klen, i;
	uint64_t v;

	if (!sp)
		return;
	klen = (size_t)(sp - lp->line);
	for (i = 0; i < metric_count; i++) {
		const struct metric_def *d = &metric_defs[i];

		if (d->source != lp->src || strlen(d->key) != klen ||
		    memcmp(d->key, lp->line, klen))
			continue;
		/* A key seen twice is suspect: keep neither. */
		if (lp->seen[i] ||
		    !parse_value(sp + 1, lp->n - klen - 1, lp->overflow, &v)) {
			lp->seen[i] = true;
			lp->m->present[i] = false;
			return;
		}
		lp->seen[i] = true;
		lp->m->value[i] = v;
		lp->m->present[i] = true;
		return;
	}
}

static void feed(void *ctx, const char *buf, size_t len)
{
	struct line_parser *lp = ctx;
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			parse_line(lp);
			lp->n = 0;
			lp->overflow = false;
		} else if (lp->n < sizeof(lp->line)) {
			lp->line[lp->n++] = buf[i];
		} else {
			lp->overflow = true;
		}
	}
}

static void finish(struct line_parser *lp)
{
	if (lp->n)
		parse_line(lp);
	lp->n = 0;
}

void metrics_parse(enum metric_source src, const char *buf, size_t len,
		   struct metrics *m)
{
	struct line_parser lp = {.src = src, .m = m};

	feed(&lp, buf, len);
	finish(&lp);
}

static int collect_one(const char *root, const char *rel,
		       enum metric_source src, struct metrics *m)
{
	struct line_parser lp = {.src = src, .m = m};
	int r = sysfile_stream(root, rel, METRIC_FILE_MAX, feed, &lp);

	/* After a read error the last line may be cut short: drop it. */
	if (!r)
		finish(&lp);
	return r;
}

int metrics_collect(const char *root, struct metrics *m)
{
	int a, b;

	metrics_clear(m);
	a = collect_one(root, "proc/vmstat", METRIC_VMSTAT, m);
	b = collect_one(root, "proc/stat", METRIC_STAT, m);
	return a && b ? a : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Strict parser for workload traces (format: tests/traces/README.md).
 * Every error names the line it was found on; a trace that parses is
 * self-consistent (each row's writes fit its runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileopen.h"
#include "trace.h"

/* Fixed leading columns of every row, in this order. */
static const char *const run_field[PT_HIST_BUCKETS] = {
    "runs-1",	  "runs-2-9",	  "runs-10-49",
    "runs-50-99", "runs-100-511", "runs-512",
};
#define WRITES_FIELD "writes"
#define FIXED_FIELDS (PT_HIST_BUCKETS + 1)
#define MAX_TOKENS (FIXED_FIELDS + TRACE_MAX_METRICS)

/* Shortest and longest run of each bucket. */
static const uint64_t bucket_lo[PT_HIST_BUCKETS] = {1, 2, 10, 50, 100, 512};
static const uint64_t bucket_hi[PT_HIST_BUCKETS] = {1, 9, 49, 99, 511, 512};

__attribute__((format(printf, 3, 4))) static int
fail(struct trace_error *err, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

uint64_t trace_min_writes(const uint64_t runs[PT_HIST_BUCKETS])
{
	uint64_t n = 0;
	unsigned int b;

	for (b = 0; b < PT_HIST_BUCKETS; b++)
		n += runs[b] * bucket_lo[b];
	return n;
}

uint64_t trace_max_writes(const uint64_t runs[PT_HIST_BUCKETS])
{
	uint64_t n = 0;
	unsigned int b;

	for (b = 0; b < PT_HIST_BUCKETS; b++)
		n += runs[b] * bucket_hi[b];
	return n;
}

void trace_split_writes(const struct trace_row *r,
			uint64_t writes[PT_HIST_BUCKETS])
{
	uint64_t cap[PT_HIST_BUCKETS], total_cap = 0, excess, given = 0;
	unsigned int b;

	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		writes[b] = r->runs[b] * bucket_lo[b];
		cap[b] = r->runs[b] * (bucket_hi[b] - bucket_lo[b]);
		total_cap += cap[b];
	}
	excess = r->writes - trace_min_writes(r->runs);
	if (!excess || !total_cap)
		return;
	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		uint64_t share =
		    (uint64_t)((unsigned __int128)excess * cap[b] / total_cap);

		writes[b] += share;
		cap[b] -= share;
		given += share;
	}
	/* Rounding leaves fewer than PT_HIST_BUCKETS writes over. */
	for (b = 0; given < excess && b < PT_HIST_BUCKETS; b++)
		while (cap[b] && given < excess) {
			writes[b]++;
			cap[b]--;
			given++;
		}
}

/* Decimal without sign or leading zeros, at most TRACE_MAX_VALUE. */
static bool parse_value(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > TRACE_MAX_VALUE)
			return false;
	}
	*out = v;
	return true;
}

/* Split a line in place at spaces and tabs; -1 when too many tokens. */
static int tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			return n;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= sizeof(((struct trace *)0)->name))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

struct parse_state {
	struct trace *t;
	struct trace_error *err;
	unsigned int line;
	bool have_magic, have_fields, have_name;
	size_t cap_rows;
};

static int parse_fields(struct parse_state *ps, char **tok, int n)
{
	struct trace *t = ps->t;
	int i, j;

	if (ps->have_fields)
		return fail(ps->err, ps->line, "second 'fields' line");
	if (ps->t->n_rows)
		return fail(ps->err, ps->line, "'fields' after the first row");
	if (n - 1 < FIXED_FIELDS)
		return fail(ps->err, ps->line,
			    "'fields' needs the %d run and write columns",
			    FIXED_FIELDS);
	for (i = 0; i < PT_HIST_BUCKETS; i++)
		if (strcmp(tok[1 + i], run_field[i]))
			return fail(ps->err, ps->line,
				    "field %d is '%s', expected '%s'", i + 1,
				    tok[1 + i], run_field[i]);
	if (strcmp(tok[1 + PT_HIST_BUCKETS], WRITES_FIELD))
		return fail(ps->err, ps->line,
			    "field %d is '%s', expected '%s'", FIXED_FIELDS,
			    tok[FIXED_FIELDS], WRITES_FIELD);
	for (i = 1 + FIXED_FIELDS; i < n; i++) {
		if (!proto_metric_name_ok(tok[i]))
			return fail(ps->err, ps->line,
				    "bad metric name '%.40s'", tok[i]);
		for (j = 1 + FIXED_FIELDS; j < i; j++)
			if (!strcmp(tok[i], tok[j]))
				return fail(ps->err, ps->line,
					    "metric '%s' listed twice", tok[i]);
		strcpy(t->metric_name[t->n_metrics++], tok[i]);
	}
	ps->have_fields = true;
	return 0;
}

static int parse_row(struct parse_state *ps, char **tok, int n)
{
	struct trace *t = ps->t;
	struct trace_row row, *rows;
	uint64_t v[MAX_TOKENS];
	int i, want = FIXED_FIELDS + (int)t->n_metrics;

	if (!ps->have_fields)
		return fail(ps->err, ps->line, "row before the 'fields' line");
	if (n != want)
		return fail(ps->err, ps->line, "%d values, expected %d", n,
			    want);
	for (i = 0; i < n; i++)
		if (!parse_value(tok[i], &v[i]))
			return fail(ps->err, ps->line,
				    "value %d '%.20s' is not a number in "
				    "0..%llu",
				    i + 1, tok[i],
				    (unsigned long long)TRACE_MAX_VALUE);
	memset(&row, 0, sizeof(row));
	memcpy(row.runs, v, sizeof(row.runs));
	row.writes = v[PT_HIST_BUCKETS];
	for (i = 0; i < (int)t->n_metrics; i++)
		row.metric[i] = v[FIXED_FIELDS + i];
	if (row.writes < trace_min_writes(row.runs) ||
	    row.writes > trace_max_writes(row.runs))
		return fail(ps->err, ps->line,
			    "writes %llu do not fit the runs (%llu..%llu)",
			    (unsigned long long)row.writes,
			    (unsigned long long)trace_min_writes(row.runs),
			    (unsigned long long)trace_max_writes(row.runs));
	if (t->n_rows == ps->cap_rows) {
		size_t cap = ps->cap_rows ? ps->cap_rows * 2 : 64;

		rows = realloc(t->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		ps->cap_rows = cap;
	}
	t->rows[t->n_rows++] = row;
	return 0;
}

/*
 * A first column that a reader would take for a number (signed,
 * fractional, nan, inf) is a bad time, not an unknown keyword.
 */
static bool looks_signed_or_special(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	else if (*s >= '0' && *s <= '9')
		return false; /* a row: parse_row() checks the rest */
	return (*s >= '0' && *s <= '9') || *s == '.' ||
	       !strncasecmp(s, "nan", 3) || !strncasecmp(s, "inf", 3);
}

static int parse_line(struct parse_state *ps, char *line)
{
	char *tok[MAX_TOKENS + 1];
	unsigned long version;
	char *end;
	int n;

	if (line[0] == '#')
		return 0;
	n = tokenize(line, tok, MAX_TOKENS + 1);
	if (n < 0)
		return fail(ps->err, ps->line, "more than %d columns",
			    MAX_TOKENS);
	if (n == 0)
		return 0;
	if (!ps->have_magic) {
		if (n != 2 || strcmp(tok[0], TRACE_MAGIC))
			return fail(ps->err, ps->line, "expected '%s %d' first",
				    TRACE_MAGIC, TRACE_VERSION);
		errno = 0;
		version = strtoul(tok[1], &end, 10);
		if (*end || errno || version != TRACE_VERSION)
			return fail(ps->err, ps->line,
				    "unsupported version '%.20s'", tok[1]);
		ps->have_magic = true;
		return 0;
	}
	if (!strcmp(tok[0], "name")) {
		if (ps->have_name || n != 2 || !name_ok(tok[1]))
			return fail(ps->err, ps->line,
				    ps->have_name ? "second 'name' line"
						  : "bad 'name' line");
		strcpy(ps->t->name, tok[1]);
		ps->have_name = true;
		return 0;
	}
	if (!strcmp(tok[0], "fields"))
		return parse_fields(ps, tok, n);
	if (looks_signed_or_special(tok[0]))
		return fail(ps->err, ps->line,
			    "bad time '%.20s': a row starts with whole "
			    "non-negative seconds",
			    tok[0]);
	if (tok[0][0] < '0' || tok[0][0] > '9')
		return fail(ps->err, ps->line, "unknown keyword '%.20s'",
			    tok[0]);
	return parse_row(ps, tok, n);
}

int trace_parse(const char *buf, size_t len, const char *file, struct trace *t,
		struct trace_error *err)
{
	struct parse_state ps = {.t = t, .err = err};
	char line[TRACE_MAX_LINE + 1];
	size_t pos = 0, n, i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "(trace)");
	while (pos < len) {
		ps.line++;
		for (n = 0; pos + n < len && buf[pos + n] != '\n'; n++)
			;
		if (n > TRACE_MAX_LINE) {
			rc = fail(err, ps.line, "line longer than %d bytes",
				  TRACE_MAX_LINE);
			break;
		}
		for (i = 0; i < n; i++)
			if ((buf[pos + i] < 0x20 && buf[pos + i] != '\t') ||
			    buf[pos + i] > 0x7e)
				break;
		if (i < n) {
			rc = fail(err, ps.line,
				  "control or non-ASCII byte 0x%02x in column "
				  "%zu",
				  (unsigned int)(unsigned char)buf[pos + i],
				  i + 1);
			break;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + 1;
		rc = parse_line(&ps, line);
		if (rc)
			break;
	}
	if (!rc && !ps.have_magic)
		rc = fail(err, 0, "empty: no '%s %d' line", TRACE_MAGIC,
			  TRACE_VERSION);
	else if (!rc && !ps.have_fields)
		rc = fail(err, 0, "no 'fields' line");
	else if (!rc && !t->n_rows)
		rc = fail(err, 0, "no rows");
	if (rc == -ENOMEM)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	if (rc) {
		trace_free(t);
		return rc;
	}
	if (!ps.have_name) {
		const char *base = file ? strrchr(file, '/') : NULL;

		snprintf(t->name, sizeof(t->name), "%s",
			 base	? base + 1
			 : file ? file
				: "trace");
	}
	return 0;
}

int trace_load(const char *path, struct trace *t, struct trace_error *err)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t len = 0;
	int fd, rc;

	memset(t, 0, sizeof(*t));
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	/* Without blocking: a FIFO at the path must not hang the caller. */
	fd = pt_open_read(path);
	if (fd == -EINVAL) {
		snprintf(err->msg, sizeof(err->msg), "not a regular file");
		return fd;
	}
	if (fd < 0 || fstat(fd, &st)) {
		rc = fd < 0 ? fd : -errno;
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (st.st_size > (off_t)TRACE_MAX_BYTES) {
		close(fd);
		snprintf(err->msg, sizeof(err->msg), "larger than %u bytes",
			 TRACE_MAX_BYTES);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		got = read(fd, buf + len, (size_t)st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (len != (size_t)st.st_size) {
		free(buf);
		snprintf(err->msg, sizeof(err->msg), "short read");
		return -EIO;
	}
	rc = trace_parse(buf, len, path, t, err);
	free(buf);
	return rc;
}

void trace_free(struct trace *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n_rows = 0;
}

const struct trace_row *trace_row_at(const struct trace *t, uint64_t i)
{
	return &t->rows[i % t->n_rows];
}

void trace_error_format(const struct trace_error *err, char *buf, size_t size)
{
	if (err->line)
		snprintf(buf, size, "%s:%u: %s", err->file, err->line,
			 err->msg);
	else
		snprintf(buf, size, "%s: %s", err->file, err->msg);
}

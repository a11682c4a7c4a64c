/* SPDX-License-Identifier: MIT */
/* Loader for simulation maps (see simmap.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileopen.h"
#include "simmap.h"

#define MAP_MAX_LINE 1024
#define MAP_MAX_TOKENS 16

struct map_state {
	struct simmap *m;
	struct trace_error *err;
	const char *path;
	const char *dir; /* of the map file, "" for the current one */
	unsigned int line;
	size_t cap_e, cap_t;
	size_t *trace_idx; /* per entry, turned into pointers at the end */
};

__attribute__((format(printf, 3, 4))) static int
fail(struct map_state *ms, int rc, const char *fmt, ...)
{
	va_list ap;

	/* A trace load may have left its own file name in err. */
	snprintf(ms->err->file, sizeof(ms->err->file), "%s", ms->path);
	ms->err->line = ms->line;
	va_start(ap, fmt);
	vsnprintf(ms->err->msg, sizeof(ms->err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static int parse_fail_list(struct map_state *ms, const char *list,
			   unsigned int *out)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} ops[] = {
	    {"set-mode", SIMMAP_FAIL_SET_MODE},
	    {"get-stats", SIMMAP_FAIL_GET_STATS},
	    {"get-mode", SIMMAP_FAIL_GET_MODE},
	    {"set-batch", SIMMAP_FAIL_SET_BATCH},
	    {"set-emulate", SIMMAP_FAIL_SET_EMULATE},
	};
	const char *p = list;
	size_t n, i;

	*out = 0;
	for (;;) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strlen(ops[i].name) == n &&
			    !memcmp(p, ops[i].name, n))
				break;
		if (i == sizeof(ops) / sizeof(ops[0]))
			return fail(ms, -EINVAL,
				    "fail= takes set-mode, set-batch, "
				    "set-emulate, get-stats, get-mode");
		*out |= ops[i].bit;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* The errno an injected failure returns: those the domctl can. */
static int parse_errno(struct map_state *ms, const char *v, int *out)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {
	    {"EIO", EIO},     {"EPERM", EPERM},	  {"EINVAL", EINVAL},
	    {"EBUSY", EBUSY}, {"ENOSYS", ENOSYS},
	};
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		if (!strcmp(v, errs[i].name)) {
			*out = errs[i].err;
			return 0;
		}
	}
	return fail(ms, -EINVAL,
		    "errno must be EIO, EPERM, EINVAL, EBUSY or ENOSYS");
}

/* Index of the trace at path, loading it the first time it is named. */
static int trace_index(struct map_state *ms, const char *rel, size_t *idx)
{
	struct simmap *m = ms->m;
	char *path;
	size_t i;
	int rc;

	if (rel[0] == '/')
		path = strdup(rel);
	else if (asprintf(&path, "%s%s", ms->dir, rel) < 0)
		path = NULL;
	if (!path)
		return fail(ms, -ENOMEM, "out of memory");
	for (i = 0; i < m->n_traces; i++)
		if (!strcmp(m->trace_paths[i], path)) {
			free(path);
			*idx = i;
			return 0;
		}
	if (m->n_traces == ms->cap_t) {
		size_t cap = ms->cap_t ? ms->cap_t * 2 : 8;
		struct trace *t = realloc(m->traces, cap * sizeof(*t));
		char **p;

		if (t)
			m->traces = t;
		p = t ? realloc(m->trace_paths, cap * sizeof(*p)) : NULL;
		if (!p) {
			free(path);
			return fail(ms, -ENOMEM, "out of memory");
		}
		m->trace_paths = p;
		ms->cap_t = cap;
	}
	/*
	 * A syntax error is reported at the trace's own file:line; one about
	 * the whole file (missing, unreadable) at the map line naming it.
	 */
	rc = trace_load(path, &m->traces[m->n_traces], ms->err);
	if (rc && !ms->err->line) {
		char msg[sizeof(ms->err->msg)];

		snprintf(msg, sizeof(msg), "%s", ms->err->msg);
		fail(ms, rc, "trace %.60s: %s", rel, msg);
	}
	if (rc) {
		free(path);
		return rc;
	}
	m->trace_paths[m->n_traces] = path;
	*idx = m->n_traces++;
	return 0;
}

static int parse_option(struct map_state *ms, struct simmap_entry *e,
			const char *opt, unsigned int *seen, bool *caps_set)
{
	static const char *const keys[] = {
	    "vcpus", "optin", "caps", "ack", "fail", "offset", "errno",
	};
	const char *eq = strchr(opt, '='), *v;
	unsigned long n;
	unsigned int k;

	if (!eq)
		return fail(ms, -EINVAL, "expected key=value, got '%.40s'",
			    opt);
	v = eq + 1;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strlen(keys[k]) == (size_t)(eq - opt) &&
		    !memcmp(opt, keys[k], (size_t)(eq - opt)))
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return fail(ms, -EINVAL, "unknown option '%.*s'",
			    (int)(eq - opt > 40 ? 40 : eq - opt), opt);
	if (*seen & (1u << k))
		return fail(ms, -EINVAL, "option '%s' given twice", keys[k]);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		if (!parse_uint(v, SIMMAP_MAX_VCPUS, &n) || !n)
			return fail(ms, -EINVAL, "vcpus must be 1..%u",
				    SIMMAP_MAX_VCPUS);
		e->vcpus = (unsigned int)n;
		return 0;
	case 1:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return fail(ms, -EINVAL, "optin must be yes or no");
		e->optin = !strcmp(v, "yes");
		return 0;
	case 2:
		if (strcmp(v, "batch") && strcmp(v, "none"))
			return fail(ms, -EINVAL, "caps must be batch or none");
		e->caps = !strcmp(v, "batch") ? PROTO_CAPS_BATCH : 0;
		*caps_set = true;
		return 0;
	case 3:
		if (!strcmp(v, "ok"))
			e->ack = SIMMAP_ACK_OK;
		else if (!strcmp(v, "refuse"))
			e->ack = SIMMAP_ACK_REFUSE;
		else if (!strcmp(v, "silent"))
			e->ack = SIMMAP_ACK_SILENT;
		else
			return fail(ms, -EINVAL,
				    "ack must be ok, refuse or silent");
		return 0;
	case 4:
		return parse_fail_list(ms, v, &e->fail);
	case 5:
		if (!parse_uint(v, 0xffffffffu, &n))
			return fail(ms, -EINVAL, "offset must be a row number");
		e->offset = n;
		return 0;
	default:
		return parse_errno(ms, v, &e->fail_errno);
	}
}

static int parse_line(struct map_state *ms, char *line)
{
	struct simmap *m = ms->m;
	struct simmap_entry e = {.vcpus = 1, .optin = true, .fail_errno = EIO};
	char *tok[MAP_MAX_TOKENS], *save = NULL, *p;
	unsigned int seen = 0;
	bool caps_set = false;
	unsigned long domid;
	size_t i, idx = 0;
	int n = 0, rc;

	for (p = strtok_r(line, " \t", &save); p;
	     p = strtok_r(NULL, " \t", &save)) {
		if (n == MAP_MAX_TOKENS)
			return fail(ms, -EINVAL, "too many words");
		tok[n++] = p;
	}
	if (n == 0 || tok[0][0] == '#')
		return 0;
	if (n < 2)
		return fail(ms, -EINVAL, "expected '<domid> <trace-file> ...'");
	if (!parse_uint(tok[0], SIMMAP_DOMID_LIMIT - 1, &domid) || !domid)
		return fail(ms, -EINVAL, "domid must be 1..%u",
			    SIMMAP_DOMID_LIMIT - 1);
	for (i = 0; i < m->n; i++)
		if (m->e[i].domid == domid)
			return fail(ms, -EINVAL,
				    "domid %lu already mapped on line %u",
				    domid, m->e[i].line);
	e.domid = (unsigned int)domid;
	e.line = ms->line;
	for (i = 2; i < (size_t)n; i++) {
		rc = parse_option(ms, &e, tok[i], &seen, &caps_set);
		if (rc)
			return rc;
	}
	if (!caps_set)
		e.caps = e.optin ? PROTO_CAPS_BATCH : 0;
	if (m->n == ms->cap_e) {
		size_t cap = ms->cap_e ? ms->cap_e * 2 : 16;
		struct simmap_entry *ne = realloc(m->e, cap * sizeof(*ne));
		size_t *ni =
		    ne ? realloc(ms->trace_idx, cap * sizeof(*ni)) : NULL;

		if (ne)
			m->e = ne;
		if (!ni)
			return fail(ms, -ENOMEM, "out of memory");
		ms->trace_idx = ni;
		ms->cap_e = cap;
	}
	rc = trace_index(ms, tok[1], &idx);
	if (rc)
		return rc;
	ms->trace_idx[m->n] = idx;
	m->e[m->n++] = e;
	return 0;
}

static int cmp_domid(const void *a, const void *b)
{
	const struct simmap_entry *x = a, *y = b;

	return x->domid < y->domid ? -1 : x->domid > y->domid;
}

static int read_map(struct map_state *ms, FILE *f)
{
	char line[MAP_MAX_LINE + 2];
	size_t len;
	int rc;

	while (fgets(line, sizeof(line), f)) {
		ms->line++;
		len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f))
			return fail(ms, -EINVAL, "line longer than %d bytes",
				    MAP_MAX_LINE);
		if (strlen(line) != len)
			return fail(ms, -EINVAL, "NUL byte in line");
		rc = parse_line(ms, line);
		if (rc)
			return rc;
	}
	if (ferror(f))
		return fail(ms, -EIO, "read error");
	if (!ms->m->n) {
		ms->line = 0;
		return fail(ms, -EINVAL, "no domains");
	}
	return 0;
}

int simmap_load(const char *path, struct simmap *m, struct trace_error *err)
{
	struct map_state ms = {.m = m, .err = err, .path = path};
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	size_t i;
	FILE *f;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	dir = strndup(path, slash ? (size_t)(slash - path) + 1 : 0);
	if (!dir) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	ms.dir = dir;
	f = pt_fopen_read(path);
	if (!f) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s",
			 pt_open_strerror(errno));
		free(dir);
		return rc;
	}
	rc = read_map(&ms, f);
	fclose(f);
	free(dir);
	if (!rc) {
		for (i = 0; i < m->n; i++)
			m->e[i].trace = &m->traces[ms.trace_idx[i]];
		qsort(m->e, m->n, sizeof(*m->e), cmp_domid);
	}
	free(ms.trace_idx);
	if (rc)
		simmap_free(m);
	return rc;
}

void simmap_free(struct simmap *m)
{
	size_t i;

	for (i = 0; i < m->n_traces; i++) {
		trace_free(&m->traces[i]);
		free(m->trace_paths[i]);
	}
	free(m->traces);
	free(m->trace_paths);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

const struct simmap_entry *simmap_find(const struct simmap *m,
				       unsigned int domid)
{
	struct simmap_entry key = {.domid = domid};

	if (!m->n)
		return NULL;
	return bsearch(&key, m->e, m->n, sizeof(*m->e), cmp_domid);
}

/* SPDX-License-Identifier: MIT */
/*
 * The policy file's schema and the walk over libyaml's document tree.
 * Every key is described once in a table (type, range, where it goes);
 * every error names file:line:column of the offending key or value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy.h"
#include "policy_scalar.h"

/* Highest domid a guest can have (DOMID_FIRST_RESERVED - 1). */
#define MAX_DOMID 0x7fefu
#define MAX_KEYS 16
/* The schema nests 4 deep; libyaml slows down quadratically with depth. */
#define MAX_DEPTH 16

enum field_kind {
	F_ACTION,   /* enum policy_action */
	F_DURATION, /* uint64_t milliseconds */
	F_COUNT,    /* unsigned int */
	F_FRACTION, /* double; "0.2" or "20%" */
	F_REAL,	    /* double */
	F_MAP,	    /* nested mapping, same base */
	F_GUESTS,   /* the list of overrides */
	F_NAME,	    /* override: match by name glob */
	F_DOMID,    /* override: match by domid */
	F_UUID,	    /* override: match by UUID */
	F_PIN,	    /* override: pin a mode */
	F_EXCLUDE,  /* override: exclude (must be true) */
	F_ON_STOP,  /* enum policy_on_stop */
};

/* Values some cross-field checks need to point back at. */
enum slot {
	SLOT_NONE,
	SLOT_ENTER,
	SLOT_LEAVE,
	SLOT_BACKOFF,
	SLOT_BACKOFF_MAX,
	SLOTS
};

struct schema;

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;		  /* into the base passed to walk_map */
	double min, max;	  /* inclusive; ms for durations */
	const struct schema *sub; /* F_MAP */
	enum slot slot;
	unsigned int group; /* at most one key per non-zero group */
};

struct schema {
	const struct field *fields;
	size_t n;
};

#define SCHEMA(f)                                                              \
	{                                                                      \
		f, sizeof(f) / sizeof((f)[0])                                  \
	}
#define P(m) offsetof(struct policy, m)

static const struct field thresholds_fields[] = {
    {"enter-saving", F_FRACTION, P(enter_saving), 0, 1, NULL, SLOT_ENTER, 0},
    {"leave-saving", F_FRACTION, P(leave_saving), -1, 1, NULL, SLOT_LEAVE, 0},
    {"min-write-rate", F_REAL, P(min_write_rate), 0, 1e9, NULL, 0, 0},
    {"noise-margin", F_REAL, P(noise_margin), 0, 10, NULL, 0, 0},
};

static const struct field rate_fields[] = {
    {"switches", F_COUNT, P(max_switches), 1, 32, NULL, 0, 0},
    {"per", F_DURATION, P(rate_period_ms), 1000, 7 * 86400000.0, NULL, 0, 0},
};

static const struct field smp_fields[] = {
    {"max-vcpus", F_COUNT, P(smp_max_vcpus), 1, 4096, NULL, 0, 0},
    {"max-spurious-rate", F_FRACTION, P(smp_max_spurious), 0, 1, NULL, 0, 0},
};

static const struct field cost_fields[] = {
    {"emulated-write", F_REAL, P(cost.emulated_write), 1, 1e9, NULL, 0, 0},
    {"batch", F_REAL, P(cost.batch), 0, 1e9, NULL, 0, 0},
    {"batch-entry", F_REAL, P(cost.batch_entry), 0, 1e9, NULL, 0, 0},
    {"spurious-fault", F_REAL, P(cost.spurious_fault), 0, 1e9, NULL, 0, 0},
    {"mode-switch", F_REAL, P(cost.mode_switch), 0, 1e12, NULL, 0, 0},
};

static const struct schema thresholds_schema = SCHEMA(thresholds_fields);
static const struct schema rate_schema = SCHEMA(rate_fields);
static const struct schema smp_schema = SCHEMA(smp_fields);
static const struct schema cost_schema = SCHEMA(cost_fields);

static const struct field top_fields[] = {
    {"action", F_ACTION, P(action), 0, 0, NULL, 0, 0},
    {"interval", F_DURATION, P(interval_ms), 10, 3600000, NULL, 0, 0},
    {"window", F_COUNT, P(window), 1, 64, NULL, 0, 0},
    {"handshake-timeout", F_DURATION, P(handshake_timeout_ms), 100, 600000,
     NULL, 0, 0},
    {"backoff", F_DURATION, P(backoff_ms), 100, 86400000, NULL, SLOT_BACKOFF,
     0},
    {"backoff-max", F_DURATION, P(backoff_max_ms), 100, 86400000, NULL,
     SLOT_BACKOFF_MAX, 0},
    {"thresholds", F_MAP, 0, 0, 0, &thresholds_schema, 0, 0},
    {"dwell", F_DURATION, P(min_dwell_ms), 0, 86400000, NULL, 0, 0},
    {"rate-limit", F_MAP, 0, 0, 0, &rate_schema, 0, 0},
    {"smp", F_MAP, 0, 0, 0, &smp_schema, 0, 0},
    {"cost", F_MAP, 0, 0, 0, &cost_schema, 0, 0},
    {"on-stop", F_ON_STOP, P(on_stop), 0, 0, NULL, 0, 0},
    {"guests", F_GUESTS, 0, 0, 0, NULL, 0, 0},
};

static const struct schema top_schema = SCHEMA(top_fields);

#define O(m) offsetof(struct policy_override, m)

static const struct field match_fields[] = {
    {"name", F_NAME, 0, 0, 0, NULL, 0, 1},
    {"domid", F_DOMID, O(domid), 0, MAX_DOMID, NULL, 0, 1},
    {"uuid", F_UUID, 0, 0, 0, NULL, 0, 1},
};

static const struct schema match_schema = SCHEMA(match_fields);

/* Indexes into guest_fields, checked after the walk. */
enum { G_MATCH, G_PIN, G_EXCLUDE };

static const struct field guest_fields[] = {
    [G_MATCH] = {"match", F_MAP, 0, 0, 0, &match_schema, 0, 0},
    [G_PIN] = {"pin", F_PIN, 0, 0, 0, NULL, 0, 1},
    [G_EXCLUDE] = {"exclude", F_EXCLUDE, 0, 0, 0, NULL, 0, 1},
};

static const struct schema guest_schema = SCHEMA(guest_fields);

struct walk {
	yaml_document_t *doc;
	const char *file;
	struct policy_error *err;
	struct policy pol;
	bool slot_set[SLOTS];
	yaml_mark_t slot_mark[SLOTS];
};

/* Reported as line 0, column 0 (the +1 wraps): "position unknown". */
static const yaml_mark_t nowhere = {(size_t)-1, (size_t)-1, (size_t)-1};

/* Which keys of one mapping were seen, and where. */
struct seen {
	bool set[MAX_KEYS];
	yaml_mark_t mark[MAX_KEYS];
};

static int fail(struct walk *w, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	memset(w->err, 0, sizeof(*w->err));
	snprintf(w->err->file, sizeof(w->err->file), "%s", w->file);
	w->err->line = (unsigned int)m.line + 1;
	w->err->column = (unsigned int)m.column + 1;
	va_start(ap, fmt);
	vsnprintf(w->err->msg, sizeof(w->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Quote user text in messages: bounded, printable. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static const char *kind_expect(enum field_kind k)
{
	switch (k) {
	case F_ACTION:
		return "enforce or advise";
	case F_DURATION:
		return "a duration such as 500ms, 1s, 5m or 1h";
	case F_COUNT:
	case F_DOMID:
		return "a whole number";
	case F_FRACTION:
		return "a fraction such as 0.2 or 20%";
	case F_REAL:
		return "a number";
	case F_NAME:
		return "a name glob";
	case F_UUID:
		return "a UUID such as 01234567-89ab-cdef-0123-456789abcdef";
	case F_PIN:
		return "emulate or batch";
	case F_EXCLUDE:
		return "true";
	case F_ON_STOP:
		return "keep or revert";
	default:
		return "a value";
	}
}

static void join(char *out, size_t size, const char *path, const char *key)
{
	snprintf(out, size, "%s%s%s", path, *path ? "." : "", key);
}

static int walk_map(struct walk *w, yaml_node_t *node, const struct schema *s,
		    void *base, const char *path, struct seen *seen);
static int walk_guests(struct walk *w, yaml_node_t *node);

static int range_error(struct walk *w, const struct field *f, yaml_node_t *v,
		       const char *path, const char *text)
{
	char a[32], b[32], t[48];

	if (f->kind == F_DURATION) {
		scalar_format_duration((uint64_t)f->min, a, sizeof(a));
		scalar_format_duration((uint64_t)f->max, b, sizeof(b));
	} else {
		snprintf(a, sizeof(a), "%g", f->min);
		snprintf(b, sizeof(b), "%g", f->max);
	}
	return fail(w, v->start_mark, "%s: %s is out of range (%s..%s)", path,
		    shown(text, t, sizeof(t)), a, b);
}

static int set_scalar(struct walk *w, const struct field *f, yaml_node_t *v,
		      void *base, const char *path)
{
	const char *text = (const char *)v->data.scalar.value;
	struct policy_override *o = base;
	char *dst = (char *)base + f->off;
	char t[48];
	const char *why;
	uint64_t u = 0;
	double d = 0;
	bool b;

	if (strlen(text) != v->data.scalar.length)
		return fail(w, v->start_mark, "%s: NUL character in value",
			    path);
	if (!*text)
		return fail(w, v->start_mark, "%s: missing value (expected %s)",
			    path, kind_expect(f->kind));

	switch (f->kind) {
	case F_ACTION:
		if (!strcmp(text, "enforce"))
			*(enum policy_action *)dst = POLICY_ENFORCE;
		else if (!strcmp(text, "advise"))
			*(enum policy_action *)dst = POLICY_ADVISE;
		else
			break;
		return 0;
	case F_ON_STOP:
		b = !strcmp(text, "revert");
		if (!b && strcmp(text, "keep"))
			break;
		*(enum policy_on_stop *)dst = b ? ON_STOP_REVERT : ON_STOP_KEEP;
		return 0;
	case F_DURATION:
		if (scalar_duration_ms(text, &u))
			break;
		if ((double)u < f->min || (double)u > f->max)
			return range_error(w, f, v, path, text);
		*(uint64_t *)dst = u;
		return 0;
	case F_COUNT:
	case F_DOMID:
		if (scalar_uint(text, &u))
			break;
		if ((double)u < f->min || (double)u > f->max)
			return range_error(w, f, v, path, text);
		*(unsigned int *)dst = (unsigned int)u;
		if (f->kind == F_DOMID)
			o->match = MATCH_DOMID;
		return 0;
	case F_FRACTION:
	case F_REAL:
		if ((f->kind == F_FRACTION ? scalar_fraction(text, &d)
					   : scalar_real(text, &d)))
			break;
		if (d < f->min || d > f->max)
			return range_error(w, f, v, path, text);
		*(double *)dst = d;
		return 0;
	case F_NAME:
		why = scalar_glob_problem(text);
		if (why)
			return fail(w, v->start_mark, "%s: bad glob '%s': %s",
				    path, shown(text, t, sizeof(t)), why);
		if (strlen(text) >= sizeof(o->pattern))
			return fail(w, v->start_mark,
				    "%s: pattern longer than %zu characters",
				    path, sizeof(o->pattern) - 1);
		o->match = MATCH_NAME;
		strcpy(o->pattern, text);
		return 0;
	case F_UUID:
		if (scalar_uuid(text, o->pattern))
			return fail(w, v->start_mark,
				    "%s: bad UUID '%s' (expected 8-4-4-4-12 "
				    "hex digits)",
				    path, shown(text, t, sizeof(t)));
		o->match = MATCH_UUID;
		return 0;
	case F_PIN:
		if (pt_mode_parse(text, &o->pin))
			break;
		o->kind = OVERRIDE_PIN;
		return 0;
	case F_EXCLUDE:
		if (scalar_bool(text, &b))
			break;
		if (!b)
			return fail(w, v->start_mark,
				    "%s: only 'exclude: true' is meaningful; "
				    "remove the entry instead",
				    path);
		o->kind = OVERRIDE_EXCLUDE;
		return 0;
	default:
		break;
	}
	return fail(w, v->start_mark, "%s: expected %s, found '%s'", path,
		    kind_expect(f->kind), shown(text, t, sizeof(t)));
}

/* No node, or an empty plain value, "~" or "null". */
static bool is_null(const yaml_node_t *root)
{
	const char *v;

	if (!root)
		return true;
	if (root->type != YAML_SCALAR_NODE ||
	    root->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)root->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

static int walk_field(struct walk *w, const struct field *f, yaml_node_t *v,
		      void *base, const char *path)
{
	/* A section whose entries are all commented out is empty. */
	if ((f->kind == F_MAP || f->kind == F_GUESTS) && is_null(v)) {
		if (f->kind == F_GUESTS)
			w->pol.n_overrides = 0;
		return 0;
	}
	if (f->kind == F_MAP)
		return walk_map(w, v, f->sub, base, path, NULL);
	if (f->kind == F_GUESTS)
		return walk_guests(w, v);
	if (v->type != YAML_SCALAR_NODE)
		return fail(w, v->start_mark, "%s: expected %s, found %s", path,
			    kind_expect(f->kind), type_name(v));
	if (set_scalar(w, f, v, base, path))
		return -1;
	if (f->slot) {
		w->slot_set[f->slot] = true;
		w->slot_mark[f->slot] = v->start_mark;
	}
	return 0;
}

static int walk_map(struct walk *w, yaml_node_t *node, const struct schema *s,
		    void *base, const char *path, struct seen *seen)
{
	struct seen local;
	yaml_node_pair_t *pair;
	char sub[96], t[48];

	if (!seen)
		seen = &local;
	memset(seen, 0, sizeof(*seen));
	if (node->type != YAML_MAPPING_NODE)
		return fail(w, node->start_mark,
			    "%s: expected a mapping, found %s",
			    *path ? path : "top level", type_name(node));

	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		const char *key;
		size_t i, j;

		if (k->type != YAML_SCALAR_NODE)
			return fail(w, k->start_mark,
				    "%s: keys must be plain words, found %s",
				    *path ? path : "top level", type_name(k));
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < s->n; i++)
			if (!strcmp(key, s->fields[i].key))
				break;
		if (i == s->n)
			return fail(w, k->start_mark, "unknown key '%s'%s%s",
				    shown(key, t, sizeof(t)),
				    *path ? " in " : "", path);
		if (seen->set[i])
			return fail(w, k->start_mark,
				    "duplicate key '%s' (first at line %u)",
				    key, (unsigned int)seen->mark[i].line + 1);
		for (j = 0; s->fields[i].group && j < s->n; j++)
			if (seen->set[j] &&
			    s->fields[j].group == s->fields[i].group)
				return fail(w, k->start_mark,
					    "%s: '%s' and '%s' cannot be "
					    "combined",
					    path, s->fields[j].key, key);
		seen->set[i] = true;
		seen->mark[i] = k->start_mark;
		join(sub, sizeof(sub), path, key);
		if (walk_field(w, &s->fields[i], v, base, sub))
			return -1;
	}
	return 0;
}

static int walk_guest(struct walk *w, yaml_node_t *item, size_t idx)
{
	struct policy_override o;
	struct seen seen;
	char path[32];

	memset(&o, 0, sizeof(o));
	snprintf(path, sizeof(path), "guests[%zu]", idx);
	if (item->type != YAML_MAPPING_NODE)
		return fail(w, item->start_mark,
			    "%s: expected a mapping with 'match' and 'pin' or "
			    "'exclude', found %s",
			    path, type_name(item));
	if (walk_map(w, item, &guest_schema, &o, path, &seen))
		return -1;
	if (!seen.set[G_MATCH])
		return fail(w, item->start_mark, "%s: missing 'match'", path);
	if (!seen.set[G_PIN] && !seen.set[G_EXCLUDE])
		return fail(w, item->start_mark,
			    "%s: needs 'pin: emulate|batch' or 'exclude: true'",
			    path);
	/* A match mapping without any key leaves o.match unset. */
	if (!o.pattern[0] && o.match != MATCH_DOMID)
		return fail(w, seen.mark[G_MATCH],
			    "%s.match: needs one of name, domid or uuid", path);
	o.line = (unsigned int)item->start_mark.line + 1;
	w->pol.overrides[w->pol.n_overrides++] = o;
	return 0;
}

static int walk_guests(struct walk *w, yaml_node_t *node)
{
	yaml_node_item_t *it;
	size_t idx = 0;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail(w, node->start_mark,
			    "guests: expected a list, found %s",
			    type_name(node));
	w->pol.n_overrides = 0;
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++, idx++) {
		yaml_node_t *item = yaml_document_get_node(w->doc, *it);

		if (idx >= POLICY_MAX_OVERRIDES)
			return fail(w, item->start_mark,
				    "guests: too many entries (at most %d)",
				    POLICY_MAX_OVERRIDES);
		if (walk_guest(w, item, idx))
			return -1;
	}
	return 0;
}

/* Checks between keys; point at the value the file set. */
static int cross_check(struct walk *w)
{
	const struct policy *p = &w->pol;
	enum slot s;

	if (!(p->enter_saving > p->leave_saving)) {
		s = w->slot_set[SLOT_ENTER] ? SLOT_ENTER : SLOT_LEAVE;
		return fail(w, w->slot_set[s] ? w->slot_mark[s] : nowhere,
			    "thresholds.enter-saving (%g) must exceed "
			    "thresholds.leave-saving (%g) for hysteresis",
			    p->enter_saving, p->leave_saving);
	}
	if (p->backoff_max_ms < p->backoff_ms) {
		s = w->slot_set[SLOT_BACKOFF_MAX] ? SLOT_BACKOFF_MAX
						  : SLOT_BACKOFF;
		return fail(w, w->slot_set[s] ? w->slot_mark[s] : nowhere,
			    "backoff-max must not be shorter than backoff");
	}
	return 0;
}

/* libyaml's own error, with a position computed if it gave an offset. */
static void syntax_error(struct walk *w, const yaml_parser_t *ps,
			 const char *yaml, size_t len)
{
	struct policy_error *e = w->err;
	yaml_mark_t m = ps->problem_mark;
	size_t i;

	if (ps->error == YAML_READER_ERROR) {
		m.line = 0;
		m.column = 0;
		for (i = 0; i < ps->problem_offset && i < len; i++) {
			if (yaml[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		fail(w, m, "invalid input: %s", ps->problem);
	} else if (ps->error == YAML_MEMORY_ERROR || !ps->problem) {
		fail(w, m, "%s", "out of memory");
		e->line = e->column = 0;
	} else if (ps->context) {
		fail(w, m, "YAML syntax error: %s (%s at line %u, column %u)",
		     ps->problem, ps->context,
		     (unsigned int)ps->context_mark.line + 1,
		     (unsigned int)ps->context_mark.column + 1);
	} else {
		fail(w, m, "YAML syntax error: %s", ps->problem);
	}
}

/* The anchor or alias an event carries, if any. */
static const yaml_char_t *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return ev->data.alias.anchor;
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/*
 * A first pass over the events, linear in the input, before libyaml
 * builds the tree:
 * - absurd nesting is refused: the scanner's cost grows with the square
 *   of the depth;
 * - anchors and aliases are refused: the loader looks each alias up, and
 *   checks each new anchor, in a linear list (a 1 MiB file of 38,000
 *   anchors took 12 s), and the schema has nothing to share (one value
 *   per key, overrides that must differ, no merge keys in libyaml).
 * Syntax errors surface here too, with the same messages.
 */
static int check_events(struct walk *w, const char *yaml, size_t len)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	unsigned int depth = 0;
	int rc = 0;

	if (!yaml_parser_initialize(&ps))
		return fail(w, nowhere, "%s", "out of memory");
	yaml_parser_set_input_string(&ps, (const unsigned char *)yaml, len);
	for (;;) {
		yaml_event_type_t type;
		yaml_mark_t mark;
		bool anchored;

		if (!yaml_parser_parse(&ps, &ev)) {
			syntax_error(w, &ps, yaml, len);
			rc = -1;
			break;
		}
		type = ev.type;
		mark = ev.start_mark;
		anchored = event_anchor(&ev) != NULL;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
		if (anchored) {
			rc = fail(w, mark,
				  "anchors and aliases are not supported "
				  "(write the value out)");
			break;
		}
		if (type == YAML_SEQUENCE_END_EVENT ||
		    type == YAML_MAPPING_END_EVENT)
			depth--;
		if ((type == YAML_SEQUENCE_START_EVENT ||
		     type == YAML_MAPPING_START_EVENT) &&
		    ++depth > MAX_DEPTH) {
			rc = fail(w, mark, "nesting deeper than %d levels",
				  MAX_DEPTH);
			break;
		}
	}
	yaml_parser_delete(&ps);
	return rc;
}

static int load_doc(struct walk *w, yaml_parser_t *ps, const char *yaml,
		    size_t len)
{
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int rc = 0;

	if (check_events(w, yaml, len))
		return -1;
	if (!yaml_parser_load(ps, &doc)) {
		syntax_error(w, ps, yaml, len);
		return -1;
	}
	w->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* An empty file is the built-in default (docs/policy.md). */
	if (!is_null(root))
		rc = walk_map(w, root, &top_schema, &w->pol, "", NULL);
	yaml_document_delete(&doc);
	w->doc = NULL;
	if (rc)
		return rc;

	if (!yaml_parser_load(ps, &extra)) {
		syntax_error(w, ps, yaml, len);
		return -1;
	}
	if (yaml_document_get_root_node(&extra))
		rc = fail(w, extra.start_mark,
			  "only one YAML document is allowed");
	yaml_document_delete(&extra);
	return rc;
}

int policy_load_string(const char *name, const char *yaml, size_t len,
		       struct policy *p, struct policy_error *err)
{
	struct walk *w;
	yaml_parser_t ps;
	int rc;

	/* The walk holds a whole policy; keep it off the stack. */
	w = calloc(1, sizeof(*w));
	if (!w) {
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "%s", name);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	w->file = name;
	w->err = err;
	policy_defaults(&w->pol);
	if (!yaml_parser_initialize(&ps)) {
		free(w);
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "%s", name);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)yaml, len);
	rc = load_doc(w, &ps, yaml, len);
	yaml_parser_delete(&ps);
	if (!rc)
		rc = cross_check(w);
	if (!rc) {
		snprintf(w->pol.source, sizeof(w->pol.source), "%s", name);
		*p = w->pol;
	}
	free(w);
	return rc;
}

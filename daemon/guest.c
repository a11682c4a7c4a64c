/* SPDX-License-Identifier: MIT */
/*
 * Reading what a guest writes.  Everything under data/ptswitch is written
 * by the guest and may be hostile: bounded reads, strict parsers, and a
 * bad value never replaces a good one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "guest.h"
#include "log.h"

bool guest_capable(const struct guest *g)
{
	return (g->caps & PROTO_CAPS_BATCH) == PROTO_CAPS_BATCH;
}

void guest_log_flush(struct guest *g)
{
	uint64_t now = pt_monotonic_ms();

	if (!g->log_window_ms ||
	    now - g->log_window_ms >= GUEST_LOG_WINDOW_MS) {
		if (g->log_suppressed)
			log_dom(LOG_WARNING, g->domid, NULL, "log-limited",
				"%u more lines about values written by this "
				"guest were not logged in %u s",
				g->log_suppressed, GUEST_LOG_WINDOW_MS / 1000);
		g->log_window_ms = now;
		g->log_lines = 0;
		g->log_suppressed = 0;
	}
}

bool guest_log_ok(struct guest *g)
{
	guest_log_flush(g);
	if (g->log_lines < GUEST_LOG_BURST) {
		g->log_lines++;
		return true;
	}
	g->log_suppressed++;
	return false;
}

/* Why a value was refused, in words (strerror(E2BIG) says nothing). */
static const char *why_bad(int err, char *buf, size_t size)
{
	if (err == -E2BIG)
		snprintf(buf, size, "longer than %d bytes", PROTO_MAX_VALUE);
	else if (err == -EINVAL)
		snprintf(buf, size, "malformed");
	else
		snprintf(buf, size, "%s", strerror(-err));
	return buf;
}

/*
 * A bad value: counted, and logged once per key.  A key that turns good
 * again is logged again only after a quiet minute, so that a guest
 * alternating garbage and good values is not logged for each one.
 * then: what the daemon does about it.
 */
static void reject(struct guest *g, enum guest_key key, const char *what,
		   const char *why, const char *then)
{
	g->rejected++;
	g->rejected_ms = pt_monotonic_ms();
	if (g->bad_logged & key)
		return;
	g->bad_logged |= key;
	if (!guest_log_ok(g))
		return;
	log_dom(LOG_WARNING, g->domid, NULL, "bad-guest-value",
		"rejected %s written by the guest (%s); %s; further bad "
		"values for it are counted, and logged again only after a "
		"minute without any",
		what, why, then);
}

static void reject_err(struct guest *g, enum guest_key key, const char *what,
		       int err, const char *then)
{
	char why[64];

	reject(g, key, what, why_bad(err, why, sizeof(why)), then);
}

static const char KEEP[] = "keeping the last good value";

static void accept_key(struct guest *g, enum guest_key key)
{
	if ((g->bad_logged & key) &&
	    pt_monotonic_ms() - g->rejected_ms >= GUEST_LOG_WINDOW_MS)
		g->bad_logged &= ~key;
}

static void read_agent(struct guest *g, struct store *xs, const char *path)
{
	char buf[PROTO_MAX_VALUE + 1];
	int n = store_read(xs, path, buf, PROTO_MAX_VALUE);
	int i;

	if (n == -ENOENT) {
		g->have_agent = false;
		return;
	}
	if (n < 0) {
		reject_err(g, GKEY_AGENT, "agent", n, KEEP);
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			reject_err(g, GKEY_AGENT, "agent", -EINVAL, KEEP);
			return;
		}
	}
	if (!g->have_agent && guest_log_ok(g))
		log_dom(LOG_INFO, g->domid, NULL, NULL, "agent: %s", buf);
	g->have_agent = true;
	accept_key(g, GKEY_AGENT);
}

static void read_caps(struct guest *g, struct store *xs, const char *path)
{
	char buf[PROTO_MAX_VALUE + 1];
	unsigned int caps;
	int n = store_read(xs, path, buf, PROTO_MAX_VALUE);

	if (n == -ENOENT) {
		/* No caps at all is a clear statement: not capable. */
		if (g->caps && guest_log_ok(g))
			log_dom(LOG_INFO, g->domid, NULL, NULL,
				"caps removed: no capability");
		g->caps = 0;
		return;
	}
	if (n >= 0)
		n = proto_parse_caps(buf, (size_t)n, &caps);
	if (n < 0) {
		/* Garbage must not keep a guest in BATCH. */
		g->caps = 0;
		reject_err(g, GKEY_CAPS, "caps", n,
			   "counting it as no capability");
		return;
	}
	if (caps != g->caps && guest_log_ok(g)) {
		char words[64];

		proto_format_caps(caps, words, sizeof(words));
		log_dom(LOG_INFO, g->domid, NULL, NULL, "caps now %s",
			words[0] ? words : "none");
	}
	g->caps = caps;
	accept_key(g, GKEY_CAPS);
}

static void read_caps_reason(struct guest *g, struct store *xs,
			     const char *path)
{
	char buf[PROTO_MAX_VALUE + 1], reason[PROTO_MAX_REASON + 1];
	int n = store_read(xs, path, buf, PROTO_MAX_VALUE);

	if (n == -ENOENT || n == 0) {
		g->caps_reason[0] = '\0';
		return;
	}
	if (n > 0)
		n = proto_parse_reason(buf, (size_t)n, reason);
	if (n < 0) {
		g->caps_reason[0] = '\0';
		reject_err(g, GKEY_CAPS_REASON, "caps-reason", n,
			   "showing no reason");
		return;
	}
	memcpy(g->caps_reason, reason, sizeof(reason));
	accept_key(g, GKEY_CAPS_REASON);
}

/*
 * The highest ack seq we continue from.  Our seqs start from the wall
 * clock in microseconds; one far above it is not ours (a clock stepped
 * back by days, or a guest pushing every guest's seqs towards the top).
 */
static uint64_t resync_limit(void)
{
	struct timespec ts;
	uint64_t now_us;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	return now_us + (1ull << 40) < FSM_SEQ_MAX ? now_us + (1ull << 40)
						   : FSM_SEQ_MAX;
}

static void read_ack(struct guest *g, struct store *xs, const char *path)
{
	char buf[PROTO_MAX_VALUE + 1];
	struct proto_ack a;
	int n = store_read(xs, path, buf, PROTO_MAX_VALUE);

	if (n == -ENOENT)
		return;
	if (n >= 0)
		n = proto_parse_ack(buf, (size_t)n, &a);
	if (n < 0) {
		reject_err(g, GKEY_ACK, "ack", n, "ignoring it");
		return;
	}
	accept_key(g, GKEY_ACK);
	/*
	 * Above the last seq we wrote: the agent answered a request we no
	 * longer know of (our last request was lost, e.g. with a restarted
	 * xenstored).  Continue above it, or the agent takes our next
	 * requests for replays.
	 */
	if (a.seq > g->fsm.seq && a.seq < resync_limit()) {
		if (guest_log_ok(g))
			log_dom(LOG_NOTICE, g->domid, NULL, "seq-resync",
				"ack for seq %llu is above our last request "
				"(%llu): continuing above it",
				(unsigned long long)a.seq,
				(unsigned long long)g->fsm.seq);
		fsm_resync(&g->fsm, a.seq);
		g->last_ack_seq = a.seq;
		return;
	}
	/* The answer already taken (re-read at a restart, or a spurious
	 * watch event) needs no word. */
	if (a.seq == g->last_ack_seq)
		return;
	/* Answers to requests we did not make, or replays, are ignored. */
	if (a.seq < g->last_ack_seq || a.seq > g->fsm.seq) {
		if (guest_log_ok(g))
			log_dom(LOG_INFO, g->domid, NULL, "stale-ack",
				"ignoring ack for seq %llu: %s (last request "
				"%llu)",
				(unsigned long long)a.seq,
				a.seq > g->fsm.seq
				    ? "out of range"
				    : "older than the last taken",
				(unsigned long long)g->fsm.seq);
		return;
	}
	g->last_ack_seq = a.seq;
	g->ack = a;
	g->have_ack = true;
}

/* n: what store_read() returned for it into buf. */
static void read_metric(struct guest *g, const char *name, const char *buf,
			int n)
{
	uint64_t v;

	uint64_t *kept = !strcmp(name, "forks")	    ? &g->forks
			 : !strcmp(name, "pgfault") ? &g->pgfault
						    : NULL;

	if (!proto_metric_name_ok(name)) {
		reject_err(g, GKEY_METRICS, "a metric name", -EINVAL, KEEP);
		return;
	}
	if (n == -ENOENT)
		return;
	if (n >= 0)
		n = proto_parse_u64(buf, (size_t)n, &v);
	if (n < 0) {
		reject_err(g, GKEY_METRICS, "a metric value", n, KEEP);
		return;
	}
	/* The metrics are counters since boot: they never go back. */
	if (kept && v < *kept) {
		reject(g, GKEY_METRICS, "a metric value", "went backwards",
		       KEEP);
		return;
	}
	if (kept)
		*kept = v;
	accept_key(g, GKEY_METRICS);
}

/*
 * Metrics change every agent interval in every guest: reading each one as
 * it changes would cost a xenstore round trip per event.  Check the name
 * now, read the few we keep once a stats period.
 */
static void note_metric(struct guest *g, const char *name)
{
	if (!proto_metric_name_ok(name)) {
		reject_err(g, GKEY_METRICS, "a metric name", -EINVAL,
			   "ignoring it");
		return;
	}
	if (!strcmp(name, "forks") || !strcmp(name, "pgfault"))
		g->metrics_dirty = true;
}

void guest_read_metrics(struct guest *const *gs, unsigned int n,
			struct store *xs)
{
	static const char *const kept[] = {"forks", "pgfault"};
	enum {
		N_KEPT = sizeof(kept) / sizeof(kept[0]),
		N_MAX = N_KEPT * GUEST_METRICS_MAX_GUESTS,
	};
	static char path[N_MAX][128], buf[N_MAX][PROTO_MAX_VALUE + 1];
	const char *paths[N_MAX];
	char *bufs[N_MAX];
	int res[N_MAX];
	unsigned int i, k, m = 0;

	for (i = 0; i < n && i < GUEST_METRICS_MAX_GUESTS; i++) {
		if (!gs[i]->metrics_dirty)
			continue;
		for (k = 0; k < N_KEPT; k++, m++) {
			snprintf(path[m], sizeof(path[m]),
				 "/local/domain/%u/%s/metrics/%s", gs[i]->domid,
				 PROTO_GUEST_DIR, kept[k]);
			paths[m] = path[m];
			bufs[m] = buf[m];
		}
	}
	/* All in one trip to xenstored; a lost connection shows anyway. */
	if (m)
		store_read_many(xs, m, paths, bufs, PROTO_MAX_VALUE, res);
	for (i = 0, m = 0; i < n && i < GUEST_METRICS_MAX_GUESTS; i++) {
		if (!gs[i]->metrics_dirty)
			continue;
		gs[i]->metrics_dirty = false;
		for (k = 0; k < N_KEPT; k++, m++)
			read_metric(gs[i], kept[k], buf[m], res[m]);
	}
}

/* path relative to data/ptswitch, or NULL when not below it. */
static const char *guest_rel(const struct guest *g, const char *path)
{
	char base[96];
	size_t n;

	n = (size_t)snprintf(base, sizeof(base), "/local/domain/%u/%s",
			     g->domid, PROTO_GUEST_DIR);
	if (strncmp(path, base, n) || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return path[n] ? path + n + 1 : "";
}

unsigned int guest_event_bits(struct guest *g, const char *path)
{
	const char *rel = guest_rel(g, path);
	char name[32];

	if (!rel) {
		snprintf(name, sizeof(name), "/local/domain/%u/name", g->domid);
		return strcmp(path, name) ? 0 : GEV_NAME;
	}
	if (!strcmp(rel, "agent"))
		return GKEY_AGENT;
	if (!strcmp(rel, "caps"))
		return GKEY_CAPS;
	if (!strcmp(rel, "caps-reason"))
		return GKEY_CAPS_REASON;
	if (!strcmp(rel, "ack"))
		return GKEY_ACK;
	if (!strncmp(rel, "metrics/", 8)) {
		note_metric(g, rel + 8);
		return 0;
	}
	if (!strcmp(rel, ""))
		return GEV_DIR;
	if (!strcmp(rel, "metrics"))
		return 0;
	reject_err(g, GKEY_OTHER, "an unknown node", -EINVAL, "ignoring it");
	return 0;
}

static void read_key(struct guest *g, struct store *xs, enum guest_key key)
{
	static const struct {
		enum guest_key key;
		const char *name;
		void (*read)(struct guest *, struct store *, const char *);
	} keys[] = {
	    {GKEY_AGENT, "agent", read_agent},
	    {GKEY_CAPS, "caps", read_caps},
	    {GKEY_CAPS_REASON, "caps-reason", read_caps_reason},
	    {GKEY_ACK, "ack", read_ack},
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].key != key)
			continue;
		snprintf(path, sizeof(path), "/local/domain/%u/%s/%s", g->domid,
			 PROTO_GUEST_DIR, keys[i].name);
		keys[i].read(g, xs, path);
	}
}

void guest_read_keys(struct guest *g, struct store *xs, unsigned int keys)
{
	/* caps-reason before caps: the agent writes them in that order. */
	if (keys & GKEY_AGENT)
		read_key(g, xs, GKEY_AGENT);
	if (keys & GKEY_CAPS_REASON)
		read_key(g, xs, GKEY_CAPS_REASON);
	if (keys & GKEY_CAPS)
		read_key(g, xs, GKEY_CAPS);
	if (keys & GKEY_ACK)
		read_key(g, xs, GKEY_ACK);
}

bool guest_subtree_gone(struct guest *g, struct store *xs)
{
	char path[96], buf[8];
	bool had;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", g->domid,
		 PROTO_GUEST_DIR);
	if (store_read(xs, path, buf, sizeof(buf) - 1) != -ENOENT)
		return false;
	had = g->caps || g->have_agent || g->caps_reason[0];
	g->caps = 0;
	g->have_agent = false;
	g->caps_reason[0] = '\0';
	if (had)
		log_dom(LOG_NOTICE, g->domid, NULL, "incapable",
			"the guest removed %s: no capability until its agent "
			"publishes again",
			PROTO_GUEST_DIR);
	return true;
}

void guest_read_all(struct guest *g, struct store *xs)
{
	char path[160];
	char **names;
	unsigned int i, n = 0;

	snprintf(path, sizeof(path), "/local/domain/%u/%s/agent", g->domid,
		 PROTO_GUEST_DIR);
	read_agent(g, xs, path);
	snprintf(path, sizeof(path), "/local/domain/%u/%s/caps", g->domid,
		 PROTO_GUEST_DIR);
	read_caps(g, xs, path);
	snprintf(path, sizeof(path), "/local/domain/%u/%s/caps-reason",
		 g->domid, PROTO_GUEST_DIR);
	read_caps_reason(g, xs, path);
	snprintf(path, sizeof(path), "/local/domain/%u/%s/ack", g->domid,
		 PROTO_GUEST_DIR);
	read_ack(g, xs, path);
	snprintf(path, sizeof(path), "/local/domain/%u/%s/metrics", g->domid,
		 PROTO_GUEST_DIR);
	names = store_ls(xs, path, &n);
	for (i = 0; names && i < n && i < PROTO_MAX_METRICS; i++)
		note_metric(g, names[i]);
	if (names && n > PROTO_MAX_METRICS) {
		char why[64];

		snprintf(why, sizeof(why), "%u keys, at most %d", n,
			 PROTO_MAX_METRICS);
		g->rejected += n - PROTO_MAX_METRICS - 1;
		reject(g, GKEY_METRICS, "metrics", why,
		       "ignoring the keys beyond");
	}
	free(names);
}

void guest_read_identity(struct guest *g, struct store *xs)
{
	char path[64], buf[PROTO_MAX_VALUE + 1];
	int n;

	snprintf(path, sizeof(path), "/local/domain/%u/name", g->domid);
	n = store_read(xs, path, buf, GUEST_NAME_MAX);
	if (n > 0)
		memcpy(g->name, buf, (size_t)n + 1);
	else
		snprintf(g->name, sizeof(g->name), "domain-%u", g->domid);

	/* The toolstack links the domain to /vm/<uuid>. */
	g->uuid[0] = '\0';
	snprintf(path, sizeof(path), "/local/domain/%u/vm", g->domid);
	n = store_read(xs, path, buf, PROTO_MAX_VALUE);
	if (n == 4 + GUEST_UUID_LEN && !strncmp(buf, "/vm/", 4))
		memcpy(g->uuid, buf + 4, GUEST_UUID_LEN + 1);
}

enum guest_instance guest_check_instance(const struct guest *g,
					 struct store *xs)
{
	char path[96], buf[8];

	/*
	 * Our subtree is created when we take a domain on, and only the
	 * toolstack's removal of the whole domain removes it (the guest may
	 * not): while it is there, this is the domain instance we know.
	 */
	snprintf(path, sizeof(path), "/local/domain/%u/%s", g->domid,
		 PROTO_DAEMON_DIR);
	if (store_read(xs, path, buf, sizeof(buf) - 1) != -ENOENT)
		return GUEST_SAME;
	snprintf(path, sizeof(path), "/local/domain/%u", g->domid);
	if (store_read(xs, path, buf, sizeof(buf) - 1) == -ENOENT)
		return GUEST_GONE;
	return GUEST_NEW_INSTANCE;
}

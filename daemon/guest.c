/*
 * Reading what a guest writes.  Everything under data/ptswitch is written
 * by the guest and may be hostile: bounded reads, strict parsers, and a
 * bad value never replaces a good one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "log.h"

bool guest_capable(const struct guest *g)
{
	return (g->caps & PROTO_CAPS_BATCH) == PROTO_CAPS_BATCH;
}

static void reject(struct guest *g, enum guest_key key, const char *what,
		   int err)
{
	g->rejected++;
	if (g->bad_logged & key)
		return;
	g->bad_logged |= key;
	log_dom(LOG_WARNING, g->domid, NULL, "bad-guest-value",
		"rejected %s written by the guest (%s); keeping the last good "
		"value, further bad values for it are not logged",
		what, strerror(-err));
}

static void accept_key(struct guest *g, enum guest_key key)
{
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
		reject(g, GKEY_AGENT, "agent", n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			reject(g, GKEY_AGENT, "agent", -EINVAL);
			return;
		}
	}
	if (!g->have_agent)
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
		g->caps = 0;
		return;
	}
	if (n >= 0)
		n = proto_parse_caps(buf, (size_t)n, &caps);
	if (n < 0) {
		/* Garbage must not keep a guest in BATCH. */
		g->caps = 0;
		reject(g, GKEY_CAPS, "caps", n);
		return;
	}
	if (caps != g->caps) {
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
		reject(g, GKEY_CAPS_REASON, "caps-reason", n);
		return;
	}
	memcpy(g->caps_reason, reason, sizeof(reason));
	accept_key(g, GKEY_CAPS_REASON);
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
		reject(g, GKEY_ACK, "ack", n);
		return;
	}
	accept_key(g, GKEY_ACK);
	/* Answers to requests we did not make, or replays, are ignored. */
	if (a.seq <= g->last_ack_seq || a.seq > g->fsm.seq) {
		log_dom(LOG_DEBUG, g->domid, NULL, "stale-ack",
			"ignoring ack for seq %llu (current %llu)",
			(unsigned long long)a.seq,
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

	if (!proto_metric_name_ok(name)) {
		reject(g, GKEY_METRICS, "a metric name", -EINVAL);
		return;
	}
	if (n == -ENOENT)
		return;
	if (n >= 0)
		n = proto_parse_u64(buf, (size_t)n, &v);
	if (n < 0) {
		reject(g, GKEY_METRICS, "a metric value", n);
		return;
	}
	if (!strcmp(name, "forks"))
		g->forks = v;
	else if (!strcmp(name, "pgfault"))
		g->pgfault = v;
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
		reject(g, GKEY_METRICS, "a metric name", -EINVAL);
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

void guest_read_node(struct guest *g, struct store *xs, const char *path)
{
	char base[96];
	const char *rel;
	size_t n;

	n = (size_t)snprintf(base, sizeof(base), "/local/domain/%u/%s",
			     g->domid, PROTO_GUEST_DIR);
	if (strncmp(path, base, n) || (path[n] != '\0' && path[n] != '/'))
		return;
	rel = path[n] ? path + n + 1 : "";
	if (!strcmp(rel, "agent"))
		read_agent(g, xs, path);
	else if (!strcmp(rel, "caps"))
		read_caps(g, xs, path);
	else if (!strcmp(rel, "caps-reason"))
		read_caps_reason(g, xs, path);
	else if (!strcmp(rel, "ack"))
		read_ack(g, xs, path);
	else if (!strncmp(rel, "metrics/", 8))
		note_metric(g, rel + 8);
	else if (!strcmp(rel, "") || !strcmp(rel, "metrics"))
		return; /* directory events: the watch fired on the subtree */
	else
		reject(g, GKEY_OTHER, "an unknown node", -EINVAL);
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
	for (i = 0; names && i < n && i < 4 * PROTO_MAX_METRICS; i++)
		note_metric(g, names[i]);
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

bool guest_dir_gone(const struct guest *g, struct store *xs, const char *path)
{
	char base[96], buf[8];
	int n;

	n = snprintf(base, sizeof(base), "/local/domain/%u/%s", g->domid,
		     PROTO_GUEST_DIR);
	/* Events for nodes below data/ptswitch are ordinary updates. */
	if (!strncmp(path, base, (size_t)n) && path[n] == '/')
		return false;
	snprintf(base, sizeof(base), "/local/domain/%u", g->domid);
	n = store_read(xs, base, buf, sizeof(buf) - 1);
	return n == -ENOENT;
}

/* SPDX-License-Identifier: MIT */
/* Write-on-change publication of the agent's xenstore keys. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "publish.h"

/* Redo a transaction that xenstored asks us to redo, a few times only. */
#define PUBLISH_TXN_TRIES 4

void publish_reset(struct publisher *p)
{
	memset(p, 0, sizeof(*p));
}

int publish_agent(struct publisher *p, struct xsio *x)
{
	int r;

	if (p->agent_set)
		return 0;
	r = xsio_write(x, PUBLISH_AGENT, "ptswitch-agent " PTSWITCH_VERSION);
	p->agent_set = !r;
	return r;
}

int publish_caps(struct publisher *p, struct xsio *x, unsigned int caps,
		 const char *reason)
{
	char buf[PROTO_MAX_VALUE + 1];
	int r;

	if (!reason)
		reason = "";
	if (p->caps_set && p->caps == caps && !strcmp(p->caps_reason, reason))
		return 0;
	/* The reason first: a daemon that sees new caps sees why too. */
	r = xsio_write(x, PUBLISH_CAPS_REASON, reason);
	if (r)
		return r;
	proto_format_caps(caps, buf, sizeof(buf));
	r = xsio_write(x, PUBLISH_CAPS, buf);
	if (!r) {
		p->caps_set = true;
		p->caps = caps;
		snprintf(p->caps_reason, sizeof(p->caps_reason), "%s", reason);
	}
	return r;
}

static bool metric_changed(const struct publisher *p, const struct metrics *m,
			   unsigned int i)
{
	return m->present[i] &&
	       (!p->metric_set[i] || p->metric[i] != m->value[i]);
}

static int write_metrics(struct xsio *x, const struct publisher *p,
			 const struct metrics *m, unsigned int *written)
{
	char path[sizeof(PUBLISH_METRICS) + PROTO_MAX_METRIC_NAME + 1];
	char val[24];
	unsigned int i;
	int r;

	*written = 0;
	for (i = 0; i < metric_count; i++) {
		if (!metric_changed(p, m, i))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PUBLISH_METRICS,
			 metric_defs[i].name);
		snprintf(val, sizeof(val), "%" PRIu64, m->value[i]);
		r = xsio_write(x, path, val);
		if (r)
			return r;
		(*written)++;
	}
	return 0;
}

int publish_metrics(struct publisher *p, struct xsio *x,
		    const struct metrics *m, unsigned int *written)
{
	unsigned int i, tries;
	int r;

	*written = 0;
	for (i = 0; i < metric_count; i++)
		if (metric_changed(p, m, i))
			break;
	if (i == metric_count)
		return 0;
	/* One transaction, so the daemon never sees half a sample. */
	for (tries = 0; tries < PUBLISH_TXN_TRIES; tries++) {
		r = xsio_begin(x);
		if (r)
			return r;
		r = write_metrics(x, p, m, written);
		if (r) {
			xsio_end(x, true);
			return r;
		}
		r = xsio_end(x, false);
		if (r != -EAGAIN)
			break;
	}
	if (r)
		return r;
	for (i = 0; i < metric_count; i++) {
		if (metric_changed(p, m, i)) {
			p->metric_set[i] = true;
			p->metric[i] = m->value[i];
		}
	}
	return 0;
}

int publish_ack(struct xsio *x, const struct proto_ack *ack)
{
	char buf[PROTO_MAX_VALUE + 1];

	proto_format_ack(ack, buf, sizeof(buf));
	return xsio_write(x, PUBLISH_ACK, buf);
}

/* SPDX-License-Identifier: MIT */
/*
 * The ptswitch protocol from inside the test kernel (docs/protocol.md):
 * publish agent, caps-reason, caps and metrics under data/ptswitch, answer
 * ptswitch/request in data/ptswitch/ack.  The xenstore client has no
 * watches, so the workload calls agent_poll() between its runs (a
 * documented equivalent of the real agent's watch); a request is answered
 * once, whether it is seen once or many times.
 */
#include "agent.h"
#include "pvg.h"

#define AGENT_NAME "ptswitch-agent 0.1.0-pvguest"
#define MAX_REASON 64

struct agent_stats agent_stats;

static agent_probe_t probe;
static u64 t_start;	  /* agent_start(), for the console times */
static u64 last_seq;	  /* the highest seq answered */
static char caps_now[64]; /* what we last published */
static char reason_now[MAX_REASON + 1];
static bool caps_published;
static u64 metric_last[AM_COUNT];
static bool metric_written[AM_COUNT];

static const char *const metric_name[AM_COUNT] = {
    [AM_PGFAULT] = "pgfault",
    [AM_PTE_WRITES] = "pte_writes",
    [AM_LAZY_FLUSHES] = "lazy_flushes",
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "<seq> ": decimal, no sign, no leading zero, no overflow. */
static int parse_seq(const char **s, u64 *out)
{
	const char *p = *s;
	u64 seq = 0;

	if (!is_digit(*p) || (*p == '0' && is_digit(p[1])))
		return -1;
	while (is_digit(*p)) {
		u64 d = (u64)(*p++ - '0');

		if (seq > (~0ul - d) / 10)
			return -1;
		seq = seq * 10 + d;
	}
	if (*p++ != ' ')
		return -1;
	*s = p;
	*out = seq;
	return 0;
}

/* "<seq> batch" or "<seq> emulate", nothing else. */
int agent_parse_request(const char *s, struct agent_request *r)
{
	const char *p = s;
	u64 seq;

	if (parse_seq(&p, &seq))
		return -1;
	if (!strncmp(p, "batch", 6))
		r->batch = true;
	else if (!strncmp(p, "emulate", 8))
		r->batch = false;
	else
		return -1;
	r->seq = seq;
	return 0;
}

static void put(const char *key, const char *value)
{
	char path[96];

	snprintf(path, sizeof(path), "data/ptswitch/%s", key);
	if (xs_write(path, value)) {
		agent_stats.xs_errors++;
		pr("PVGUEST: WARN agent: cannot write %s\n", path);
	}
}

/* caps-reason first, then caps: a reader never sees caps and a reason. */
void agent_reprobe(void)
{
	const char *why = probe();
	const char *caps = why ? "" : AGENT_BATCH_CAPS;

	if (!why)
		why = "";
	if (caps_published && !strncmp(caps, caps_now, sizeof(caps_now)) &&
	    !strncmp(why, reason_now, sizeof(reason_now)))
		return;
	put("caps-reason", why);
	put("caps", caps);
	snprintf(caps_now, sizeof(caps_now), "%s", caps);
	snprintf(reason_now, sizeof(reason_now), "%s", why);
	caps_published = true;
	pr("PVGUEST: LOOP caps \"%s\" caps-reason \"%s\"\n", caps, why);
}

int agent_start(agent_probe_t p, u64 t0)
{
	char ack[64];
	const char *a = ack;
	u64 seq;

	/* A new connection: forget what we wrote, publish everything. */
	memset(&agent_stats, 0, sizeof(agent_stats));
	memset(metric_written, 0, sizeof(metric_written));
	caps_published = false;
	last_seq = 0;
	probe = p;
	t_start = t0;
	/* After a restart, go on from our own last answer. */
	if (xs_read("data/ptswitch/ack", ack, sizeof(ack)) > 0 &&
	    !parse_seq(&a, &seq))
		last_seq = seq;
	if (xs_write("data/ptswitch/agent", AGENT_NAME))
		return -1;
	agent_reprobe();
	return agent_stats.xs_errors ? -1 : 0;
}

static void answer(const struct agent_request *r)
{
	const char *why = NULL;

	/* Re-check before consenting: the answer is about now. */
	agent_reprobe();
	if (r->batch)
		why = probe();
	if (why)
		snprintf(agent_stats.last_ack, sizeof(agent_stats.last_ack),
			 "%lu refuse %s", r->seq, why);
	else
		snprintf(agent_stats.last_ack, sizeof(agent_stats.last_ack),
			 "%lu ok", r->seq);
	put("ack", agent_stats.last_ack);
	last_seq = r->seq;
	agent_stats.last = *r;
	if (why)
		agent_stats.acks_refused++;
	else
		agent_stats.acks_ok++;
	pr("PVGUEST: LOOP request \"%lu %s\" ack \"%s\" t=%lu ms\n", r->seq,
	   r->batch ? "batch" : "emulate", agent_stats.last_ack,
	   (now_ns() - t_start) / 1000000);
}

enum agent_mode agent_poll(void)
{
	static char bad[64];
	struct agent_request r;
	char val[64];
	int n;

	n = xs_read("ptswitch/request", val, sizeof(val));
	if (n > 0 && !agent_parse_request(val, &r)) {
		if (r.seq > last_seq) {
			agent_stats.requests++;
			answer(&r);
		}
	} else if (n > 0 && strncmp(val, bad, sizeof(bad))) {
		/* Logged once per distinct bad value, never answered. */
		agent_stats.ignored++;
		snprintf(bad, sizeof(bad), "%s", val);
		pr("PVGUEST: WARN agent: ignoring malformed request \"%s\"\n",
		   val);
	} else if (n == -1) {
		agent_stats.xs_errors++;
	}
	n = xs_read("ptswitch/mode", val, sizeof(val));
	if (n > 0 && !strncmp(val, "batch", 6))
		return AGENT_MODE_BATCH;
	if (n > 0 && !strncmp(val, "emulate", 8))
		return AGENT_MODE_EMULATE;
	return AGENT_MODE_UNKNOWN;
}

void agent_metrics(const u64 values[AM_COUNT])
{
	char path[64], num[24];
	unsigned int i;

	for (i = 0; i < AM_COUNT; i++) {
		if (metric_written[i] && values[i] == metric_last[i])
			continue;
		snprintf(path, sizeof(path), "metrics/%s", metric_name[i]);
		snprintf(num, sizeof(num), "%lu", values[i]);
		put(path, num);
		metric_last[i] = values[i];
		metric_written[i] = true;
	}
}

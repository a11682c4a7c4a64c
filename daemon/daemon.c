/* SPDX-License-Identifier: MIT */
/*
 * The daemon's engine room: which guests exist, what the policy wants for
 * each, and carrying that out through the handshake and the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"

uint64_t ptd_realtime_s(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool ptd_advise(const struct ptswitchd *d)
{
	return d->force_advise || d->policy.action == POLICY_ADVISE ||
	       !d->be.can_switch;
}

int ptd_init(struct ptswitchd *d)
{
	d->guests = calloc(PTD_MAX_DOMID, sizeof(*d->guests));
	if (!d->guests)
		return -ENOMEM;
	/*
	 * Request seqs continue from the wall clock in microseconds: above
	 * those of any earlier run (which issued far fewer than one a
	 * microsecond), whatever xenstore kept, and never the same for two
	 * instances of a domain that reuse a domid.
	 */
	d->last_seq = realtime_us();
	return 0;
}

static void guest_forget(struct ptswitchd *d, struct guest *g)
{
	char path[96], token[16];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", g->domid,
		 PROTO_GUEST_DIR);
	snprintf(token, sizeof(token), "d%u", g->domid);
	store_unwatch(d->xs, path, token);
	snprintf(path, sizeof(path), "/local/domain/%u/name", g->domid);
	store_unwatch(d->xs, path, token);
	publish_forget(d, g);
	if (g->ev_pending) {
		struct guest **pp = &d->ev_head;

		while (*pp != g)
			pp = &(*pp)->ev_next;
		*pp = g->ev_next;
		if (d->ev_tail == g) {
			d->ev_tail = NULL;
			for (pp = &d->ev_head; *pp; pp = &(*pp)->ev_next)
				d->ev_tail = *pp;
		}
	}
	d->guests[g->domid] = NULL;
	d->n_guests--;
	log_dom(LOG_INFO, g->domid, NULL, "released", "domain gone, forgotten");
	free(g);
}

void ptd_fini(struct ptswitchd *d)
{
	unsigned int i;

	if (!d->guests)
		return;
	/*
	 * Memory only: the published state stays in xenstore so that the
	 * next run recovers every guest without flipping it.
	 */
	for (i = 0; i < PTD_MAX_DOMID; i++) {
		if (!d->guests[i])
			continue;
		free(d->guests[i]);
	}
	free(d->guests);
	d->guests = NULL;
}

/* Read a decimal value we wrote ourselves earlier (restart recovery). */
static uint64_t read_own_u64(struct ptswitchd *d, const char *path)
{
	char buf[32];
	uint64_t v = 0;
	int n = store_read(d->xs, path, buf, sizeof(buf) - 1);

	if (n > 0 && proto_parse_u64(buf, (size_t)n, &v))
		v = 0;
	return v;
}

/*
 * A daemon restart must not flip any guest: the hypervisor's mode is the
 * truth, and our published state tells how long it has been so.
 */
static void guest_recover(struct ptswitchd *d, struct guest *g,
			  enum pt_mode mode, uint64_t now_ms)
{
	char path[128], buf[PROTO_MAX_VALUE + 1];
	struct proto_request req;
	uint64_t seq, since, now_s = ptd_realtime_s(), age_ms = 0;
	int n;

	/* Every request we make is written there: it holds the last seq. */
	seq = 0;
	snprintf(path, sizeof(path), "/local/domain/%u/%s/request", g->domid,
		 PROTO_DAEMON_DIR);
	n = store_read(d->xs, path, buf, PROTO_MAX_VALUE);
	if (n > 0 && !proto_parse_request(buf, (size_t)n, &req))
		seq = req.seq;
	snprintf(path, sizeof(path), "%s/domain/%u/switches", PROTO_TOOL_DIR,
		 g->domid);
	g->switches = read_own_u64(d, path);
	snprintf(path, sizeof(path), "%s/domain/%u/since", PROTO_TOOL_DIR,
		 g->domid);
	since = read_own_u64(d, path);
	/*
	 * A guest we never saw may have been in its mode for any time:
	 * treat its dwell as served (the warm-up window still applies).
	 */
	if (since && since <= now_s)
		age_ms = (now_s - since) * 1000;
	else
		age_ms = now_ms, since = now_s;
	g->since_s = since;

	fsm_init(&g->fsm, mode, seq);
	if (seq > d->last_seq && seq < FSM_SEQ_MAX)
		d->last_seq = seq;
	/* Answers to requests of a previous run are stale. */
	g->last_ack_seq = seq;
	engine_guest_init(&g->eng, mode, now_ms > age_ms ? now_ms - age_ms : 0);
	if (seq)
		snprintf(g->fsm.reason, sizeof(g->fsm.reason), "recovered");
}

static void guest_add(struct ptswitchd *d, unsigned int domid, uint64_t now_ms)
{
	struct backend_dominfo info = {0};
	enum pt_mode mode = PT_MODE_EMULATE;
	struct guest *g;
	char path[96], token[16];
	int err;

	err = d->be.ops->get_info(&d->be, domid, &info);
	if (err) {
		log_debug("dom%u: not managed: backend: %s", domid,
			  strerror(-err));
		return;
	}
	err = d->be.ops->get_mode(&d->be, domid, &mode);
	if (err) {
		log_dom(LOG_WARNING, domid, NULL, "get-mode-failed",
			"cannot read the mode (%s); assuming emulate",
			strerror(-err));
		mode = PT_MODE_EMULATE;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		log_err("dom%u: out of memory", domid);
		return;
	}
	g->domid = domid;
	g->vcpus = info.vcpus;
	guest_read_identity(g, d->xs);
	guest_recover(d, g, mode, now_ms);
	d->guests[domid] = g;
	d->n_guests++;

	/* Our guest-visible subtree: dom0 owns it, the guest may read it. */
	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid,
		 PROTO_DAEMON_DIR);
	err = store_has_dir(d->xs, path, (int)domid)
		  ? 0
		  : store_mkdir(d->xs, path, (int)domid);
	if (err)
		log_dom(LOG_WARNING, domid, NULL, "xenstore",
			"cannot create %s: %s", path, strerror(-err));

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid,
		 PROTO_GUEST_DIR);
	snprintf(token, sizeof(token), "d%u", domid);
	err = store_watch(d->xs, path, token);
	if (err)
		log_dom(LOG_WARNING, domid, NULL, "xenstore",
			"cannot watch %s: %s", path, strerror(-err));
	/*
	 * The toolstack removes /local/domain/<id> when it destroys the
	 * domain; data/ptswitch may never have existed, so watch the name.
	 */
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	err = store_watch(d->xs, path, token);
	if (err)
		log_dom(LOG_WARNING, domid, NULL, "xenstore",
			"cannot watch %s: %s", path, strerror(-err));
	guest_read_all(g, d->xs);
	/* Published by the next tick: a scan of many guests stays quick. */
	g->stats_published_ms = now_ms - (uint64_t)(domid % 60) * 1000;
	log_dom(LOG_INFO, domid, pt_mode_name(mode), g->fsm.reason,
		"managing %s (%u vCPUs, mode %s)", g->name, g->vcpus,
		pt_mode_name(mode));
}

static bool parse_domid(const char *s, unsigned int *out)
{
	uint64_t v;

	if (proto_parse_u64(s, strlen(s), &v) || v >= PTD_MAX_DOMID)
		return false;
	*out = (unsigned int)v;
	return true;
}

void ptd_scan(struct ptswitchd *d, uint64_t now_ms)
{
	unsigned char *seen = calloc(PTD_MAX_DOMID, 1);
	struct backend_dominfo info;
	char **names;
	unsigned int i, n = 0, domid;

	if (!seen)
		return;
	names = store_ls(d->xs, "/local/domain", &n);
	for (i = 0; names && i < n; i++) {
		if (!parse_domid(names[i], &domid) || domid == 0)
			continue;
		seen[domid] = 1;
		if (!d->guests[domid])
			guest_add(d, domid, now_ms);
	}
	free(names);
	for (i = 1; i < PTD_MAX_DOMID; i++) {
		if (!d->guests[i])
			continue;
		if (!seen[i] || d->be.ops->get_info(&d->be, i, &info) == -ESRCH)
			guest_forget(d, d->guests[i]);
	}
	free(seen);
}

static void write_request(struct ptswitchd *d, struct guest *g,
			  enum proto_verb verb)
{
	struct proto_request r = {.seq = g->fsm.seq, .verb = verb};
	char path[96], buf[64];
	int err;

	proto_format_request(&r, buf, sizeof(buf));
	snprintf(path, sizeof(path), "/local/domain/%u/%s/request", g->domid,
		 PROTO_DAEMON_DIR);
	err = store_write(d->xs, path, buf);
	if (err)
		log_dom(LOG_WARNING, g->domid, NULL, "xenstore",
			"cannot write request: %s", strerror(-err));
}

/*
 * Ask the hypervisor, then believe only what it reports back.  why: the
 * reason for the switch (the policy's, or the state machine's when it
 * forces a guest out of BATCH).
 */
static void set_mode(struct ptswitchd *d, struct guest *g, enum pt_mode want,
		     const struct fsm_input *in, const char *why)
{
	enum pt_mode hv = fsm_mode(&g->fsm);
	uint64_t t0 = pt_monotonic_us(), took;
	bool was_failing = g->fsm.emulate_failing;
	char reason[sizeof(g->fsm.reason)];
	int err = d->be.ops->set_mode(&d->be, g->domid, want);
	int gerr;

	snprintf(reason, sizeof(reason), "%s", why);
	/* What a switch costs the hypervisor side (BATCH pauses the guest). */
	took = pt_monotonic_us() - t0;
	d->setmode_n++;
	d->setmode_us_total += took;
	if (took > d->setmode_us_max)
		d->setmode_us_max = took;
	gerr = d->be.ops->get_mode(&d->be, g->domid, &hv);

	if (gerr)
		hv = err ? fsm_mode(&g->fsm) : want;
	fsm_set_mode_result(&g->fsm, want, err, hv, in);
	if (err) {
		/* A failing EMULATE is retried with a back-off: log it once. */
		if (!was_failing)
			log_dom(LOG_WARNING, g->domid, pt_mode_name(hv),
				g->fsm.reason,
				"set-mode %s failed: %s; guest is in %s%s",
				pt_mode_name(want), strerror(-err),
				pt_mode_name(hv),
				g->fsm.emulate_failing
				    ? "; trying again with a back-off, not "
				      "logged again until it works"
				    : "");
		return;
	}
	if (was_failing)
		log_dom(LOG_NOTICE, g->domid, pt_mode_name(want), reason,
			"set-mode %s works again", pt_mode_name(want));
	g->switches++;
	g->since_s = ptd_realtime_s();
	engine_note_switch(&g->eng, want, in->now_ms);
	snprintf(g->fsm.reason, sizeof(g->fsm.reason), "%s", reason);
	if (want == PT_MODE_EMULATE)
		write_request(d, g, PROTO_REQ_EMULATE);
	log_dom(LOG_NOTICE, g->domid, pt_mode_name(want), g->fsm.reason,
		"switched %s to %s (%s); set-mode took %llu us", g->name,
		pt_mode_name(want), g->fsm.reason, (unsigned long long)took);
}

static void guest_step(struct ptswitchd *d, struct guest *g, uint64_t now_ms)
{
	const struct engine_decision *dec = &g->decision;
	struct fsm_input in = {
	    .now_ms = now_ms,
	    .want_batch = g->have_decision && dec->switch_now &&
			  dec->want == PT_MODE_BATCH,
	    .want_emulate = g->have_decision && dec->switch_now &&
			    dec->want == PT_MODE_EMULATE,
	    .may_switch = !ptd_advise(d),
	    .capable = guest_capable(g),
	    .have_ack = g->have_ack,
	    .ack = g->ack,
	    .timeout_ms = d->policy.handshake_timeout_ms,
	    .backoff_ms = d->policy.backoff_ms,
	    .backoff_max_ms = d->policy.backoff_max_ms,
	    .seq_floor = d->last_seq,
	};
	const char *policy_why = g->have_decision ? dec->reason : "switched";
	enum fsm_state before = g->fsm.state;

	g->have_ack = false;
	switch (fsm_step(&g->fsm, &in)) {
	case FSM_ACT_NONE:
		break;
	case FSM_ACT_REQUEST_BATCH:
		snprintf(g->request_reason, sizeof(g->request_reason), "%s",
			 policy_why);
		write_request(d, g, PROTO_REQ_BATCH);
		log_dom(LOG_INFO, g->domid, "emulate", dec->reason,
			"requested batch (seq %llu)",
			(unsigned long long)g->fsm.seq);
		break;
	case FSM_ACT_SET_BATCH:
		set_mode(d, g, PT_MODE_BATCH, &in,
			 g->request_reason[0] ? g->request_reason : policy_why);
		g->request_reason[0] = '\0';
		break;
	case FSM_ACT_SET_EMULATE:
		/*
		 * Leaving BATCH needs no consent, but does need a hypervisor.
		 * Forced (the policy did not ask): the state machine's why.
		 */
		if (d->be.can_switch)
			set_mode(d, g, PT_MODE_EMULATE, &in,
				 in.capable && in.want_emulate ? policy_why
							       : g->fsm.reason);
		break;
	}
	if (g->fsm.seq > d->last_seq && g->fsm.seq < FSM_SEQ_MAX)
		d->last_seq = g->fsm.seq;
	if (before == FSM_REQUESTED && g->fsm.state == FSM_EMULATE)
		log_dom(LOG_NOTICE, g->domid, "emulate", g->fsm.reason,
			"%s stays in emulate: %s", g->name, g->fsm.reason);
	publish_guest(d, g, now_ms);
}

/* Stats are for people: once a window, and not more than once a minute. */
static uint64_t stats_period_ms(const struct ptswitchd *d)
{
	uint64_t window = d->policy.interval_ms * d->policy.window;

	return window > 60000 ? window : 60000;
}

/*
 * The guests whose stats are due, after every guest has been decided
 * on: their metrics are read a chunk at a time, one trip to xenstored
 * each, instead of one trip per guest.
 */
static void publish_due_stats(struct ptswitchd *d, struct guest *list)
{
	struct guest *chunk[GUEST_METRICS_MAX_GUESTS];
	unsigned int i, n;

	while (list) {
		for (n = 0; list && n < GUEST_METRICS_MAX_GUESTS;
		     list = list->stats_next)
			chunk[n++] = list;
		guest_read_metrics(chunk, n, d->xs);
		for (i = 0; i < n; i++)
			publish_guest_stats(d, chunk[i]);
	}
}

void ptd_tick(struct ptswitchd *d, uint64_t now_ms)
{
	uint64_t t0 = pt_monotonic_us();
	struct guest *due = NULL, **due_tail = &due;
	unsigned int i;

	d->ticks++;
	if (d->be.ops->tick)
		d->be.ops->tick(&d->be);
	for (i = 1; i < PTD_MAX_DOMID; i++) {
		struct guest *g = d->guests[i];
		struct engine_facts facts;
		struct pt_stats st;
		enum pt_mode hv;
		int err;

		if (!g)
			continue;
		err = d->be.ops->get_stats(&d->be, g->domid, &st);
		if (err == -ESRCH) {
			guest_forget(d, g);
			continue;
		}
		/* Counter faults: the 1st, 2nd, 4th ... logged, never a flood.
		 */
		if (!err &&
		    engine_observe(&d->policy, &g->eng, &st, now_ms) ==
			ENGINE_OBS_REJECTED &&
		    !(g->eng.faults & (g->eng.faults - 1)))
			log_dom(
			    LOG_WARNING, g->domid, NULL, "counter-fault",
			    "a counter moved faster than %.0e/s (a reset or a "
			    "bogus jump): sample ignored (%llu so far)",
			    ENGINE_MAX_RATE, (unsigned long long)g->eng.faults);
		if (!!err != g->stats_failing) {
			g->stats_failing = !!err;
			if (err)
				log_dom(LOG_WARNING, g->domid, NULL,
					"get-stats-failed",
					"cannot read the counters (%s); "
					"deciding without them until it works",
					strerror(-err));
			else
				log_dom(LOG_NOTICE, g->domid, NULL, NULL,
					"counters readable again");
		}
		if (g->log_suppressed)
			guest_log_flush(g);
		if (!d->be.ops->get_mode(&d->be, g->domid, &hv) &&
		    hv != fsm_mode(&g->fsm) && g->fsm.state != FSM_REQUESTED) {
			log_dom(
			    LOG_WARNING, g->domid, pt_mode_name(hv),
			    "external-change",
			    "hypervisor reports %s, expected %s; adopting it",
			    pt_mode_name(hv), pt_mode_name(fsm_mode(&g->fsm)));
			fsm_adopt(&g->fsm, hv, "external-change");
			engine_note_switch(&g->eng, hv, now_ms);
			g->since_s = ptd_realtime_s();
		}
		g->eng.mode = fsm_mode(&g->fsm);
		facts = (struct engine_facts){
		    .name = g->name,
		    .domid = g->domid,
		    .uuid = g->uuid[0] ? g->uuid : NULL,
		    .vcpus = g->vcpus,
		    .capable = guest_capable(g),
		};
		engine_decide(&d->policy, &g->eng, &facts, now_ms,
			      &g->decision);
		g->have_decision = true;
		guest_step(d, g, now_ms);
		if (now_ms - g->stats_published_ms >= stats_period_ms(d)) {
			g->stats_next = NULL;
			*due_tail = g;
			due_tail = &g->stats_next;
			g->stats_published_ms = now_ms;
		}
	}
	publish_due_stats(d, due);
	d->tick_us_last = pt_monotonic_us() - t0;
	if (d->tick_us_last > d->tick_us_max)
		d->tick_us_max = d->tick_us_last;
}

/*
 * A watch event only notes what to read again; ptd_events_apply() reads
 * it.  A guest that rewrites a node ten thousand times between two
 * passes costs one read of it, and nobody else waits for it.
 */
void ptd_event(struct ptswitchd *d, const char *path, const char *token)
{
	unsigned int domid, bits;
	struct guest *g;

	if (token[0] == '@') {
		d->scan_pending = true;
		return;
	}
	if (!strcmp(token, PINS_TOKEN)) {
		d->pins_pending = true;
		return;
	}
	if (token[0] != 'd' || !parse_domid(token + 1, &domid))
		return;
	g = d->guests[domid];
	if (!g)
		return;
	bits = guest_event_bits(g, path);
	if (!bits)
		return;
	if (!g->ev_pending) {
		g->ev_next = NULL;
		if (d->ev_tail)
			d->ev_tail->ev_next = g;
		else
			d->ev_head = g;
		d->ev_tail = g;
	}
	g->ev_pending |= bits;
}

/* One guest's noted events: false if the guest is gone (freed). */
static bool guest_apply(struct ptswitchd *d, struct guest *g, unsigned int bits,
			uint64_t now_ms)
{
	unsigned int domid = g->domid;

	if (bits & GEV_NAME) {
		switch (guest_check_instance(g, d->xs)) {
		case GUEST_SAME:
			break;
		case GUEST_GONE:
			/* The toolstack removed the domain before (or
			 * without) a @releaseDomain we could act on. */
			d->scan_pending = true;
			return true;
		case GUEST_NEW_INSTANCE:
			/*
			 * Destroyed and created again while we looked away:
			 * nothing of the old instance (handshake, acks,
			 * switch count) may carry over to the new one.
			 */
			log_dom(LOG_NOTICE, domid, NULL, "new-instance",
				"domain %u was destroyed and created again; "
				"starting afresh",
				domid);
			guest_forget(d, g);
			guest_add(d, domid, now_ms);
			return false;
		}
	}
	if ((bits & GEV_DIR) && guest_subtree_gone(g, d->xs))
		bits &= ~(unsigned int)(GKEY_AGENT | GKEY_CAPS |
					GKEY_CAPS_REASON | GKEY_ACK);
	guest_read_keys(g, d->xs, bits);
	/* An answer or a capability change is acted on at once. */
	if (g->have_ack || (g->fsm.state != FSM_EMULATE && !guest_capable(g)))
		guest_step(d, g, now_ms);
	else
		publish_guest(d, g, now_ms);
	return true;
}

void ptd_events_apply(struct ptswitchd *d, uint64_t now_ms)
{
	struct guest *g;
	unsigned int bits;

	if (d->pins_pending) {
		d->pins_pending = false;
		pins_load(d, now_ms);
	}
	/* Domains first: a released one needs no reading. */
	if (d->scan_pending) {
		d->scan_pending = false;
		ptd_scan(d, now_ms);
	}
	while ((g = d->ev_head)) {
		d->ev_head = g->ev_next;
		if (!d->ev_head)
			d->ev_tail = NULL;
		g->ev_next = NULL;
		bits = g->ev_pending;
		g->ev_pending = 0;
		guest_apply(d, g, bits, now_ms);
		if (d->scan_pending) {
			d->scan_pending = false;
			ptd_scan(d, now_ms);
		}
	}
}

bool ptd_take_events(struct ptswitchd *d)
{
	unsigned int n;
	bool ok = true;
	char **ev;

	/*
	 * Bounded: events keep coming while we read (each read waits for
	 * xenstored, which meanwhile queues more), so "until none is
	 * left" might never end.  The rest waits for the next pass.
	 */
	for (n = 0; n < PTD_EVENTS_PER_PASS; n++) {
		ev = store_next_event(d->xs);
		if (!ev) {
			/* EAGAIN when merely nothing is pending. */
			ok = errno == EAGAIN;
			break;
		}
		ptd_event(d, ev[0], ev[1]);
		free(ev);
	}
	if (ok)
		ptd_events_apply(d, pt_monotonic_ms());
	return ok;
}

int ptd_reload(struct ptswitchd *d)
{
	struct policy_error err;
	struct policy p;

	if (!d->config_path[0]) {
		log_info("no policy file: keeping the built-in policy");
		return 0;
	}
	if (policy_load_file(d->config_path, &p, &err)) {
		policy_error_format(&err, d->policy_error,
				    sizeof(d->policy_error));
		log_err("policy not reloaded: %s; keeping the previous policy",
			d->policy_error);
		publish_daemon(d);
		return -1;
	}
	/* Nothing per guest is sized by the policy: measurements carry on. */
	d->policy = p;
	pins_policy_loaded(d);
	d->policy_error[0] = '\0';
	log_msg(LOG_NOTICE, "policy loaded from %s (%s)", d->config_path,
		d->policy.action == POLICY_ENFORCE ? "enforce" : "advise");
	publish_daemon(d);
	return 0;
}

void ptd_status(const struct ptswitchd *d, char *buf, size_t size)
{
	unsigned int i, batch = 0, req = 0;

	for (i = 1; i < PTD_MAX_DOMID; i++) {
		const struct guest *g = d->guests[i];

		if (!g)
			continue;
		if (g->fsm.state == FSM_BATCH)
			batch++;
		else if (g->fsm.state == FSM_REQUESTED)
			req++;
	}
	snprintf(buf, size, "%u guests: %u batch, %u requested; %s%s",
		 d->n_guests, batch, req, ptd_advise(d) ? "advise" : "enforce",
		 d->policy_error[0] ? "; policy error, see log" : "");
}

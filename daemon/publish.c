/* SPDX-License-Identifier: MIT */
/*
 * What the daemon publishes.  Admins read /tool/ptswitch (dom0 only);
 * each guest may read its /local/domain/<id>/ptswitch.  Every write goes
 * through store_post(), which skips values that did not change and does
 * not wait for the answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/* Nothing here waits for xenstored: a failure is logged by store.c. */
static void put(struct ptswitchd *d, const char *path, const char *value)
{
	store_post(d->xs, path, value);
}

static void putf(struct ptswitchd *d, const char *dir, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void putf(struct ptswitchd *d, const char *dir, const char *key,
		 const char *fmt, ...)
{
	char path[160], value[PROTO_MAX_VALUE + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	put(d, path, value);
}

static const char *advise_reason(const struct ptswitchd *d)
{
	if (!d->be.can_switch)
		return d->be.why_not[0] ? d->be.why_not
					: "the hypervisor cannot switch modes";
	if (d->force_advise)
		return "--advise given";
	if (d->policy.action == POLICY_ADVISE)
		return "policy action is advise";
	return "";
}

void publish_daemon(struct ptswitchd *d)
{
	const char *dir = PROTO_TOOL_DIR "/daemon";
	int err;

	err = store_mkdir(d->xs, PROTO_TOOL_DIR, -1);
	if (err)
		log_warn("cannot create %s: %s", PROTO_TOOL_DIR,
			 strerror(-err));
	putf(d, dir, "version", "%s", PTSWITCH_VERSION);
	putf(d, dir, "pid", "%ld", (long)getpid());
	putf(d, dir, "backend", "%s", d->be.ops->name);
	putf(d, dir, "policy", "%s", d->policy.source);
	putf(d, dir, "policy-error", "%s", d->policy_error);
	putf(d, dir, "mode", "%s", ptd_advise(d) ? "advise" : "enforce");
	putf(d, dir, "mode-reason", "%s", advise_reason(d));
}

static const char *guest_reason(const struct ptswitchd *d,
				const struct guest *g, uint64_t now_ms)
{
	if (g->fsm.state == FSM_REQUESTED)
		return "awaiting-ack";
	/* Stuck in BATCH: say so until it works (set-mode-emulate-failed). */
	if (g->fsm.emulate_failing)
		return g->fsm.reason;
	if (now_ms < g->fsm.backoff_until_ms || !g->have_decision)
		return g->fsm.reason;
	if (!guest_capable(g) && (!strcmp(g->decision.reason, "incapable") ||
				  g->decision.want == PT_MODE_BATCH))
		return "incapable";
	if (ptd_advise(d) && g->decision.want != fsm_mode(&g->fsm))
		return "advise";
	return g->decision.reason;
}

/* FNV-1a over the inputs of publish_guest(). */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

void publish_guest(struct ptswitchd *d, struct guest *g, uint64_t now_ms)
{
	char dir[96], caps[64];
	enum pt_mode mode = fsm_mode(&g->fsm);
	enum pt_mode desired = g->have_decision ? g->decision.want : mode;
	const char *reason = guest_reason(d, g, now_ms);
	const struct pin *pin = pins_find(&d->pins, g->uuid);
	const char *pinned = pin ? pt_mode_name(pin->mode) : "none";
	uint64_t h = 0xcbf29ce484222325ull;

	/*
	 * Called for every guest on every tick: when none of the inputs
	 * changed, skip formatting and the cache look-ups altogether.
	 */
	h = hash_bytes(h, &mode, sizeof(mode));
	h = hash_bytes(h, &desired, sizeof(desired));
	h = hash_bytes(h, &g->fsm.state, sizeof(g->fsm.state));
	h = hash_bytes(h, reason, strlen(reason) + 1);
	h = hash_bytes(h, g->caps_reason, strlen(g->caps_reason) + 1);
	h = hash_bytes(h, &g->caps, sizeof(g->caps));
	h = hash_bytes(h, &g->switches, sizeof(g->switches));
	h = hash_bytes(h, &g->since_s, sizeof(g->since_s));
	h = hash_bytes(h, &g->rejected, sizeof(g->rejected));
	h = hash_bytes(h, pinned, strlen(pinned) + 1);
	if (g->published && h == g->published_hash)
		return;
	g->published = true;
	g->published_hash = h;

	snprintf(dir, sizeof(dir), "%s/domain/%u", PROTO_TOOL_DIR, g->domid);
	putf(d, dir, "name", "%s", g->name);
	putf(d, dir, "mode", "%s", pt_mode_name(mode));
	putf(d, dir, "state", "%s", fsm_state_name(g->fsm.state));
	putf(d, dir, "desired", "%s", pt_mode_name(desired));
	/* Say why, when the agent told us why its kernel cannot. */
	if (!strcmp(reason, "incapable") && g->caps_reason[0])
		putf(d, dir, "reason", "incapable:%s", g->caps_reason);
	else
		putf(d, dir, "reason", "%s", reason);
	proto_format_caps(g->caps, caps, sizeof(caps));
	putf(d, dir, "caps", "%s", caps);
	putf(d, dir, "switches", "%llu", (unsigned long long)g->switches);
	putf(d, dir, "since", "%llu", (unsigned long long)g->since_s);
	putf(d, dir, "rejected", "%llu", (unsigned long long)g->rejected);
	/* The runtime pin in force (ptswitchctl pin), or none. */
	putf(d, dir, "pin", "%s", pinned);

	/* The guest may read the mode the hypervisor has it in. */
	snprintf(dir, sizeof(dir), "/local/domain/%u/%s", g->domid,
		 PROTO_DAEMON_DIR);
	putf(d, dir, "mode", "%s", pt_mode_name(mode));
}

/*
 * One node, refreshed at most once a stats period: with a thousand guests
 * every xenstore write counts (xenstored checks each connection for every
 * write it fires watches for).
 */
void publish_guest_stats(struct ptswitchd *d, struct guest *g)
{
	const struct pt_stats *s = &g->eng.last;
	const struct engine_decision *dec = &g->decision;
	char path[96];
	char value[PROTO_MAX_VALUE + 1];

	if (!g->eng.have_last)
		return;
	snprintf(path, sizeof(path), "%s/domain/%u/stats", PROTO_TOOL_DIR,
		 g->domid);
	snprintf(value, sizeof(value),
		 "emulated=%llu runs=%llu/%llu/%llu/%llu/%llu/%llu "
		 "batches=%llu batch-ptes=%llu spurious=%llu "
		 "unhook-refused=%llu revalidation-failures=%llu "
		 "saving=%.2f guest-forks=%llu guest-pgfault=%llu",
		 (unsigned long long)s->emulated_writes,
		 (unsigned long long)s->emul_runs[0],
		 (unsigned long long)s->emul_runs[1],
		 (unsigned long long)s->emul_runs[2],
		 (unsigned long long)s->emul_runs[3],
		 (unsigned long long)s->emul_runs[4],
		 (unsigned long long)s->emul_runs[5],
		 (unsigned long long)s->batches,
		 (unsigned long long)s->batch_ptes,
		 (unsigned long long)s->spurious_faults,
		 (unsigned long long)s->unhook_refused,
		 (unsigned long long)s->revalidation_failures,
		 g->have_decision ? dec->saving : 0.0,
		 (unsigned long long)g->forks, (unsigned long long)g->pgfault);
	put(d, path, value);
}

void publish_forget(struct ptswitchd *d, struct guest *g)
{
	char dir[96];

	snprintf(dir, sizeof(dir), "%s/domain/%u", PROTO_TOOL_DIR, g->domid);
	store_rm(d->xs, dir);
	/* The toolstack removes /local/domain/<id>; just drop our cache. */
	snprintf(dir, sizeof(dir), "/local/domain/%u", g->domid);
	store_forget(d->xs, dir);
}

/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "revert.h"

void revert_prepare(struct ptswitchd *d)
{
	struct policy_override *o = &d->policy.overrides[0];

	/*
	 * An exclusion switches a guest out of BATCH at once, past dwell and
	 * rate limit (docs/policy.md), and never starts a handshake.
	 */
	memset(o, 0, sizeof(*o));
	o->match = MATCH_NAME;
	snprintf(o->pattern, sizeof(o->pattern), "*");
	o->kind = OVERRIDE_EXCLUDE;
	d->policy.n_overrides = 1;
	d->pins.applied = 0; /* the runtime pins are overridden too */
	d->policy.action = POLICY_ENFORCE;
	d->force_advise = false;
}

bool revert_done(const struct ptswitchd *d)
{
	unsigned int i;
	bool done = true;

	for (i = 1; i < PTD_MAX_DOMID; i++) {
		const struct guest *g = d->guests[i];

		if (g && fsm_mode(&g->fsm) != PT_MODE_EMULATE) {
			log_dom(LOG_ERR, g->domid,
				pt_mode_name(fsm_mode(&g->fsm)), g->fsm.reason,
				"%s is still in %s", g->name,
				pt_mode_name(fsm_mode(&g->fsm)));
			done = false;
		}
	}
	return done;
}

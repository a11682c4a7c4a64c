/* SPDX-License-Identifier: MIT */
/*
 * ptswitchd --revert-all: every guest back to EMULATE, in one round,
 * whatever the policy says (the operator's "turn ptswitch off").
 */
#ifndef PTSWITCHD_REVERT_H
#define PTSWITCHD_REVERT_H

#include <stdbool.h>

#include "daemon.h"

/* Make the next tick switch every guest in BATCH back: exclude them all. */
void revert_prepare(struct ptswitchd *d);
/* After the tick: true if no guest is left in BATCH (each one logged). */
bool revert_done(const struct ptswitchd *d);

#endif /* PTSWITCHD_REVERT_H */

/* SPDX-License-Identifier: MIT */
/*
 * Runtime pins: ptswitchctl pin/unpin, without editing the policy.  The
 * channel is a dom0-only xenstore directory the daemon watches, one node
 * per pinned guest, named by the guest's UUID (domids are reused; names
 * may hold characters xenstore paths cannot):
 *
 *   /tool/ptswitch/pin/<uuid> = "emulate" | "batch"
 *
 * The pins go before the policy file's guest entries, so they survive a
 * reload; they live in xenstore, so they survive a daemon restart too,
 * and go with xenstored (a host reboot).  ptswitchd(8) argues the design.
 */
#ifndef PTSWITCHD_PINS_H
#define PTSWITCHD_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "proto.h"
#include "ptswitch.h"

#define PINS_DIR PROTO_TOOL_DIR "/pin"
/* The watch token: '@' and 'd' tokens are the domains'. */
#define PINS_TOKEN "pins"
#define PINS_MAX POLICY_MAX_RUNTIME_PINS
#define PIN_UUID_LEN 36

struct pin {
	char uuid[PIN_UUID_LEN + 1]; /* lower case */
	enum pt_mode mode;
};

struct pins {
	struct pin pin[PINS_MAX];
	unsigned int n;
	unsigned int applied; /* leading entries of policy.overrides ours */
};

struct ptswitchd;

/* Make the directory (dom0 only) and watch it.  0 or -errno. */
int pins_watch(struct ptswitchd *d);
/* Read the directory again: the pins it holds are in force from now. */
void pins_load(struct ptswitchd *d, uint64_t now_ms);
/* A policy was (re)loaded: put the pins in front of its overrides. */
void pins_policy_loaded(struct ptswitchd *d);
/* The runtime pin of a guest, or NULL.  uuid may be empty. */
const struct pin *pins_find(const struct pins *p, const char *uuid);

#endif /* PTSWITCHD_PINS_H */

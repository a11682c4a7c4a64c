/* SPDX-License-Identifier: MIT */
/*
 * The switching policy, loaded from YAML (config/ptswitch.yaml documents
 * every key).  Parsing never aborts: errors are reported as
 * file:line:column and the caller keeps its previous policy.
 */
#ifndef PTSWITCHD_POLICY_H
#define PTSWITCHD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptswitch.h"

enum policy_action {
	POLICY_ENFORCE, /* switch guests */
	POLICY_ADVISE,	/* decide and publish, never switch */
};

/* Cycle costs used to compare modes (see docs/cost-model.md). */
struct policy_costs {
	double emulated_write; /* one trapped and emulated PTE write */
	double batch;	       /* fixed cost of opening and closing a batch */
	double batch_entry;    /* re-validating one changed entry */
	double spurious_fault; /* one spurious fault bounced to the guest */
	double mode_switch;    /* handshake plus set-mode, amortised */
};

/* What SIGTERM (systemctl stop) does to the guests. */
enum policy_on_stop {
	ON_STOP_KEEP,	/* leave every guest in its mode (restarts flip none) */
	ON_STOP_REVERT, /* every guest back to EMULATE before exiting */
};

enum override_kind {
	OVERRIDE_PIN,	  /* always this mode (BATCH still needs consent) */
	OVERRIDE_EXCLUDE, /* never touched: stays in EMULATE */
};

enum match_kind {
	MATCH_NAME, /* fnmatch(3) glob on the domain name */
	MATCH_DOMID,
	MATCH_UUID,
};

struct policy_override {
	enum match_kind match;
	char pattern[64]; /* name glob or UUID */
	unsigned int domid;
	enum override_kind kind;
	enum pt_mode pin;  /* for OVERRIDE_PIN */
	unsigned int line; /* where it was defined, for messages */
};

#define POLICY_MAX_OVERRIDES 64
/*
 * Runtime pins (ptswitchctl pin, daemon/pins.c) go before the file's
 * overrides, in room of their own: a full file still takes them.
 */
#define POLICY_MAX_RUNTIME_PINS 32

struct policy {
	enum policy_action action;
	uint64_t interval_ms; /* sampling interval */
	unsigned int window;  /* intervals per decision window */
	uint64_t handshake_timeout_ms;
	uint64_t backoff_ms;	   /* first back-off after a failed try */
	uint64_t backoff_max_ms;   /* back-off doubles up to this */
	double enter_saving;	   /* enter BATCH above this saving */
	double leave_saving;	   /* leave BATCH below this saving */
	double min_write_rate;	   /* PTE writes/s below which: EMULATE */
	double noise_margin;	   /* standard errors to clear thresholds by */
	uint64_t min_dwell_ms;	   /* minimum time in a mode */
	unsigned int max_switches; /* per guest per rate_period */
	uint64_t rate_period_ms;
	unsigned int smp_max_vcpus; /* above this: stay in EMULATE */
	double smp_max_spurious;    /* spurious faults per batched PTE */
	enum policy_on_stop on_stop;
	struct policy_costs cost;
	size_t n_overrides;
	struct policy_override
	    overrides[POLICY_MAX_OVERRIDES + POLICY_MAX_RUNTIME_PINS];
	char source[256]; /* file it came from, or "(built-in)" */
};

struct policy_error {
	char file[256];
	unsigned int line, column; /* 1-based; 0 when unknown */
	char msg[256];
};

/* The built-in default (what the demo runs). */
void policy_defaults(struct policy *p);

/*
 * Parse a YAML policy.  Returns 0 and fills *p, or -1 and fills *err with
 * the first error.  *p is untouched on error.
 */
int policy_load_file(const char *path, struct policy *p,
		     struct policy_error *err);
int policy_load_string(const char *name, const char *yaml, size_t len,
		       struct policy *p, struct policy_error *err);

/* "file:line:column: message" */
void policy_error_format(const struct policy_error *err, char *buf,
			 size_t size);

/* First override matching a guest, or NULL. uuid may be NULL. */
const struct policy_override *policy_match(const struct policy *p,
					   const char *name, unsigned int domid,
					   const char *uuid);

#endif /* PTSWITCHD_POLICY_H */

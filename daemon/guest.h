/* SPDX-License-Identifier: MIT */
/*
 * What the daemon knows about one guest, and the reading of the values the
 * guest writes under /local/domain/<id>/data/ptswitch (untrusted input).
 */
#ifndef PTSWITCHD_GUEST_H
#define PTSWITCHD_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "fsm.h"
#include "proto.h"
#include "store.h"

#define GUEST_NAME_MAX 64
#define GUEST_UUID_LEN 36

/* Guest-written keys, as bits for "already logged as bad". */
enum guest_key {
	GKEY_AGENT = 1u << 0,
	GKEY_CAPS = 1u << 1,
	GKEY_ACK = 1u << 2,
	GKEY_METRICS = 1u << 3,
	GKEY_OTHER = 1u << 4,
	GKEY_CAPS_REASON = 1u << 5,
};

/*
 * Watch events noted for a guest since they were last acted on: the
 * GKEY_* bits of the nodes to read again, and these.  However many
 * events a guest causes, each node is read once per pass.
 */
enum guest_event {
	GEV_DIR = 1u << 8,  /* data/ptswitch itself: created or removed */
	GEV_NAME = 1u << 9, /* the name node: the domain may have gone */
};

/* Lines logged about one guest's values: at most this many a window. */
#define GUEST_LOG_BURST 5
#define GUEST_LOG_WINDOW_MS 60000

struct guest {
	unsigned int domid;
	char name[GUEST_NAME_MAX + 1];
	char uuid[GUEST_UUID_LEN + 1];
	unsigned int vcpus;

	/* From the agent; caps are 0 until a valid value arrives. */
	bool have_agent;
	unsigned int caps;
	char caps_reason[PROTO_MAX_REASON + 1]; /* why not capable */
	bool have_ack; /* ack holds a fresh, unconsumed answer */
	struct proto_ack ack;
	uint64_t last_ack_seq; /* replays at or below this are ignored */
	/*
	 * The workload metrics the daemon shows next to the hypervisor's
	 * counters; others are validated and not kept (memory per guest
	 * matters with a thousand guests).
	 */
	uint64_t forks, pgfault;
	bool metrics_dirty;	 /* read them at the next stats refresh */
	unsigned int bad_logged; /* enum guest_key bits */
	uint64_t rejected;	 /* malformed values seen */
	uint64_t rejected_ms;	 /* when the last one was */
	/* The per-guest log budget (guest_log_ok()). */
	uint64_t log_window_ms;
	unsigned int log_lines, log_suppressed;
	/* Events waiting for the next pass (daemon.c), and that list. */
	unsigned int ev_pending;
	struct guest *ev_next;
	bool stats_failing; /* get-stats failed last time (logged once) */

	struct fsm fsm;
	struct engine_guest eng;
	struct engine_decision decision;
	bool have_decision;
	/*
	 * The policy's reason when BATCH was requested: the switch happens
	 * at the ack, a tick or more later, when the engine's current
	 * reason may already say something else.
	 */
	char request_reason[sizeof(((struct engine_decision *)0)->reason)];
	uint64_t switches;
	uint64_t since_s; /* realtime of the last mode change */
	uint64_t stats_published_ms;
	struct guest *stats_next; /* list of guests due this tick */
	bool published;		  /* publish_guest() ran at least once */
	uint64_t published_hash;  /* of what it published last */
};

bool guest_capable(const struct guest *g);

/*
 * What a watch event on path (absolute) asks to read again: GKEY_* and
 * GEV_* bits, 0 for nothing.  Checks what needs no read at once (a
 * metric's name, an unknown node).
 */
unsigned int guest_event_bits(struct guest *g, const char *path);
/* Read again the nodes of GKEY_* bits (after guest_event_bits()). */
void guest_read_keys(struct guest *g, struct store *xs, unsigned int keys);
/*
 * After an event on data/ptswitch itself: true if the guest removed the
 * whole subtree (then everything it published is forgotten, and said).
 */
bool guest_subtree_gone(struct guest *g, struct store *xs);
/*
 * A line about what a guest wrote may be logged: at most
 * GUEST_LOG_BURST a window per guest, then a count of those suppressed.
 */
bool guest_log_ok(struct guest *g);
/* At a window's end: log how many lines were suppressed, if any. */
void guest_log_flush(struct guest *g);
/*
 * Read the metrics the daemon keeps of n guests, of those where they
 * changed since last time, with one wait for xenstored.
 */
#define GUEST_METRICS_MAX_GUESTS 32
void guest_read_metrics(struct guest *const *gs, unsigned int n,
			struct store *xs);
/* Read every guest-written node (new guest, or resync). */
void guest_read_all(struct guest *g, struct store *xs);
/*
 * After an event on the domain's name node: is it still the domain
 * instance we took on, has it gone, or was the domid reused meanwhile?
 */
enum guest_instance {
	GUEST_SAME,
	GUEST_GONE,
	GUEST_NEW_INSTANCE,
};
enum guest_instance guest_check_instance(const struct guest *g,
					 struct store *xs);
/* Toolstack-written facts: name and UUID. */
void guest_read_identity(struct guest *g, struct store *xs);

#endif /* PTSWITCHD_GUEST_H */

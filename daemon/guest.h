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

	struct fsm fsm;
	struct engine_guest eng;
	struct engine_sample *ring; /* eng's window, policy.window long */
	struct engine_decision decision;
	bool have_decision;
	uint64_t switches;
	uint64_t since_s; /* realtime of the last mode change */
	uint64_t stats_published_ms;
	struct guest *stats_next; /* list of guests due this tick */
	bool published;		  /* publish_guest() ran at least once */
	uint64_t published_hash;  /* of what it published last */
};

bool guest_capable(const struct guest *g);

/*
 * Re-read one guest-written node after a watch event on path (absolute).
 * Bad values are logged once per key, counted, and leave the previous
 * good value in place.
 */
void guest_read_node(struct guest *g, struct store *xs, const char *path);
/*
 * Read the metrics the daemon keeps of n guests, of those where they
 * changed since last time, with one wait for xenstored.
 */
#define GUEST_METRICS_MAX_GUESTS 32
void guest_read_metrics(struct guest *const *gs, unsigned int n,
			struct store *xs);
/* Read every guest-written node (new guest, or resync). */
void guest_read_all(struct guest *g, struct store *xs);
/* After an event on path: has the domain's directory gone? */
bool guest_dir_gone(const struct guest *g, struct store *xs, const char *path);
/* Toolstack-written facts: name and UUID. */
void guest_read_identity(struct guest *g, struct store *xs);

#endif /* PTSWITCHD_GUEST_H */

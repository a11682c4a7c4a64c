/* SPDX-License-Identifier: MIT */
/*
 * What the agent writes under data/ptswitch/: agent, caps, metrics/<name>
 * and ack.  Values are cached so that a key is written only when it
 * changes; the cache is dropped on reconnect, since a restarted xenstored
 * has forgotten everything.
 */
#ifndef PTSWITCH_PUBLISH_H
#define PTSWITCH_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "proto.h"
#include "xsio.h"

#define PUBLISH_AGENT PROTO_GUEST_DIR "/agent"
#define PUBLISH_CAPS PROTO_GUEST_DIR "/caps"
#define PUBLISH_CAPS_REASON PROTO_GUEST_DIR "/caps-reason"
#define PUBLISH_ACK PROTO_GUEST_DIR "/ack"
#define PUBLISH_METRICS PROTO_GUEST_DIR "/metrics"

struct publisher {
	bool agent_set;
	bool caps_set;
	unsigned int caps;
	char caps_reason[PROTO_MAX_REASON + 1];
	bool metric_set[METRIC_SLOTS];
	uint64_t metric[METRIC_SLOTS];
};

void publish_reset(struct publisher *p);
/* Each returns 0 or a negative errno from xenstore. */
int publish_agent(struct publisher *p, struct xsio *x);
/* caps, and why BATCH is not possible (NULL or "" when it is). */
int publish_caps(struct publisher *p, struct xsio *x, unsigned int caps,
		 const char *reason);
/* One transaction for the changed counters; *written tells how many. */
int publish_metrics(struct publisher *p, struct xsio *x,
		    const struct metrics *m, unsigned int *written);
int publish_ack(struct xsio *x, const struct proto_ack *ack);

#endif /* PTSWITCH_PUBLISH_H */

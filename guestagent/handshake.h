/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the switch handshake: decide whether a request from
 * ptswitchd needs an answer and what the answer is.  No I/O here.
 */
#ifndef PTSWITCH_HANDSHAKE_H
#define PTSWITCH_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"
#include "proto.h"

struct handshake {
	bool answered;	   /* last_seq is valid */
	uint64_t last_seq; /* highest seq answered */
};

enum handshake_verdict {
	HANDSHAKE_ANSWER,    /* write *ack */
	HANDSHAKE_MALFORMED, /* not a request: ignore */
	HANDSHAKE_STALE,     /* seq not above the last answered: ignore */
};

void handshake_init(struct handshake *h);

/* Resume after a restart from the ack we wrote before, if it parses. */
void handshake_resume(struct handshake *h, const char *ack, size_t len);

/*
 * Judge the request value buf[0..len) against a fresh probe.  BATCH is
 * acked only when the probe allows it; EMULATE is always acked, being
 * always safe.  On HANDSHAKE_ANSWER the seq counts as answered.
 */
enum handshake_verdict handshake_judge(struct handshake *h, const char *buf,
				       size_t len,
				       const struct probe_result *probe,
				       struct proto_ack *ack);

#endif /* PTSWITCH_HANDSHAKE_H */

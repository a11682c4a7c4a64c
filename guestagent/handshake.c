/* SPDX-License-Identifier: MIT */
/* Request judgement for the seq/ack handshake. */
#include <string.h>

#include "handshake.h"

void handshake_init(struct handshake *h)
{
	memset(h, 0, sizeof(*h));
}

void handshake_resume(struct handshake *h, const char *ack, size_t len)
{
	struct proto_ack a;

	if (!proto_parse_ack(ack, len, &a)) {
		h->answered = true;
		h->last_seq = a.seq;
	}
}

enum handshake_verdict handshake_judge(struct handshake *h, const char *buf,
				       size_t len,
				       const struct probe_result *probe,
				       struct proto_ack *ack)
{
	struct proto_request req;

	if (proto_parse_request(buf, len, &req))
		return HANDSHAKE_MALFORMED;
	if (h->answered && req.seq <= h->last_seq)
		return HANDSHAKE_STALE;

	memset(ack, 0, sizeof(*ack));
	ack->seq = req.seq;
	if (req.verb == PROTO_REQ_EMULATE || probe->batch_ok) {
		ack->answer = PROTO_ACK_OK;
	} else {
		ack->answer = PROTO_ACK_REFUSE;
		/* Probe reasons are protocol tokens and fit the limit. */
		strncpy(ack->reason, probe->reason ? probe->reason : "unknown",
			PROTO_MAX_REASON);
	}
	h->answered = true;
	h->last_seq = req.seq;
	return HANDSHAKE_ANSWER;
}

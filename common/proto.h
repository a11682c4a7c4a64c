/* SPDX-License-Identifier: MIT */
/*
 * The xenstore contract between ptswitchd (dom0) and ptswitch-agent (guest).
 * Every value a guest writes is untrusted: the parsers below are strict,
 * bounded and never allocate.  See docs/protocol.md.
 */
#ifndef PTSWITCH_PROTO_H
#define PTSWITCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptswitch.h"

/* Guest-writable subtree, relative to /local/domain/<id>/. */
#define PROTO_GUEST_DIR "data/ptswitch"
/* Daemon-written, guest read-only subtree, relative to /local/domain/<id>/. */
#define PROTO_DAEMON_DIR "ptswitch"
/* Admin view, dom0 only. */
#define PROTO_TOOL_DIR "/tool/ptswitch"

/* Size limits for guest-written values (bytes, excluding the NUL). */
#define PROTO_MAX_VALUE 256
#define PROTO_MAX_REASON 64
#define PROTO_MAX_METRICS 32
#define PROTO_MAX_METRIC_NAME 32

/* Capability tokens a guest may advertise in data/ptswitch/caps. */
enum proto_cap {
	PROTO_CAP_MISSING_PDE = 1u << 0,
	PROTO_CAP_SPURIOUS_FAULT = 1u << 1,
	PROTO_CAP_LAZY_FLUSH = 1u << 2,
};
#define PROTO_CAPS_BATCH                                                       \
	(PROTO_CAP_MISSING_PDE | PROTO_CAP_SPURIOUS_FAULT |                    \
	 PROTO_CAP_LAZY_FLUSH)

enum proto_verb {
	PROTO_REQ_BATCH,
	PROTO_REQ_EMULATE,
};

enum proto_answer {
	PROTO_ACK_OK,
	PROTO_ACK_REFUSE,
};

struct proto_request {
	uint64_t seq;
	enum proto_verb verb;
};

struct proto_ack {
	uint64_t seq;
	enum proto_answer answer;
	char reason[PROTO_MAX_REASON + 1]; /* only for refuse */
};

/*
 * All parsers take (buf, len) as returned by xs_read(), which need not be
 * NUL-terminated, and return 0 or -EINVAL.  Unknown capability tokens are
 * ignored (forward compatible); anything else malformed is an error.
 */
int proto_parse_u64(const char *buf, size_t len, uint64_t *out);
int proto_parse_caps(const char *buf, size_t len, unsigned int *caps);
int proto_parse_request(const char *buf, size_t len, struct proto_request *r);
int proto_parse_ack(const char *buf, size_t len, struct proto_ack *a);
/* One reason token ([a-z0-9._:-], 1..PROTO_MAX_REASON); out has room. */
int proto_parse_reason(const char *buf, size_t len, char *out);
bool proto_metric_name_ok(const char *name);

/* Formatters write a NUL-terminated string and return its length. */
size_t proto_format_caps(unsigned int caps, char *buf, size_t size);
size_t proto_format_request(const struct proto_request *r, char *buf,
			    size_t size);
size_t proto_format_ack(const struct proto_ack *a, char *buf, size_t size);

#endif /* PTSWITCH_PROTO_H */

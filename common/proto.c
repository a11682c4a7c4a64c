/* SPDX-License-Identifier: MIT */
/*
 * Strict parsers and formatters for the xenstore contract.  Guest-written
 * input is treated as hostile: bounded length, printable ASCII only, exact
 * grammar, no allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

static const struct {
	const char *name;
	unsigned int bit;
} cap_names[] = {
    {"missing-pde", PROTO_CAP_MISSING_PDE},
    {"spurious-fault", PROTO_CAP_SPURIOUS_FAULT},
    {"lazy-flush", PROTO_CAP_LAZY_FLUSH},
};

static bool printable(const char *buf, size_t len)
{
	size_t i;

	if (len > PROTO_MAX_VALUE)
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return false;
	return true;
}

/* Parse decimal digits at *pos; no sign, no leading zeros, no overflow. */
static int take_u64(const char *buf, size_t len, size_t *pos, uint64_t *out)
{
	size_t i = *pos;
	uint64_t v = 0;

	if (i >= len || buf[i] < '0' || buf[i] > '9')
		return -EINVAL;
	if (buf[i] == '0' && i + 1 < len && buf[i + 1] >= '0' &&
	    buf[i + 1] <= '9')
		return -EINVAL;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		unsigned int d = (unsigned int)(buf[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*pos = i;
	*out = v;
	return 0;
}

/* Match a word followed by end of input or a single space. */
static bool take_word(const char *buf, size_t len, size_t *pos,
		      const char *word)
{
	size_t n = strlen(word);

	if (len - *pos < n || memcmp(buf + *pos, word, n))
		return false;
	if (*pos + n < len && buf[*pos + n] != ' ')
		return false;
	*pos += n;
	return true;
}

int proto_parse_u64(const char *buf, size_t len, uint64_t *out)
{
	size_t pos = 0;

	if (!printable(buf, len) || take_u64(buf, len, &pos, out) || pos != len)
		return -EINVAL;
	return 0;
}

int proto_parse_caps(const char *buf, size_t len, unsigned int *caps)
{
	size_t pos = 0, start, i;
	unsigned int v = 0;

	if (!printable(buf, len))
		return -EINVAL;
	while (pos < len) {
		if (buf[pos] == ' ') {
			pos++;
			continue;
		}
		start = pos;
		while (pos < len && buf[pos] != ' ') {
			char c = buf[pos];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-'))
				return -EINVAL;
			pos++;
		}
		for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
			if (strlen(cap_names[i].name) == pos - start &&
			    !memcmp(buf + start, cap_names[i].name,
				    pos - start))
				v |= cap_names[i].bit;
	}
	*caps = v;
	return 0;
}

int proto_parse_request(const char *buf, size_t len, struct proto_request *r)
{
	size_t pos = 0;

	if (!printable(buf, len) || take_u64(buf, len, &pos, &r->seq) ||
	    pos >= len || buf[pos++] != ' ')
		return -EINVAL;
	if (take_word(buf, len, &pos, "batch"))
		r->verb = PROTO_REQ_BATCH;
	else if (take_word(buf, len, &pos, "emulate"))
		r->verb = PROTO_REQ_EMULATE;
	else
		return -EINVAL;
	return pos == len ? 0 : -EINVAL;
}

int proto_parse_ack(const char *buf, size_t len, struct proto_ack *a)
{
	size_t pos = 0;

	if (!printable(buf, len) || take_u64(buf, len, &pos, &a->seq) ||
	    pos >= len || buf[pos++] != ' ')
		return -EINVAL;
	a->reason[0] = '\0';
	if (take_word(buf, len, &pos, "ok")) {
		a->answer = PROTO_ACK_OK;
		return pos == len ? 0 : -EINVAL;
	}
	if (!take_word(buf, len, &pos, "refuse"))
		return -EINVAL;
	a->answer = PROTO_ACK_REFUSE;
	if (pos == len)
		return 0;
	pos++; /* the space */
	return proto_parse_reason(buf + pos, len - pos, a->reason);
}

int proto_parse_reason(const char *buf, size_t len, char *out)
{
	size_t i;

	if (len == 0 || len > PROTO_MAX_REASON)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = buf[i];

		/* A reason is one token: published verbatim by the daemon. */
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return -EINVAL;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

bool proto_metric_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > PROTO_MAX_METRIC_NAME)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

size_t proto_format_caps(unsigned int caps, char *buf, size_t size)
{
	size_t i, off = 0;
	int n;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		if (!(caps & cap_names[i].bit))
			continue;
		n = snprintf(buf + off, size - off, "%s%s", off ? " " : "",
			     cap_names[i].name);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
	return off;
}

size_t proto_format_request(const struct proto_request *r, char *buf,
			    size_t size)
{
	int n = snprintf(buf, size, "%llu %s", (unsigned long long)r->seq,
			 r->verb == PROTO_REQ_BATCH ? "batch" : "emulate");

	return n < 0 ? 0 : (size_t)n;
}

size_t proto_format_ack(const struct proto_ack *a, char *buf, size_t size)
{
	int n;

	if (a->answer == PROTO_ACK_OK)
		n = snprintf(buf, size, "%llu ok", (unsigned long long)a->seq);
	else if (a->reason[0])
		n = snprintf(buf, size, "%llu refuse %s",
			     (unsigned long long)a->seq, a->reason);
	else
		n = snprintf(buf, size, "%llu refuse",
			     (unsigned long long)a->seq);
	return n < 0 ? 0 : (size_t)n;
}

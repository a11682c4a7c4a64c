/* SPDX-License-Identifier: MIT */
/*
 * The pvguest's protocol side (tests/pvguest/agent.c), built hosted, spoken
 * to the daemon's own formatters and parsers (common/proto.c): what it
 * publishes must parse as ptswitchd parses it, and what ptswitchd writes
 * must be answered as docs/protocol.md says.  The xenstore ring is
 * replaced by a table here; the ring itself runs in the e2e loop.
 */
/*
 * First: its freestanding types.h must precede libc's headers (and
 * guestagent/ has an agent.h of its own on the include path).
 */
#include "../pvguest/agent.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

/* What agent.c calls from the rest of the test kernel. */
int xs_read(const char *path, char *buf, size_t size);
int xs_write(const char *path, const char *value);
void pr(const char *fmt, ...);
u64 now_ns(void);

#define MAX_NODES 32

static struct node {
	char path[64], value[PROTO_MAX_VALUE + 1];
	unsigned int writes;
	unsigned int order; /* when it was last written */
} nodes[MAX_NODES];
static unsigned int n_nodes, clock_writes;

static struct node *find(const char *path, bool create)
{
	unsigned int i;

	for (i = 0; i < n_nodes; i++)
		if (!strcmp(nodes[i].path, path))
			return &nodes[i];
	if (!create || n_nodes == MAX_NODES)
		return NULL;
	snprintf(nodes[n_nodes].path, sizeof(nodes[n_nodes].path), "%s", path);
	return &nodes[n_nodes++];
}

/* As the ring client: length, -2 for a missing node (XS_ERROR). */
int xs_read(const char *path, char *buf, size_t size)
{
	struct node *n = find(path, false);

	if (!n)
		return -2;
	snprintf(buf, size, "%s", n->value);
	return (int)strlen(buf);
}

int xs_write(const char *path, const char *value)
{
	struct node *n = find(path, true);

	if (!n)
		return -1;
	snprintf(n->value, sizeof(n->value), "%s", value);
	n->writes++;
	n->order = ++clock_writes;
	return 0;
}

void pr(const char *fmt, ...)
{
	(void)fmt;
}

u64 now_ns(void)
{
	return 0;
}

static const char *probe_answer;

static const char *probe(void)
{
	return probe_answer;
}

static struct node *node(const char *path)
{
	struct node *n = find(path, false);

	assert_non_null(n);
	return n;
}

/* The daemon writes a request the way ptswitchd does. */
static void daemon_requests(uint64_t seq, enum proto_verb verb)
{
	struct proto_request r = {.seq = seq, .verb = verb};
	char buf[64];

	proto_format_request(&r, buf, sizeof(buf));
	xs_write("ptswitch/request", buf);
}

/* The ack as ptswitchd reads it. */
static struct proto_ack daemon_reads_ack(void)
{
	struct node *n = node("data/ptswitch/ack");
	struct proto_ack a;

	assert_int_equal(proto_parse_ack(n->value, strlen(n->value), &a), 0);
	return a;
}

static int setup(void **state)
{
	(void)state;
	memset(nodes, 0, sizeof(nodes));
	n_nodes = 0;
	clock_writes = 0;
	probe_answer = NULL;
	return 0;
}

static void test_capable_caps(void **state)
{
	struct node *caps, *reason;
	unsigned int bits;

	(void)state;
	assert_int_equal(agent_start(probe, 0), 0);
	assert_true(!strncmp(node("data/ptswitch/agent")->value,
			     "ptswitch-agent ", 15));
	caps = node("data/ptswitch/caps");
	reason = node("data/ptswitch/caps-reason");
	assert_int_equal(
	    proto_parse_caps(caps->value, strlen(caps->value), &bits), 0);
	assert_int_equal(bits, PROTO_CAPS_BATCH);
	assert_string_equal(reason->value, "");
	/* caps-reason first: a reader never sees new caps with old reason */
	assert_true(reason->order < caps->order);
	/* Re-probing with nothing changed writes nothing. */
	agent_reprobe();
	assert_int_equal(caps->writes, 1);
	assert_int_equal(reason->writes, 1);
}

static void test_incapable_caps(void **state)
{
	struct node *caps, *reason;
	char token[PROTO_MAX_REASON + 1];
	unsigned int bits;

	(void)state;
	probe_answer = "vm-assist-off";
	assert_int_equal(agent_start(probe, 0), 0);
	caps = node("data/ptswitch/caps");
	reason = node("data/ptswitch/caps-reason");
	assert_int_equal(
	    proto_parse_caps(caps->value, strlen(caps->value), &bits), 0);
	assert_int_equal(bits, 0);
	assert_int_equal(
	    proto_parse_reason(reason->value, strlen(reason->value), token), 0);
	assert_string_equal(token, "vm-assist-off");
	/* A later failure of the live check withdraws the caps. */
	probe_answer = NULL;
	agent_reprobe();
	assert_string_equal(caps->value, "missing-pde spurious-fault "
					 "lazy-flush");
	probe_answer = "missing-pde-check-failed";
	agent_reprobe();
	assert_string_equal(caps->value, "");
	assert_string_equal(reason->value, "missing-pde-check-failed");
}

static void test_handshake(void **state)
{
	struct proto_ack a;

	(void)state;
	assert_int_equal(agent_start(probe, 0), 0);
	daemon_requests(1, PROTO_REQ_BATCH);
	agent_poll();
	a = daemon_reads_ack();
	assert_true(a.seq == 1 && a.answer == PROTO_ACK_OK);
	/* Seen again (a spurious watch, the next poll): answered once. */
	agent_poll();
	agent_poll();
	assert_int_equal(node("data/ptswitch/ack")->writes, 1);
	/* EMULATE is always fine, even when BATCH is not. */
	probe_answer = "selfcheck-failed";
	daemon_requests(2, PROTO_REQ_EMULATE);
	agent_poll();
	a = daemon_reads_ack();
	assert_true(a.seq == 2 && a.answer == PROTO_ACK_OK);
	/* The probe runs again before consenting: refused, with why. */
	daemon_requests(3, PROTO_REQ_BATCH);
	agent_poll();
	a = daemon_reads_ack();
	assert_true(a.seq == 3 && a.answer == PROTO_ACK_REFUSE);
	assert_string_equal(a.reason, "selfcheck-failed");
	assert_string_equal(node("data/ptswitch/caps")->value, "");
	assert_true(agent_stats.acks_ok == 2 && agent_stats.acks_refused == 1);
}

static void test_stale_and_malformed(void **state)
{
	static const char *const bad[] = {
	    "07 batch", "6 batchx", "6  batch", "-6 batch",
	    "+6 batch", "6 BATCH",  "6",	"6 ",
	    " 6 batch", "6 batch ", "6 refuse", "18446744073709551616 batch",
	};
	struct proto_ack a;
	unsigned int i;

	(void)state;
	/* Restarted after answering seq 5: resume from our own ack. */
	xs_write("data/ptswitch/ack", "5 ok");
	assert_int_equal(agent_start(probe, 0), 0);
	daemon_requests(5, PROTO_REQ_BATCH);
	agent_poll();
	daemon_requests(4, PROTO_REQ_BATCH);
	agent_poll();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		xs_write("ptswitch/request", bad[i]);
		agent_poll();
	}
	assert_int_equal(node("data/ptswitch/ack")->writes, 1);
	assert_true(agent_stats.requests == 0);
	daemon_requests(6, PROTO_REQ_BATCH);
	agent_poll();
	a = daemon_reads_ack();
	assert_true(a.seq == 6 && a.answer == PROTO_ACK_OK);
}

static void test_mode(void **state)
{
	(void)state;
	assert_int_equal(agent_start(probe, 0), 0);
	assert_int_equal(agent_poll(), AGENT_MODE_UNKNOWN);
	xs_write("ptswitch/mode", pt_mode_name(PT_MODE_BATCH));
	assert_int_equal(agent_poll(), AGENT_MODE_BATCH);
	xs_write("ptswitch/mode", pt_mode_name(PT_MODE_EMULATE));
	assert_int_equal(agent_poll(), AGENT_MODE_EMULATE);
	xs_write("ptswitch/mode", "batc");
	assert_int_equal(agent_poll(), AGENT_MODE_UNKNOWN);
}

static void test_metrics(void **state)
{
	u64 v[AM_COUNT] = {3, 512, 1};
	unsigned int i, metrics = 0;
	uint64_t got;

	(void)state;
	assert_int_equal(agent_start(probe, 0), 0);
	agent_metrics(v);
	for (i = 0; i < n_nodes; i++) {
		const char *name = nodes[i].path;

		if (strncmp(name, "data/ptswitch/metrics/", 22))
			continue;
		metrics++;
		assert_true(proto_metric_name_ok(name + 22));
		assert_int_equal(proto_parse_u64(nodes[i].value,
						 strlen(nodes[i].value), &got),
				 0);
	}
	assert_int_equal(metrics, AM_COUNT);
	assert_string_equal(node("data/ptswitch/metrics/pte_writes")->value,
			    "512");
	/* Only what changed is written again. */
	v[AM_PTE_WRITES] = 1024;
	agent_metrics(v);
	assert_int_equal(node("data/ptswitch/metrics/pte_writes")->writes, 2);
	assert_int_equal(node("data/ptswitch/metrics/pgfault")->writes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_capable_caps, setup),
	    cmocka_unit_test_setup(test_incapable_caps, setup),
	    cmocka_unit_test_setup(test_handshake, setup),
	    cmocka_unit_test_setup(test_stale_and_malformed, setup),
	    cmocka_unit_test_setup(test_mode, setup),
	    cmocka_unit_test_setup(test_metrics, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* The event loop: one poll() on the signalfd and the xenstore watch pipe. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "handshake.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "publish.h"
#include "xsio.h"

struct agent {
	const struct agent_opts *o;
	struct xsio xs;
	struct publisher pub;
	struct handshake hs;
	struct probe_result probe;
	uint64_t next_tick;    /* ms, monotonic */
	uint64_t next_connect; /* ms, while disconnected */
	uint64_t backoff;      /* ms */
	bool down_logged;
	char last_bad[PROTO_MAX_VALUE + 1]; /* last malformed request logged */
	char last_stale[PROTO_MAX_VALUE + 1]; /* last stale request logged */
};

static void status(struct agent *a, const char *msg)
{
	if (a->o->status)
		a->o->status(msg, true);
}

/* Errors that mean the connection is unusable, not that a write was. */
static bool conn_lost(int err)
{
	return err == -EPIPE || err == -EBADF || err == -ECONNRESET ||
	       err == -ENOTCONN || err == -EIO;
}

static void disconnect(struct agent *a, int err)
{
	log_warn("xenstore connection lost (%s); reconnecting", strerror(-err));
	xsio_close(&a->xs);
	a->backoff = AGENT_BACKOFF_MIN_MS;
	a->next_connect = pt_monotonic_ms() + a->backoff;
	status(a, "xenstore connection lost, reconnecting");
}

/* Probe again, publish caps if they changed; logs verdict changes. */
static int refresh_caps(struct agent *a)
{
	const char *old = a->probe.reason;
	bool was_ok = a->probe.batch_ok;

	probe_run(a->o->root, &a->probe);
	if (was_ok != a->probe.batch_ok ||
	    (old && a->probe.reason && strcmp(old, a->probe.reason)))
		log_info("BATCH %s (%s)",
			 a->probe.batch_ok ? "supported" : "not supported",
			 a->probe.reason ? a->probe.reason : "kernel opted in");
	if (!xsio_connected(&a->xs))
		return 0;
	return publish_caps(&a->pub, &a->xs, a->probe.caps, a->probe.reason);
}

static void log_malformed(struct agent *a, const char *val, size_t len)
{
	char shown[PROTO_MAX_VALUE + 1];
	size_t i;

	/* Log a garbled value once, not on every spurious watch event. */
	for (i = 0; i < len && i < PROTO_MAX_VALUE; i++)
		shown[i] = val[i] >= 0x20 && val[i] <= 0x7e ? val[i] : '?';
	shown[i] = '\0';
	if (!strcmp(shown, a->last_bad))
		return;
	memcpy(a->last_bad, shown, i + 1);
	log_warn("ignoring malformed request \"%s\"", shown);
}

static int handle_request(struct agent *a)
{
	char val[PROTO_MAX_VALUE + 1];
	struct proto_ack ack;
	size_t len;
	int r;

	r = xsio_read(&a->xs, XSIO_REQUEST_PATH, val, sizeof(val), &len);
	if (r == -ENOENT || r == -EACCES)
		return 0;
	if (r == -EFBIG) {
		log_malformed(a, "(oversized value)", 17);
		return 0;
	}
	if (r)
		return r;
	/* Re-check the kernel now: the answer must reflect this moment. */
	r = refresh_caps(a);
	if (r)
		return r;
	switch (handshake_judge(&a->hs, val, len, &a->probe, &ack)) {
	case HANDSHAKE_MALFORMED:
		log_malformed(a, val, len);
		return 0;
	case HANDSHAKE_STALE:
		/* Say why the daemon gets no answer, once per request. */
		if (strcmp(val, a->last_stale)) {
			snprintf(a->last_stale, sizeof(a->last_stale), "%s",
				 val);
			log_info("ignoring request \"%s\": its seq is not "
				 "above the last one answered (%" PRIu64 ")",
				 val, a->hs.last_seq);
		}
		return 0;
	case HANDSHAKE_ANSWER:
		break;
	}
	r = publish_ack(&a->xs, &ack);
	if (r)
		return r;
	log_info("request \"%s\": %s%s%s", val,
		 ack.answer == PROTO_ACK_OK ? "ok" : "refuse",
		 ack.reason[0] ? " " : "", ack.reason);
	return 0;
}

static int publish_metrics_now(struct agent *a);

/*
 * Our caps node changed or went: if it is gone (the guest removed our
 * subtree), the write cache lies; publish everything again.
 */
static int check_own(struct agent *a)
{
	char val[PROTO_MAX_VALUE + 1];
	size_t len;
	int r;

	r = xsio_read(&a->xs, PUBLISH_CAPS, val, sizeof(val), &len);
	if (r != -ENOENT)
		return r == -EFBIG || r == -EACCES ? 0 : r;
	log_info("%s was removed; publishing again", PROTO_GUEST_DIR);
	publish_reset(&a->pub);
	r = publish_agent(&a->pub, &a->xs);
	if (!r)
		r = refresh_caps(a);
	if (!r)
		r = publish_metrics_now(a);
	return r;
}

/* After xsio_drain_events(): act on what it reported. */
static int handle_events(struct agent *a, int bits)
{
	int r = 0;

	if (bits < 0)
		return bits;
	if (bits & XSIO_EV_OWN)
		r = check_own(a);
	if (!r && (bits & XSIO_EV_REQUEST))
		r = handle_request(a);
	return r;
}

static int publish_metrics_now(struct agent *a)
{
	struct metrics m;
	unsigned int n;
	int r;

	if (metrics_collect(a->o->root, &m)) {
		log_debug("no metrics readable below %s", a->o->root);
		return 0;
	}
	r = publish_metrics(&a->pub, &a->xs, &m, &n);
	if (!r)
		log_debug("published %u changed metrics", n);
	return r;
}

static void try_connect(struct agent *a)
{
	char ack[PROTO_MAX_VALUE + 1];
	size_t len;
	int r;

	r = xsio_connect(&a->xs);
	if (r) {
		if (!a->down_logged)
			log_warn("cannot connect to xenstore (%s); retrying",
				 strerror(-r));
		a->down_logged = true;
		a->next_connect = pt_monotonic_ms() + a->backoff;
		a->backoff = a->backoff * 2 > AGENT_BACKOFF_MAX_MS
				 ? AGENT_BACKOFF_MAX_MS
				 : a->backoff * 2;
		status(a, "waiting for xenstore");
		return;
	}
	a->down_logged = false;
	a->backoff = AGENT_BACKOFF_MIN_MS;
	publish_reset(&a->pub);
	/* Do not answer again what we answered before a restart. */
	if (!xsio_read(&a->xs, PUBLISH_ACK, ack, sizeof(ack), &len))
		handshake_resume(&a->hs, ack, len);
	r = publish_agent(&a->pub, &a->xs);
	if (!r)
		r = refresh_caps(a);
	if (!r)
		r = publish_metrics_now(a);
	if (r) {
		log_warn("publishing failed: %s", strerror(-r));
		if (conn_lost(r))
			disconnect(a, r);
		return;
	}
	proto_format_caps(a->probe.caps, ack, sizeof(ack));
	log_info("connected to xenstore; caps \"%s\"%s%s", ack,
		 a->probe.batch_ok ? "" : ", BATCH refused: ",
		 a->probe.batch_ok ? "" : a->probe.reason);
	status(a, a->probe.batch_ok ? "connected, BATCH supported"
				    : "connected, BATCH not supported");
}

static void tick(struct agent *a)
{
	uint64_t now = pt_monotonic_ms();
	int r;

	a->next_tick += (uint64_t)a->o->interval * 1000;
	if (a->next_tick <= now) /* suspended or starved: don't catch up */
		a->next_tick = now + (uint64_t)a->o->interval * 1000;
	r = refresh_caps(a);
	if (!r && xsio_connected(&a->xs))
		r = publish_metrics_now(a);
	/*
	 * A dead socket shows here even when no write was needed; a request
	 * event that came in meanwhile is consumed here, so answer it.
	 */
	if (!r && xsio_connected(&a->xs))
		r = handle_events(a, xsio_drain_events(&a->xs));
	if (r && xsio_connected(&a->xs)) {
		if (conn_lost(r))
			disconnect(a, r);
		else
			log_warn("publishing failed: %s", strerror(-r));
	}
}

static int wait_events(struct agent *a, int sigfd)
{
	struct pollfd pfd[2] = {
	    {.fd = sigfd, .events = POLLIN},
	    {.fd = a->xs.fd, .events = POLLIN},
	};
	uint64_t now = pt_monotonic_ms(), until = a->next_tick;
	struct signalfd_siginfo si;
	int n, timeout;

	if (!xsio_connected(&a->xs) && a->next_connect < until)
		until = a->next_connect;
	timeout = until > now ? (int)(until - now) : 0;
	n = poll(pfd, xsio_connected(&a->xs) ? 2 : 1, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[0].revents & POLLIN) {
		if (read(sigfd, &si, sizeof(si)) == sizeof(si))
			log_info("signal %u: stopping", si.ssi_signo);
		return 1;
	}
	if (n > 0 && xsio_connected(&a->xs) && pfd[1].revents) {
		n = handle_events(a, xsio_drain_events(&a->xs));
		if (n < 0 && conn_lost(n))
			disconnect(a, n);
		else if (n < 0)
			log_warn("handling request failed: %s", strerror(-n));
	}
	return 0;
}

int agent_run(const struct agent_opts *o, int sigfd)
{
	struct agent a = {.o = o};
	int r;

	xsio_init(&a.xs);
	handshake_init(&a.hs);
	publish_reset(&a.pub);
	probe_run(o->root, &a.probe);
	log_info("BATCH %s (%s)",
		 a.probe.batch_ok ? "supported" : "not supported",
		 a.probe.reason ? a.probe.reason : "kernel opted in");
	a.backoff = AGENT_BACKOFF_MIN_MS;
	a.next_connect = pt_monotonic_ms();
	a.next_tick = pt_monotonic_ms() + (uint64_t)o->interval * 1000;
	try_connect(&a);

	for (;;) {
		if (!xsio_connected(&a.xs) &&
		    pt_monotonic_ms() >= a.next_connect)
			try_connect(&a);
		if (pt_monotonic_ms() >= a.next_tick)
			tick(&a);
		r = wait_events(&a, sigfd);
		if (r)
			break;
	}
	if (o->status)
		o->status("stopping", false);
	xsio_close(&a.xs);
	return r > 0 ? 0 : r;
}

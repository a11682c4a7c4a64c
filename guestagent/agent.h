/* SPDX-License-Identifier: MIT */
/*
 * The agent's event loop: publish caps and metrics, answer requests,
 * reconnect to xenstore with back-off, stop on a signal.
 */
#ifndef PTSWITCH_AGENT_H
#define PTSWITCH_AGENT_H

#include <stdbool.h>

#define AGENT_INTERVAL_DEFAULT 10 /* seconds between metric samples */
#define AGENT_INTERVAL_MIN 1
#define AGENT_INTERVAL_MAX 3600
#define AGENT_BACKOFF_MIN_MS 500
#define AGENT_BACKOFF_MAX_MS 30000

struct agent_opts {
	const char *root;      /* where /proc and /sys are, "/" normally */
	unsigned int interval; /* seconds, AGENT_INTERVAL_MIN..MAX */
	/* Called on state changes with a one-line status, e.g. for systemd. */
	void (*status)(const char *msg, bool ready);
};

/*
 * Run until one of the signals blocked and routed to sigfd (a signalfd)
 * arrives.  Returns 0 on such a clean stop, a negative errno on a fatal
 * local error.
 */
int agent_run(const struct agent_opts *o, int sigfd);

#endif /* PTSWITCH_AGENT_H */

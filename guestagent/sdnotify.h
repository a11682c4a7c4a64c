/* SPDX-License-Identifier: MIT */
/*
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram to $NOTIFY_SOCKET.  Keeps the agent's RSS small.
 */
#ifndef PTSWITCH_SDNOTIFY_H
#define PTSWITCH_SDNOTIFY_H

#include <stdbool.h>

/* True when started by systemd with Type=notify. */
bool sdnotify_enabled(void);
/* Send "KEY=value\n..." state; returns 0 or a negative errno. */
int sdnotify_send(const char *state);

#endif /* PTSWITCH_SDNOTIFY_H */

/* SPDX-License-Identifier: MIT */
/* ptswitchctl's commands and what they share. */
#ifndef PTSWITCHCTL_CTL_H
#define PTSWITCHCTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <xenstore.h>

/* Exit statuses beyond 0 (done) and 1 (unknown guest, xenstore error). */
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

/* One node under dir into buf, "" when absent. */
void ctl_read(struct xs_handle *xs, const char *dir, const char *node,
	      char *buf, size_t size);
/* The pid holding ptswitchd's lock, 0 if none, negative if unknown. */
long ctl_daemon_pid(void);

/* ptswitchctl pin GUEST MODE / unpin GUEST. */
int ctl_pin(struct xs_handle *xs, const char *guest, const char *mode);
int ctl_unpin(struct xs_handle *xs, const char *guest);
/* The status view's lines about pins of guests that are not running. */
void ctl_list_orphan_pins(struct xs_handle *xs);

#endif /* PTSWITCHCTL_CTL_H */

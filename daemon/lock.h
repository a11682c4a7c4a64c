/* SPDX-License-Identifier: MIT */
/*
 * One ptswitchd per xenstore: an flock(2) on a file beside the xenstored
 * socket the daemon uses ($XENSTORED_PATH.ptswitchd.lock) or, for the
 * host's own xenstored, /run/ptswitchd/ptswitchd.lock.  The kernel drops
 * the lock when the holder dies, so a crash leaves nothing stale.
 */
#ifndef PTSWITCHD_LOCK_H
#define PTSWITCHD_LOCK_H

#include <stddef.h>
#include <sys/types.h>

#define LOCK_DEFAULT_PATH "/run/ptswitchd/ptswitchd.lock"

/* The lock file for the xenstore this process would talk to. */
void lock_path(char *buf, size_t size);
/*
 * Take the lock, waiting up to wait_ms for it.  Returns the open fd
 * (keep it open while running), -EWOULDBLOCK with *holder set to the
 * pid that holds it (0 if unknown), or another negative errno.
 */
int lock_take(const char *path, unsigned int wait_ms, pid_t *holder);
/* Write our pid again (after daemon(3) forked). */
void lock_update_pid(int fd);
/* The pid holding the lock, 0 if nobody does, or a negative errno. */
pid_t lock_holder(const char *path);

#endif /* PTSWITCHD_LOCK_H */

/* SPDX-License-Identifier: MIT */
/*
 * Opening the files ptswitchd and the agent read and write (policy, traces,
 * maps, state, /proc and /sys) without ever blocking in open(2): a FIFO at
 * the path would otherwise wait for a writer (or reader) forever, with the
 * daemon's signals blocked.  Only regular files are accepted.
 */
#ifndef PTSWITCH_FILEOPEN_H
#define PTSWITCH_FILEOPEN_H

#include <stdio.h>

/*
 * Open path to read: O_NONBLOCK, O_NOCTTY, O_CLOEXEC, then fstat.
 * Returns the fd, or -errno, -EINVAL for a FIFO, device, socket or
 * directory.  (A regular file reads the same with O_NONBLOCK.)
 */
int pt_open_read(const char *path);
/* The same as a stdio stream; NULL with errno set. */
FILE *pt_fopen_read(const char *path);
/*
 * Create or truncate path to write, 0644, refusing to follow a symlink
 * or to wait on a FIFO; NULL with errno set.
 */
FILE *pt_fopen_write(const char *path);
/*
 * strerror(), but "not a regular file" for EINVAL, which open(2) does not
 * return for these flags: only the type check does.
 */
const char *pt_open_strerror(int err);

#endif /* PTSWITCH_FILEOPEN_H */

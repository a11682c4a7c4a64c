/* SPDX-License-Identifier: MIT */
#ifndef PTSWITCH_XENPROBE_H
#define PTSWITCH_XENPROBE_H

#include <stddef.h>

/* The privcmd nodes, newest first: the first that exists is the one. */
extern const char *const xenprobe_privcmd_paths[];

/*
 * Whether this host runs on Xen, judged from its privcmd device node.
 * 0: a node exists.  -ENOENT: none exists (no Xen, or no xenfs/privcmd).
 * Any other -errno: a node could not be looked at (a device cgroup such
 * as a unit's DevicePolicy=closed without DeviceAllow= answers EPERM even
 * to access(F_OK)); why names the path and the error.  paths ends with
 * NULL.
 */
int xenprobe_privcmd(const char *const *paths, char *why, size_t len);

#endif

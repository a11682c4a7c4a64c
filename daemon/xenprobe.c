/* SPDX-License-Identifier: MIT */
/*
 * Is there a hypervisor?  Told apart from "there is one, but this process
 * may not use it": the operator's fix differs (boot Xen, or mount xenfs;
 * against: the unit's DeviceAllow= or running as root).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xenprobe.h"

const char *const xenprobe_privcmd_paths[] = {
    "/dev/xen/privcmd",
    "/proc/xen/privcmd",
    NULL,
};

int xenprobe_privcmd(const char *const *paths, char *why, size_t len)
{
	int denied = 0;

	if (len)
		why[0] = '\0';
	for (; *paths; paths++) {
		if (!access(*paths, F_OK))
			return 0;
		/* ENOTDIR: /proc/xen is a file or absent on this kernel. */
		if (errno == ENOENT || errno == ENOTDIR)
			continue;
		/* Keep the first refusal: later paths are older fallbacks. */
		if (!denied) {
			denied = errno;
			snprintf(why, len, "%s: %s", *paths, strerror(errno));
		}
	}
	if (denied)
		return -denied;
	snprintf(why, len, "no privcmd device");
	return -ENOENT;
}

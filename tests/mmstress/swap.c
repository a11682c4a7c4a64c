/* SPDX-License-Identifier: MIT */
/*
 * Swap, and the pressure that pushes the workers' pages out to it: a
 * memory cgroup (v2) smaller than their working set, so that reclaim
 * swaps their pages out while they write, and every read brings them
 * back through the swap-in fault.  MADV_PAGEOUT (ops.c) swaps out too.
 * The lab gives a swap device (a zram disk) with --swap; mmstress writes
 * its header and swapon()s it itself, so that ENOSYS says the kernel has
 * no swap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "mmstress.h"

static char swapped_on[256];
static char cgroup_dir[512], cgroup_home[512];
static long long pswpout0, pswpin0;

/* Linux's swap header, version 1: the first page of the area. */
static int write_swap_header(const char *dev)
{
	static unsigned char page[MM_PAGE];
	uint32_t version = 1, last_page, bad = 0;
	int fd = open(dev, O_RDWR | O_CLOEXEC), err = 0;
	off_t size;

	if (fd < 0)
		return errno;
	size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)(16 * MM_PAGE)) {
		close(fd);
		return size < 0 ? errno : ENOSPC;
	}
	last_page = (uint32_t)(size / (off_t)MM_PAGE - 1);
	memset(page, 0, sizeof(page));
	memcpy(page + 1024, &version, 4);
	memcpy(page + 1028, &last_page, 4);
	memcpy(page + 1032, &bad, 4);
	memcpy(page + MM_PAGE - 10, "SWAPSPACE2", 10);
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page) ||
	    fsync(fd))
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* Active swap areas: the lines of /proc/swaps after its header. */
static int swap_areas(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[512];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

void swap_setup(const char *dev)
{
	int n, err;

	if (access("/proc/swaps", R_OK)) {
		feature_skip(F_SWAP,
			     "no /proc/swaps (%s): kernel without "
			     "CONFIG_SWAP",
			     errname(errno));
		return;
	}
	if (dev) {
		err = write_swap_header(dev);
		if (err) {
			feature_skip(F_SWAP,
				     "cannot write a swap header on %s:"
				     " %s",
				     dev, errname(err));
			return;
		}
		if (swapon(dev, 0)) {
			feature_skip(F_SWAP, "swapon %s: %s", dev,
				     errname(errno));
			return;
		}
		snprintf(swapped_on, sizeof(swapped_on), "%s", dev);
	}
	n = swap_areas();
	if (n <= 0) {
		feature_skip(F_SWAP, "no swap area in /proc/swaps (give one "
				     "with --swap DEV)");
		return;
	}
	pswpout0 = vmstat("pswpout");
	pswpin0 = vmstat("pswpin");
	feature_on(F_SWAP);
}

static bool has_line(const char *path, const char *word)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, word) != NULL;
	fclose(f);
	return found;
}

/* The mount point of the cgroup2 hierarchy, or "" without one. */
static void cgroup2_mount(char *dst, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	char dev[256], dir[256], type[64];

	dst[0] = '\0';
	if (!f)
		return;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(dst, len, "%s", dir);
			break;
		}
	fclose(f);
}

void memcg_setup(size_t max_bytes)
{
	char mnt[256], path[800], buf[256], val[32];
	int err;

	if (!has_line("/proc/filesystems", "cgroup2")) {
		feature_skip(F_MEMCG, "no cgroup2 in /proc/filesystems: "
				      "kernel without CONFIG_CGROUPS");
		return;
	}
	/* Without swap, the cgroup's limit would end in its OOM killer. */
	if (!feature_is_on(F_SWAP)) {
		feature_skip(F_MEMCG, "needs swap (see the swap line)");
		return;
	}
	cgroup2_mount(mnt, sizeof(mnt));
	if (!mnt[0]) {
		feature_skip(F_MEMCG, "no cgroup2 mount in /proc/mounts");
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	if (sysfs_read(path, buf, sizeof(buf)) || !strstr(buf, "memory")) {
		feature_skip(F_MEMCG,
			     "no memory controller in %s: kernel "
			     "without CONFIG_MEMCG, or bound to v1",
			     path);
		return;
	}
	/* Where this process is now ("0::/path"), to go back at the end. */
	if (sysfs_read("/proc/self/cgroup", buf, sizeof(buf)) ||
	    strncmp(buf, "0::", 3)) {
		feature_skip(F_MEMCG, "/proc/self/cgroup: not on cgroup2");
		return;
	}
	snprintf(cgroup_home, sizeof(cgroup_home), "%s%s", mnt, buf + 3);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", mnt);
	sysfs_write(path, "+memory"); /* may be on already */
	snprintf(cgroup_dir, sizeof(cgroup_dir), "%s/mmstress-%d", mnt,
		 (int)getpid());
	if (mkdir(cgroup_dir, 0755) && errno != EEXIST) {
		feature_skip(F_MEMCG, "mkdir %s: %s", cgroup_dir,
			     errname(errno));
		cgroup_dir[0] = '\0';
		return;
	}
	snprintf(val, sizeof(val), "%zu", max_bytes);
	snprintf(path, sizeof(path), "%s/memory.max", cgroup_dir);
	err = sysfs_write(path, val);
	if (!err) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_dir);
		err = sysfs_write(path, "0");
	}
	if (err) {
		feature_skip(F_MEMCG, "%s: %s", path, errname(err));
		rmdir(cgroup_dir);
		cgroup_dir[0] = '\0';
		return;
	}
	feature_on(F_MEMCG);
	feature_note(F_MEMCG, "memory.max=%zu", max_bytes);
}

static void memcg_teardown(void)
{
	char path[800], buf[256];
	long long hits = -1;
	FILE *f;

	if (!cgroup_dir[0])
		return;
	snprintf(path, sizeof(path), "%s/memory.events", cgroup_dir);
	f = fopen(path, "re");
	if (f) {
		while (fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "max ", 4))
				hits = strtoll(buf + 4, NULL, 10);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_home);
	sysfs_write(path, "0");
	if (rmdir(cgroup_dir))
		fprintf(stderr, "mmstress: rmdir %s: %s\n", cgroup_dir,
			errname(errno));
	feature_count(F_MEMCG, hits > 0 ? (uint64_t)hits : 0);
	cgroup_dir[0] = '\0';
}

void swap_report(void)
{
	long long out = vmstat("pswpout"), in = vmstat("pswpin");

	if (!feature_is_on(F_SWAP))
		return;
	feature_count(F_SWAP, out > pswpout0 ? (uint64_t)(out - pswpout0) : 0);
	feature_note(F_SWAP, "pswpout=+%lld pswpin=+%lld%s%s", out - pswpout0,
		     in - pswpin0, swapped_on[0] ? " swapon=" : "", swapped_on);
}

void swap_teardown(void)
{
	memcg_teardown();
	swap_report();
	if (swapped_on[0] && swapoff(swapped_on))
		fprintf(stderr, "mmstress: swapoff %s: %s\n", swapped_on,
			errname(errno));
	swapped_on[0] = '\0';
}

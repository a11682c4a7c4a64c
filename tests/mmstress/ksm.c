/* SPDX-License-Identifier: MIT */
/*
 * KSM: the workers' KSM regions repeat 16 page contents across both
 * workers, so ksmd merges them into shared write-protected pages (it
 * walks and rewrites the PTEs: the walker to drive), and every round each
 * worker breaks a few merged pages with a write (copy on write from a
 * KSM page) and gives the earlier ones their common content back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmstress.h"

#define KSM "/sys/kernel/mm/ksm/"

/* What we changed in ksm's sysfs, to put it back at the end. */
static char old_run[16], old_scan[16], old_sleep[16];

void ksm_setup(bool allow_sysfs)
{
	void *page = mmap(NULL, MM_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char run[16];
	int err;

	if (page == MAP_FAILED) {
		feature_skip(F_KSM, "mmap: %s", errname(errno));
		return;
	}
	err = madvise(page, MM_PAGE, MADV_MERGEABLE) ? errno : 0;
	munmap(page, MM_PAGE);
	if (err) {
		feature_skip(F_KSM, "MADV_MERGEABLE: %s%s", errname(err),
			     err == EINVAL ? ": kernel without CONFIG_KSM"
					   : "");
		return;
	}
	err = sysfs_read(KSM "run", run, sizeof(run));
	if (err) {
		feature_skip(F_KSM, KSM "run: %s", errname(err));
		return;
	}
	if (strcmp(run, "1")) {
		if (!allow_sysfs) {
			feature_skip(F_KSM,
				     "ksmd not running (" KSM
				     "run=%s) and --no-sysfs",
				     run);
			return;
		}
		/* Fast scans: a short run under TCG must still merge. */
		snprintf(old_run, sizeof(old_run), "%s", run);
		sysfs_read(KSM "pages_to_scan", old_scan, sizeof(old_scan));
		sysfs_read(KSM "sleep_millisecs", old_sleep, sizeof(old_sleep));
		sysfs_write(KSM "pages_to_scan", "1000");
		sysfs_write(KSM "sleep_millisecs", "20");
		err = sysfs_write(KSM "run", "1");
		if (err) {
			feature_skip(F_KSM, "writing 1 to " KSM "run: %s",
				     errname(err));
			ksm_teardown();
			return;
		}
	}
	feature_on(F_KSM);
}

int ksm_merge(struct region *r)
{
	if (madvise(r->base, r->pages * MM_PAGE, MADV_MERGEABLE))
		return errno;
	return 0;
}

long long ksm_sharing(void)
{
	long long n = sysfs_number("/proc/self/ksm_merging_pages");

	return n >= 0 ? n : sysfs_number(KSM "pages_sharing");
}

void ksm_teardown(void)
{
	if (old_run[0]) {
		sysfs_write(KSM "run", old_run);
		if (old_scan[0])
			sysfs_write(KSM "pages_to_scan", old_scan);
		if (old_sleep[0])
			sysfs_write(KSM "sleep_millisecs", old_sleep);
	}
	old_run[0] = '\0';
}

/* SPDX-License-Identifier: MIT */
/*
 * Readers of the workers' page tables through /proc while they change
 * them: a thread of this process reads /proc/self/pagemap over every
 * region, /proc/self/smaps whole, and writes /proc/self/clear_refs
 * (which walks the PTEs and clears their accessed or soft-dirty bits); a
 * child process does the same through /proc/<pid>/, from another mm.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmstress.h"

#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)

/* Shared with the reader process (MAP_SHARED): its figures. */
struct shared {
	uint64_t passes, errors;
	int stop;
	int err; /* the first errno it met */
};

static struct region *const *regions;
static size_t nregions;
static pthread_t thread;
static bool stop, thread_up;
static pid_t child = -1;
static struct shared *sh;
static uint64_t present_max, swapped_max, passes;

/* One pass over DIR's pagemap for every region; 0 or errno. */
static int read_pagemap(const char *dir, uint64_t *present, uint64_t *swap)
{
	static __thread uint64_t ent[512];
	char path[64];
	size_t k, off;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/pagemap", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	*present = *swap = 0;
	for (k = 0; k < nregions && !err; k++) {
		const struct region *r = regions[k];
		uintptr_t base =
		    (uintptr_t)__atomic_load_n(&r->base, __ATOMIC_RELAXED);

		for (off = 0; off < r->pages; off += 512) {
			size_t n = r->pages - off < 512 ? r->pages - off : 512;
			off_t at = (off_t)((base / MM_PAGE + off) * 8);
			ssize_t got = pread(fd, ent, n * 8, at);
			size_t i;

			if (got < 0) {
				err = errno;
				break;
			}
			for (i = 0; i < (size_t)got / 8; i++) {
				*present += !!(ent[i] & PM_PRESENT);
				*swap += !!(ent[i] & PM_SWAP);
			}
		}
	}
	close(fd);
	return err;
}

/* Reads DIR/smaps to its end; 0 or errno (EIO if it had no Rss line). */
static int read_smaps(const char *dir)
{
	static __thread char buf[16384];
	char path[64];
	bool rss = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/smaps", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		rss |= strstr(buf, "Rss:") != NULL;
	}
	n = n < 0 ? errno : 0;
	close(fd);
	return n ? (int)n : rss ? 0 : EIO;
}

/* "1" clears the accessed bits, "4" the soft-dirty bits (write-protects). */
static int write_clear_refs(const char *dir, uint64_t pass)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/clear_refs", dir);
	return sysfs_write(path, pass % 2 ? "4" : "1");
}

static void *reader(void *arg)
{
	uint64_t p, s;
	int err;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (feature_is_on(F_PAGEMAP)) {
			err = read_pagemap("/proc/self", &p, &s);
			if (err)
				feature_fail(F_PAGEMAP, "read: %s",
					     errname(err));
			feature_count(F_PAGEMAP, 1);
			present_max = p > present_max ? p : present_max;
			swapped_max = s > swapped_max ? s : swapped_max;
		}
		if (feature_is_on(F_SMAPS)) {
			err = read_smaps("/proc/self");
			if (err)
				feature_fail(F_SMAPS, "read: %s", errname(err));
			feature_count(F_SMAPS, 1);
		}
		if (feature_is_on(F_CLEAR_REFS)) {
			err = write_clear_refs("/proc/self", passes);
			if (err)
				feature_fail(F_CLEAR_REFS, "write: %s",
					     errname(err));
			feature_count(F_CLEAR_REFS, 1);
		}
		passes++;
		usleep(2000);
	}
	return NULL;
}

/* The reader process: the same through /proc/<parent>/, until told. */
static void outside(pid_t parent, bool pagemap, bool smaps, bool refs)
{
	char dir[32];
	uint64_t p, s;
	int err;

	snprintf(dir, sizeof(dir), "/proc/%d", (int)parent);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		err = 0;
		if (pagemap)
			err = read_pagemap(dir, &p, &s);
		if (!err && smaps)
			err = read_smaps(dir);
		if (!err && refs)
			err = write_clear_refs(dir, sh->passes);
		if (err) {
			if (!sh->errors++)
				sh->err = err;
		}
		__atomic_fetch_add(&sh->passes, 1, __ATOMIC_RELEASE);
		usleep(5000);
	}
	_exit(0);
}

static void probe(enum feature_id f, const char *file, int mode)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	if (access(path, mode))
		feature_skip(f,
			     "%s: %s: kernel without "
			     "CONFIG_PROC_PAGE_MONITOR",
			     path, errname(errno));
	else
		feature_on(f);
}

void procread_start(struct region *const *r, size_t n)
{
	pid_t parent = getpid();
	int err;

	regions = r;
	nregions = n;
	probe(F_PAGEMAP, "pagemap", R_OK);
	probe(F_SMAPS, "smaps", R_OK);
	probe(F_CLEAR_REFS, "clear_refs", W_OK);
	if (!feature_is_on(F_PAGEMAP) && !feature_is_on(F_SMAPS) &&
	    !feature_is_on(F_CLEAR_REFS))
		return;
	err = pthread_create(&thread, NULL, reader, NULL);
	if (err) {
		feature_fail(F_PAGEMAP, "pthread_create: %s", errname(err));
		return;
	}
	thread_up = true;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		sh = NULL;
		feature_fail(F_PAGEMAP, "mmap: %s", errname(errno));
		return;
	}
	child = fork();
	if (child == 0)
		outside(parent, feature_is_on(F_PAGEMAP),
			feature_is_on(F_SMAPS), feature_is_on(F_CLEAR_REFS));
	if (child < 0)
		feature_fail(F_PAGEMAP, "fork: %s", errname(errno));
}

void procread_stop(void)
{
	int status = 0;

	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	if (thread_up)
		pthread_join(thread, NULL);
	thread_up = false;
	if (child > 0) {
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			feature_fail(F_PAGEMAP, "reader process: status 0x%x",
				     status);
		if (sh->errors)
			feature_fail(F_PAGEMAP,
				     "reader process: %llu failed passes, "
				     "first %s",
				     (unsigned long long)sh->errors,
				     errname(sh->err));
		child = -1;
	}
	if (feature_is_on(F_PAGEMAP))
		feature_note(F_PAGEMAP,
			     "passes=%llu outside=%llu present_max=%llu "
			     "swapped_max=%llu",
			     (unsigned long long)passes,
			     (unsigned long long)(sh ? sh->passes : 0),
			     (unsigned long long)present_max,
			     (unsigned long long)swapped_max);
}

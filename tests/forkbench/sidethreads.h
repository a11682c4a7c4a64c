/* SPDX-License-Identifier: MIT */
/*
 * forkbench's side threads (-t): while the main thread forks, two more
 * threads of the same address space keep its page tables busy from the
 * other vCPUs of an SMP guest.
 *
 * The reader reads one word of every page of the fork buffer that never
 * changes after the fill, and checks it; after each pass it also sends
 * one page through a pipe and checks what comes back, so that the kernel
 * reads the buffer too.  On a Xen PV guest in BATCH its loads (and the
 * kernel's) hit the 2 MiB ranges whose L1 Xen has unhooked for the fork on
 * another vCPU: the spurious faults the guest must retry.
 *
 * The churn thread owns the "tail", a region that shares the buffer's
 * last L1 page and reaches into the next one.  Each round it writes every
 * tail page, write-protects and restores half of it (mprotect), zaps a
 * quarter (MADV_DONTNEED), maps fresh memory over another quarter
 * (MAP_FIXED), maps, touches and unmaps a small region elsewhere
 * (munmap), and checks what every page holds after each step.
 */
#ifndef FORKBENCH_SIDETHREADS_H
#define FORKBENCH_SIDETHREADS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct side_threads {
	/* Set by the caller before side_threads_start(). */
	const uint64_t *buf; /* the fork buffer */
	size_t buf_pages;
	uint64_t (*expect)(size_t word); /* buf[word], word % 512 != 0 */
	uint64_t *tail;			 /* the churn thread's region */
	size_t tail_pages;		 /* a multiple of 4 */

	/* Results, valid after side_threads_stop(). */
	uint64_t reader_passes, reader_bad;
	uint64_t churn_rounds, churn_bad;
	int error; /* errno of a failed mmap/mprotect/madvise */

	/* Private. */
	pthread_t reader, churn;
	int pipe[2];
	bool stop;
};

/* Starts both threads; returns 0 or an errno. */
int side_threads_start(struct side_threads *st);

/*
 * Waits until each thread has completed at least one pass or round (so
 * that a short run still checks something), then stops and joins them.
 */
void side_threads_stop(struct side_threads *st);

/* True when both threads saw only what they expected. */
bool side_threads_ok(const struct side_threads *st);

#endif

/* SPDX-License-Identifier: MIT */
/* forkbench's side threads: see sidethreads.h. */
#include "sidethreads.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define WORDS (PAGE / sizeof(uint64_t))
#define SCRATCH_PAGES 16 /* the small region mapped and unmapped */

static bool stopping(struct side_threads *st)
{
	return __atomic_load_n(&st->stop, __ATOMIC_RELAXED);
}

static void bump(uint64_t *counter)
{
	__atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

/*
 * Page P of the buffer through the pipe and back: the kernel reads it
 * (copy_from_user), so its faults in the buffer are kernel-mode ones.
 * Returns the mismatches in every word but the first (which the main
 * thread rewrites), or one if the pipe failed.
 */
static uint64_t through_pipe(struct side_threads *st, size_t p)
{
	uint64_t copy[WORDS], bad = 0;
	size_t w;

	if (write(st->pipe[1], st->buf + p * WORDS, PAGE) != PAGE ||
	    read(st->pipe[0], copy, PAGE) != PAGE)
		return 1;
	for (w = 1; w < WORDS; w++)
		bad += copy[w] != st->expect(p * WORDS + w);
	return bad;
}

static void *reader(void *arg)
{
	struct side_threads *st = arg;
	const volatile uint64_t *buf = st->buf;
	size_t p;

	while (!stopping(st)) {
		for (p = 0; p < st->buf_pages; p++) {
			size_t i = p * WORDS + 1;

			if (buf[i] != st->expect(i))
				st->reader_bad++;
		}
		st->reader_bad +=
		    through_pipe(st, st->reader_passes % st->buf_pages);
		bump(&st->reader_passes);
	}
	return NULL;
}

/* What tail page P holds in churn round R (first word; ~ in the last). */
static uint64_t tail_value(uint64_t round, size_t p)
{
	return (round << 32 | p) ^ 0xc2b2ae3d27d4eb4full;
}

static void tail_write(uint64_t *mem, size_t from, size_t to, uint64_t round)
{
	size_t p;

	for (p = from; p < to; p++) {
		mem[p * WORDS] = tail_value(round, p);
		mem[p * WORDS + WORDS - 1] = ~tail_value(round, p);
	}
}

/* Mismatches in pages [FROM, TO): round R's values, or zero if ZERO. */
static uint64_t tail_check(const uint64_t *mem, size_t from, size_t to,
			   uint64_t round, bool zero)
{
	const volatile uint64_t *m = mem;
	uint64_t bad = 0;
	size_t p;

	for (p = from; p < to; p++) {
		uint64_t first = zero ? 0 : tail_value(round, p);
		uint64_t last = zero ? 0 : ~tail_value(round, p);

		bad += m[p * WORDS] != first;
		bad += m[p * WORDS + WORDS - 1] != last;
	}
	return bad;
}

/*
 * One churn round; returns 0 or an errno.  The first half of the tail
 * shares the fork buffer's last L1 page: there, one quarter is zapped and
 * one replaced.  The second half is write-protected and restored.
 */
static int churn_round(struct side_threads *st, uint64_t r)
{
	uint64_t *t = st->tail, *scratch;
	size_t n = st->tail_pages, q = n / 4;
	size_t len = q * PAGE;

	tail_write(t, 0, n, r);
	st->churn_bad += tail_check(t, 0, n, r, false);

	/* Zap the first quarter: it must read back as zero. */
	if (madvise(t, len, MADV_DONTNEED))
		return errno;
	st->churn_bad += tail_check(t, 0, q, r, true);

	/* Map fresh memory over the second quarter: zero as well. */
	if (mmap(t + q * WORDS, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return errno;
	madvise(t + q * WORDS, len, MADV_NOHUGEPAGE);
	st->churn_bad += tail_check(t, q, 2 * q, r, true);

	/* Write-protect the second half, read it, make it writable again. */
	if (mprotect(t + 2 * q * WORDS, 2 * len, PROT_READ))
		return errno;
	st->churn_bad += tail_check(t, 2 * q, n, r, false);
	if (mprotect(t + 2 * q * WORDS, 2 * len, PROT_READ | PROT_WRITE))
		return errno;
	tail_write(t, 2 * q, 3 * q, r + 1);

	/* Every page holds what this round left there. */
	st->churn_bad += tail_check(t, 0, 2 * q, r, true);
	st->churn_bad += tail_check(t, 2 * q, 3 * q, r + 1, false);
	st->churn_bad += tail_check(t, 3 * q, n, r, false);

	/* A small region elsewhere: map, fill, check, unmap. */
	scratch = mmap(NULL, SCRATCH_PAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		return errno;
	tail_write(scratch, 0, SCRATCH_PAGES, r);
	st->churn_bad += tail_check(scratch, 0, SCRATCH_PAGES, r, false);
	if (munmap(scratch, SCRATCH_PAGES * PAGE))
		return errno;
	return 0;
}

static void *churn(void *arg)
{
	struct side_threads *st = arg;
	uint64_t r = 1;

	while (!stopping(st)) {
		int err = churn_round(st, r);

		if (err) {
			__atomic_store_n(&st->error, err, __ATOMIC_RELAXED);
			break;
		}
		bump(&st->churn_rounds);
		r += 2;
	}
	return NULL;
}

int side_threads_start(struct side_threads *st)
{
	int err;

	st->stop = false;
	st->reader_passes = st->reader_bad = 0;
	st->churn_rounds = st->churn_bad = 0;
	st->error = 0;
	if (!st->tail_pages || st->tail_pages % 4)
		return EINVAL;
	if (pipe(st->pipe))
		return errno;
	err = pthread_create(&st->reader, NULL, reader, st);
	if (err)
		goto close_pipe;
	err = pthread_create(&st->churn, NULL, churn, st);
	if (!err)
		return 0;
	__atomic_store_n(&st->stop, true, __ATOMIC_RELAXED);
	pthread_join(st->reader, NULL);
close_pipe:
	close(st->pipe[0]);
	close(st->pipe[1]);
	return err;
}

void side_threads_stop(struct side_threads *st)
{
	const struct timespec ms = {.tv_nsec = 1000000};

	while ((!__atomic_load_n(&st->reader_passes, __ATOMIC_RELAXED) ||
		!__atomic_load_n(&st->churn_rounds, __ATOMIC_RELAXED)) &&
	       !__atomic_load_n(&st->error, __ATOMIC_RELAXED))
		nanosleep(&ms, NULL);
	__atomic_store_n(&st->stop, true, __ATOMIC_RELAXED);
	pthread_join(st->reader, NULL);
	pthread_join(st->churn, NULL);
	close(st->pipe[0]);
	close(st->pipe[1]);
}

bool side_threads_ok(const struct side_threads *st)
{
	return !st->error && !st->reader_bad && !st->churn_bad &&
	       st->reader_passes && st->churn_rounds;
}

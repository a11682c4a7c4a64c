/* SPDX-License-Identifier: MIT */
/*
 * forkbench: fork latency of a process with a large, freshly written
 * resident set, with a memory check on both sides of every fork.
 *
 * Each round re-dirties every page of the parent's buffer first, so that
 * the fork has to write-protect every PTE of the buffer again (COW): on a
 * Xen PV guest that is 512 page-table writes per L1 page, the workload
 * the BATCH mode is for.  The child checksums all of the parent's pages it
 * sees, writes to a few of them (its own copies) and exits with a status
 * that says whether the checksum matched; the parent checks that status
 * and that the pages the child wrote still hold its own data, and at the
 * end checksums its whole buffer.
 *
 * Prints each round's fork() latency (parent side, CLOCK_MONOTONIC around
 * the call) on request, the median/p10/p90 and one summary line that
 * starts "forkbench:".  Exits 0 only if every check matched.
 *
 * With -t, two side threads (sidethreads.h) read the buffer and churn the
 * mappings next to it while the main thread forks, so that an SMP guest
 * changes and walks the same page tables on several vCPUs at once; their
 * checks are part of the result.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sidethreads.h"

#define PAGE 4096u
#define WORDS (PAGE / sizeof(uint64_t))
#define L1_SPAN (2ul << 20) /* the memory one L1 page maps */
#define TAIL_PAGES 512	    /* -t: the churn region, 2 MiB */
#define CHILD_DIRTY 4	    /* pages each child writes (its COW copies) */

/* Child exit statuses. */
#define CHILD_OK 0
#define CHILD_BAD_SUM 3

struct opts {
	unsigned long mib;
	unsigned long forks;
	const char *label;
	bool verbose;
	bool threads;
	bool corrupt_child; /* test hook: the child damages what it checks */
};

struct buf {
	void *map; /* the whole mapping: mem, and the tail with -t */
	size_t map_len;
	uint64_t *mem;
	size_t pages;
	uint64_t rest; /* checksum terms of every word but each page's first */
	uint64_t head; /* checksum terms of each page's first word */
};

/* Position-dependent weight, so that swapped pages change the sum. */
static uint64_t weight(size_t idx)
{
	return (uint64_t)idx * 0x9e3779b97f4a7c15ull | 1;
}

static uint64_t pattern(size_t idx, uint64_t round)
{
	uint64_t x = (uint64_t)idx ^ (round << 40) ^ 0x5bd1e9955bd1e995ull;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/* What fill() leaves in word IDX (for the reader thread). */
static uint64_t filled(size_t idx)
{
	return pattern(idx, 0);
}

static uint64_t checksum(const uint64_t *mem, size_t pages)
{
	uint64_t sum = 0;
	size_t i, n = pages * WORDS;

	for (i = 0; i < n; i++)
		sum += mem[i] * weight(i);
	return sum;
}

static void fill(struct buf *b)
{
	size_t p, w;

	b->rest = 0;
	b->head = 0; /* first words: zero, as mmap left them */
	for (p = 0; p < b->pages; p++)
		for (w = 1; w < WORDS; w++) {
			size_t i = p * WORDS + w;

			b->mem[i] = pattern(i, 0);
			b->rest += b->mem[i] * weight(i);
		}
}

/*
 * Write the first word of every page: the fork before this round left
 * all PTEs read-only, so each write takes a COW fault that makes its PTE
 * writable again.  Returns the whole buffer's expected checksum.
 */
static uint64_t redirty(struct buf *b, uint64_t round)
{
	size_t p;

	b->head = 0;
	for (p = 0; p < b->pages; p++) {
		size_t i = p * WORDS;

		b->mem[i] = pattern(i, round + 1);
		b->head += b->mem[i] * weight(i);
	}
	return b->rest + b->head;
}

/* The pages a child writes: spread over the buffer, different per round. */
static size_t child_page(const struct buf *b, uint64_t round, unsigned int k)
{
	return (size_t)((round * 7919 + k * (b->pages / CHILD_DIRTY + 1)) %
			b->pages);
}

static void child(struct buf *b, uint64_t round, uint64_t want, bool corrupt)
{
	unsigned int k;
	uint64_t got;

	if (corrupt)
		b->mem[WORDS * (b->pages / 2) + 1] ^= 1;
	got = checksum(b->mem, b->pages);
	for (k = 0; k < CHILD_DIRTY; k++)
		memset(&b->mem[child_page(b, round, k) * WORDS], 0xa5, PAGE);
	_exit(got == want ? CHILD_OK : CHILD_BAD_SUM);
}

/* The pages the child wrote must still hold the parent's data. */
static bool child_pages_intact(const struct buf *b, uint64_t round)
{
	unsigned int k;
	size_t w;

	for (k = 0; k < CHILD_DIRTY; k++) {
		size_t p = child_page(b, round, k);

		for (w = 0; w < WORDS; w++) {
			size_t i = p * WORDS + w;

			if (b->mem[i] != pattern(i, w ? 0 : round + 1))
				return false;
		}
	}
	return true;
}

static uint64_t ns_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000ull +
	       (uint64_t)t1.tv_nsec - (uint64_t)t0->tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t pct(const uint64_t *v, size_t n, unsigned int p)
{
	size_t r = (n * p + 99) / 100;

	return v[r ? r - 1 : 0];
}

static void usage(FILE *f)
{
	fprintf(f, "usage: forkbench [-m MIB] [-f FORKS] [-l LABEL] [-v] [-t]\n"
		   "  -m  resident set of the parent in MiB (default 1024)\n"
		   "  -f  forks (default 1000)\n"
		   "  -l  label for the summary line (e.g. the mode)\n"
		   "  -v  print every fork's latency\n"
		   "  -t  side threads: a reader of the buffer and a churn "
		   "of the mappings\n      next to it (mmap, mprotect, "
		   "madvise, munmap), checked too\n"
		   "  --corrupt-child  test hook: each child damages its "
		   "copy before checking\n");
}

static unsigned long number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > 1u << 20) {
		fprintf(stderr, "forkbench: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
	    {"corrupt-child", no_argument, NULL, 'C'},
	    {"threads", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.mib = 1024, .forks = 1000, .label = "-"};
	while ((c = getopt_long(argc, argv, "m:f:l:vth", longs, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->mib = number(optarg, "size");
			break;
		case 'f':
			o->forks = number(optarg, "fork count");
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 't':
			o->threads = true;
			break;
		case 'C':
			o->corrupt_child = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/*
 * Maps the buffer, and with THREADS the churn thread's tail right after
 * it, placed so that the buffer ends in the middle of an L1 page's span:
 * the tail's first half shares the buffer's last L1, its second half
 * reaches into the next one.
 */
static int setup(struct buf *b, unsigned long mib, bool threads)
{
	size_t len = (size_t)mib << 20, off = 0;

	b->pages = len / PAGE;
	b->map_len = len + (threads ? TAIL_PAGES * PAGE + L1_SPAN : 0);
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED) {
		perror("forkbench: mmap");
		return -1;
	}
	/* 4 KiB PTEs, not huge PMDs: fork must walk every PTE. */
	madvise(b->map, b->map_len, MADV_NOHUGEPAGE);
	if (threads)
		off = (L1_SPAN + L1_SPAN / 2 -
		       ((uintptr_t)b->map + len) % L1_SPAN) %
		      L1_SPAN;
	b->mem = (uint64_t *)((char *)b->map + off);
	fill(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct buf b;
	struct side_threads st = {0};
	uint64_t *fork_ns, *wait_ns, round, want;
	unsigned long bad_child = 0, bad_parent = 0, failed = 0;
	bool final_ok, side_ok = true, ok;
	int err;

	parse(argc, argv, &o);
	/* -v lines as they come, for whoever watches a slow run. */
	if (o.verbose)
		setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup(&b, o.mib, o.threads))
		return 1;
	fork_ns = calloc(o.forks, sizeof(*fork_ns));
	wait_ns = calloc(o.forks, sizeof(*wait_ns));
	if (!fork_ns || !wait_ns) {
		perror("forkbench: calloc");
		return 1;
	}
	if (o.threads) {
		st.buf = b.mem;
		st.buf_pages = b.pages;
		st.expect = filled;
		st.tail = b.mem + b.pages * WORDS;
		st.tail_pages = TAIL_PAGES;
		err = side_threads_start(&st);
		if (err) {
			fprintf(stderr, "forkbench: threads: %s\n",
				strerror(err));
			return 1;
		}
	}

	for (round = 0; round < o.forks; round++) {
		struct timespec t0;
		int status;
		pid_t pid;

		want = redirty(&b, round);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0)
			child(&b, round, want, o.corrupt_child);
		fork_ns[round] = ns_since(&t0);
		if (pid < 0) {
			perror("forkbench: fork");
			failed++;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (waitpid(pid, &status, 0) != pid) {
			perror("forkbench: waitpid");
			failed++;
			break;
		}
		wait_ns[round] = ns_since(&t0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_OK)
			bad_child++;
		if (!child_pages_intact(&b, round))
			bad_parent++;
		if (o.verbose)
			printf(
			    "fork %" PRIu64 " %.3f ms (child %.3f ms)%s\n",
			    round, fork_ns[round] / 1e6, wait_ns[round] / 1e6,
			    WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK
				? ""
				: " CHECKSUM MISMATCH");
	}
	if (o.threads) {
		side_threads_stop(&st);
		side_ok = side_threads_ok(&st);
	}
	final_ok = checksum(b.mem, b.pages) == b.rest + b.head;
	ok = !failed && !bad_child && !bad_parent && final_ok && side_ok;

	qsort(fork_ns, round, sizeof(*fork_ns), cmp_u64);
	qsort(wait_ns, round, sizeof(*wait_ns), cmp_u64);
	if (round)
		printf("fork latency over %" PRIu64 " forks of a %lu MiB "
		       "parent: median %.3f ms, p10 %.3f ms, p90 %.3f ms\n",
		       round, o.mib, pct(fork_ns, round, 50) / 1e6,
		       pct(fork_ns, round, 10) / 1e6,
		       pct(fork_ns, round, 90) / 1e6);
	printf("forkbench: label=%s mib=%lu forks=%" PRIu64
	       " fork_us_median=%" PRIu64 " fork_us_p10=%" PRIu64
	       " fork_us_p90=%" PRIu64 " child_us_median=%" PRIu64
	       " bad_child=%lu bad_parent=%lu final=%s",
	       o.label, o.mib, round,
	       round ? pct(fork_ns, round, 50) / 1000 : 0,
	       round ? pct(fork_ns, round, 10) / 1000 : 0,
	       round ? pct(fork_ns, round, 90) / 1000 : 0,
	       round ? pct(wait_ns, round, 50) / 1000 : 0, bad_child,
	       bad_parent, final_ok ? "ok" : "bad");
	if (o.threads)
		printf(" reader_passes=%" PRIu64 " reader_bad=%" PRIu64
		       " churn_rounds=%" PRIu64 " churn_bad=%" PRIu64
		       " side_error=%d",
		       st.reader_passes, st.reader_bad, st.churn_rounds,
		       st.churn_bad, st.error);
	printf(" result=%s\n", ok ? "ok" : "FAIL");
	fflush(stdout);
	free(fork_ns);
	free(wait_ns);
	munmap(b.map, b.map_len);
	return ok ? 0 : 1;
}

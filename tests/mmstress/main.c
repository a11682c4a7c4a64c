/* SPDX-License-Identifier: MIT */
/*
 * mmstress: rounds of page-table work on checksummed memory by two (-w)
 * worker threads at once, while /proc readers walk the same tables and
 * the main thread forks; every region is checked at the end of every
 * round, by this process and by a fork child.  See README.md here.
 *
 *   mmstress [-s SECONDS | --duration SECONDS] [-m MIB] [-w WORKERS]
 *            [-l LABEL] [--swap DEV] [--no-sysfs] [--self-test-corrupt]
 *            [-v]
 *
 * Ends with one line "mmstress: label=... result=ok|FAIL"; exits 0 on
 * ok, 1 on a checksum or feature failure, 2 on a usage or setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mmstress.h"

#define MAX_WORKERS 8
#define KSM_PAGES 256
#define KSM_KEYS 16
#define UFFD_PAGES 128
#define KSM_SALT 0x6b736d2d6d657267ull /* the same in every worker */

struct opts {
	unsigned long seconds;
	bool long_mode;
	unsigned long mib;
	unsigned long workers;
	const char *label;
	const char *swap_dev;
	bool no_sysfs;
	bool corrupt;
	bool verbose;
};

static struct worker workers[MAX_WORKERS];
static pthread_t threads[MAX_WORKERS];
static pthread_barrier_t round_start, round_end;
static uint32_t round_gen;
static bool stopping;
static unsigned busy;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		pthread_barrier_wait(&round_start);
		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			return NULL;
		worker_round(w, __atomic_load_n(&round_gen, __ATOMIC_ACQUIRE));
		__atomic_fetch_sub(&busy, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&round_end);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmstress [-s SECONDS | --duration SECONDS] [-m MIB]"
		" [-w WORKERS]\n"
		"                [-l LABEL] [--swap DEV] [--no-sysfs]"
		" [--self-test-corrupt] [-v]\n"
		"  -s          bounded run: rounds until SECONDS (default 20)\n"
		"  --duration  long run: the same, with a progress line a "
		"minute\n"
		"  -m          each worker's main region in MiB (default 4)\n"
		"  -w          worker threads (default 2)\n"
		"  --swap      a device or file to make swap on and swapon\n"
		"  --no-sysfs  change no system-wide setting (KSM runs only "
		"if ksmd does)\n"
		"  --self-test-corrupt  damage one page in round 1: must "
		"FAIL\n");
}

static int number(const char *s, unsigned long *v, unsigned long max)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *v == 0 || *v > max ? -1 : 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
	    {"duration", required_argument, NULL, 'D'},
	    {"swap", required_argument, NULL, 'S'},
	    {"no-sysfs", no_argument, NULL, 'N'},
	    {"self-test-corrupt", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){
	    .seconds = 20, .mib = 4, .workers = 2, .label = "mmstress"};
	while ((c = getopt_long(argc, argv, "s:m:w:l:vh", longs, NULL)) != -1)
		switch (c) {
		case 'D':
			o->long_mode = true;
			/* fall through */
		case 's':
			if (number(optarg, &o->seconds, 30ul * 86400))
				return -1;
			break;
		case 'm':
			if (number(optarg, &o->mib, 4096))
				return -1;
			break;
		case 'w':
			if (number(optarg, &o->workers, MAX_WORKERS))
				return -1;
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'S':
			o->swap_dev = optarg;
			break;
		case 'N':
			o->no_sysfs = true;
			break;
		case 'C':
			o->corrupt = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	return optind == argc ? 0 : -1;
}

/* Probes each madvise advice on a scratch page: EINVAL means too old. */
static void probe_madvise(void)
{
	static const struct {
		enum feature_id f;
		int advice;
		const char *name;
	} advices[] = {
	    {F_MADV_COLD, MADV_COLD, "MADV_COLD"},
	    {F_MADV_PAGEOUT, MADV_PAGEOUT, "MADV_PAGEOUT"},
	    {F_MADV_FREE, MADV_FREE, "MADV_FREE"},
	    {F_MADV_DONTNEED, MADV_DONTNEED, "MADV_DONTNEED"},
	};
	void *page = mmap(NULL, MM_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t k;

	for (k = 0; k < sizeof(advices) / sizeof(advices[0]); k++) {
		if (page == MAP_FAILED)
			feature_skip(advices[k].f, "mmap: %s", errname(errno));
		else if (madvise(page, MM_PAGE, advices[k].advice))
			feature_skip(advices[k].f, "%s: %s", advices[k].name,
				     errname(errno));
		else
			feature_on(advices[k].f);
	}
	if (page != MAP_FAILED)
		munmap(page, MM_PAGE);
}

/* The regions, the features' set-up, initial contents; 0 or errno. */
static int setup(const struct opts *o, struct region **all, size_t *nall)
{
	size_t main_pages = o->mib * 256, n = 0, i;
	unsigned k;
	int err;

	feature_on(F_THREADS);
	feature_count(F_THREADS, o->workers);
	feature_note(F_THREADS, "cpus=%ld", sysconf(_SC_NPROCESSORS_ONLN));
	feature_on(F_MPROTECT);
	feature_on(F_MREMAP_MOVE);
	feature_on(F_MREMAP_GROW);
	feature_on(F_FORK);
	probe_madvise();
	swap_setup(o->swap_dev);
	/* Three quarters of the working set: reclaim swaps the rest out. */
	memcg_setup(o->workers * (main_pages + KSM_PAGES + UFFD_PAGES) *
		    MM_PAGE * 3 / 4);
	ksm_setup(!o->no_sysfs);
	uffd_setup();
	for (k = 0; k < o->workers; k++) {
		struct worker *w = &workers[k];

		w->id = k;
		err = region_init(&w->main, "main", main_pages,
				  0x6d61696e00000000ull + k, 0);
		if (!err)
			err = region_init(&w->ksm, "ksm", KSM_PAGES, KSM_SALT,
					  KSM_KEYS);
		if (!err)
			err = region_init(&w->uffd, "uffd", UFFD_PAGES,
					  0x7566666400000000ull + k, 0);
		if (err)
			return err;
		for (i = 0; i < main_pages; i++)
			region_write(&w->main, i, 1);
		for (i = 0; i < KSM_PAGES; i++)
			region_write(&w->ksm, i, 1);
		if (feature_is_on(F_KSM) && (err = ksm_merge(&w->ksm)))
			feature_fail(F_KSM, "MADV_MERGEABLE: %s", errname(err));
		if (feature_is_on(F_UFFD) && (err = uffd_register(&w->uffd)))
			feature_fail(F_UFFD, "UFFDIO_REGISTER: %s",
				     errname(err));
		all[n++] = &w->main;
		all[n++] = &w->ksm;
		all[n++] = &w->uffd;
	}
	*nall = n;
	return 0;
}

int main(int argc, char **argv)
{
	static struct region *all[3 * MAX_WORKERS];
	struct opts o;
	size_t nall = 0, k;
	uint64_t rounds = 0, bad = 0, child_bad = 0, checked = 0, quick = 0;
	long long ksm_max = 0, sharing;
	double t0, next_progress;
	char ran[512], skipped[512];
	bool ok;
	int err;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = setup(&o, all, &nall);
	if (err) {
		fprintf(stderr, "mmstress: setup: %s\n", strerror(err));
		return 2;
	}
	pthread_barrier_init(&round_start, NULL, (unsigned)o.workers + 1);
	pthread_barrier_init(&round_end, NULL, (unsigned)o.workers + 1);
	for (k = 0; k < o.workers; k++)
		if ((err = pthread_create(&threads[k], NULL, work,
					  &workers[k]))) {
			fprintf(stderr, "mmstress: pthread_create: %s\n",
				strerror(err));
			return 2;
		}
	procread_start(all, nall);

	t0 = now();
	next_progress = t0 + 60;
	do {
		uint64_t round_bad = 0;

		rounds++;
		__atomic_store_n(&round_gen, (uint32_t)rounds + 1,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&busy, (unsigned)o.workers, __ATOMIC_RELEASE);
		pthread_barrier_wait(&round_start);
		/* Forks while the workers change their page tables. */
		while (__atomic_load_n(&busy, __ATOMIC_ACQUIRE)) {
			quick += fork_quick();
			usleep(10000);
		}
		pthread_barrier_wait(&round_end);

		if (o.corrupt && rounds == 1)
			region_corrupt(&workers[0].main, 7);
		for (k = 0; k < o.workers; k++)
			round_bad += workers[k].bad;
		for (k = 0; k < nall; k++) {
			round_bad += region_verify(all[k], 0, all[k]->pages,
						   "at the end of the round");
			checked += all[k]->pages;
		}
		child_bad += fork_verify(all, nall);
		for (k = 0; k < o.workers; k++)
			workers[k].bad = 0;
		bad += round_bad;
		sharing = feature_is_on(F_KSM) ? ksm_sharing() : 0;
		ksm_max = sharing > ksm_max ? sharing : ksm_max;
		if (o.verbose)
			printf("round %llu: bad=%llu child_bad=%llu "
			       "ksm_sharing=%lld t=%.1f\n",
			       (unsigned long long)rounds,
			       (unsigned long long)round_bad,
			       (unsigned long long)child_bad, sharing,
			       now() - t0);
		if (o.long_mode && now() >= next_progress) {
			printf("mmstress: progress t=%.0f rounds=%llu "
			       "bad_pages=%llu child_bad=%llu\n",
			       now() - t0, (unsigned long long)rounds,
			       (unsigned long long)bad,
			       (unsigned long long)child_bad);
			next_progress += 60;
		}
		/* Stop at the first damage: its report is the one to read. */
	} while (!bad && !child_bad && !feature_any_failed() &&
		 now() - t0 < (double)o.seconds);

	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	pthread_barrier_wait(&round_start);
	for (k = 0; k < o.workers; k++)
		pthread_join(threads[k], NULL);
	procread_stop();
	uffd_teardown();
	swap_teardown();
	ksm_teardown();
	if (feature_is_on(F_KSM))
		feature_note(F_KSM, "merged_max=%lld", ksm_max);
	feature_note(F_FORK, "checked=%llu quick=%llu",
		     (unsigned long long)rounds, (unsigned long long)quick);

	feature_report(stdout);
	feature_lists(ran, sizeof(ran), skipped, sizeof(skipped));
	ok = !bad && !child_bad && !feature_any_failed();
	printf("mmstress: label=%s seconds=%.0f rounds=%llu workers=%lu "
	       "pages=%llu checked_pages=%llu bad_pages=%llu child_bad=%llu "
	       "ran=%s skipped=%s result=%s\n",
	       o.label, now() - t0, (unsigned long long)rounds, o.workers,
	       (unsigned long long)(o.workers *
				    (o.mib * 256 + KSM_PAGES + UFFD_PAGES)),
	       (unsigned long long)checked, (unsigned long long)bad,
	       (unsigned long long)child_bad, ran, skipped, ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * zapfault: genuine faults under a PMD that another thread keeps having
 * unhooked (guestagent/linux-patches, the progress patch).
 *
 * In BATCH, Xen unhooks the PMD above an L1 while a vCPU writes that L1
 * natively, and the next hypercall re-hooks it.  One thread of this
 * process zaps a 2 MiB range (one L1) with MADV_DONTNEED and re-touches
 * part of it, over and over, so that it writes the L1 natively and Xen
 * opens a batch on it again right after each flush; the other threads
 * take first-touch faults in the same 2 MiB, from user mode (stores) and
 * from kernel mode (read() from a pipe into the range: copy_to_user).
 * Every one of those faults is a valid demand fault: a kernel that turns
 * one into SIGBUS, SIGSEGV or EFAULT because the PMD read unhooked after a
 * flush is wrong.  Run it with at least two vCPUs, in BATCH.
 *
 *   zapfault [-t SECONDS] [-n TOUCHERS]
 *
 * Prints one line "zapfault: threads=N seconds=S zaps=Z touches=T
 * uaccess=U sigbus=B sigsegv=V efault=E lost=L result=R" where R is ok
 * when B, V, E and L are 0 and every thread did work, fail otherwise; L
 * counts stores that read back as neither the value written nor zero (a
 * concurrent zap may legitimately give zero).  Exits 0 on ok, 1 on fail,
 * 2 on a setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define L1_SPAN (2ul << 20) /* the memory one L1 page maps */
#define PAGE 4096ul
#define PAGES (L1_SPAN / PAGE)
#define MAX_TOUCHERS 8

static unsigned char *range;
static atomic_bool stop;
static atomic_long zaps, touches, uaccesses, sigbus, sigsegv, efaults, lost;

/* Where a thread that took SIGBUS or SIGSEGV goes on (its own). */
static __thread sigjmp_buf resume;
static __thread volatile int armed;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	atomic_fetch_add(sig == SIGBUS ? &sigbus : &sigsegv, 1);
	if (!armed)
		_exit(3);
	siglongjmp(resume, 1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Zaps the whole range and re-touches its even pages, natively. */
static void *zapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		if (madvise(range, L1_SPAN, MADV_DONTNEED)) {
			perror("zapfault: madvise");
			exit(2);
		}
		for (size_t p = 0; p < PAGES; p += 2)
			range[p * PAGE] = 1;
		atomic_fetch_add(&zaps, 1);
	}
	return NULL;
}

/*
 * Toucher k takes the odd pages p with p / 2 % n == k: a store and a
 * read-back from user mode, then a read() into the next word from a pipe,
 * which the kernel stores with copy_to_user.
 */
struct toucher {
	unsigned k, n;
	int pfd[2];
};

static void *toucher(void *arg)
{
	struct toucher *t = arg;
	uint64_t tag = ((uint64_t)t->k + 1) << 48;
	volatile uint64_t seq = 0;
	char byte = 'z';

	if (sigsetjmp(resume, 1))
		armed = 0; /* counted in on_fault; go on with the next page */
	armed = 1;
	while (!atomic_load(&stop)) {
		for (size_t p = 1 + 2 * t->k; p < PAGES && !atomic_load(&stop);
		     p += 2 * t->n) {
			volatile uint64_t *w = (uint64_t *)(range + p * PAGE);
			uint64_t v = tag | ++seq, got;

			*w = v;
			got = *w;
			if (got != v && got != 0)
				atomic_fetch_add(&lost, 1);
			atomic_fetch_add(&touches, 1);
			if (write(t->pfd[1], &byte, 1) != 1) {
				perror("zapfault: pipe");
				exit(2);
			}
			if (read(t->pfd[0], (char *)(w + 1), 1) != 1) {
				if (errno != EFAULT) {
					perror("zapfault: pipe");
					exit(2);
				}
				atomic_fetch_add(&efaults, 1);
				/* A failed read leaves the byte queued. */
				if (read(t->pfd[0], &byte, 1) != 1)
					exit(2);
				byte = 'z';
				continue;
			}
			atomic_fetch_add(&uaccesses, 1);
		}
	}
	armed = 0;
	return NULL;
}

int main(int argc, char **argv)
{
	double seconds = 30, t0;
	unsigned n = 2;
	struct toucher ts[MAX_TOUCHERS];
	pthread_t zt, tt[MAX_TOUCHERS];
	struct sigaction sa;
	unsigned char *raw;
	int c;

	while ((c = getopt(argc, argv, "t:n:")) != -1) {
		switch (c) {
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: zapfault [-t SECONDS] "
					"[-n TOUCHERS]\n");
			return 2;
		}
	}
	if (n < 1 || n > MAX_TOUCHERS || !(seconds > 0)) {
		fprintf(stderr, "zapfault: 1 to %d touchers, seconds > 0\n",
			MAX_TOUCHERS);
		return 2;
	}

	/* 2 MiB aligned, so that the range is exactly one L1. */
	raw = mmap(NULL, 2 * L1_SPAN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("zapfault: mmap");
		return 2;
	}
	range = (unsigned char *)(((uintptr_t)raw + L1_SPAN - 1) &
				  ~(uintptr_t)(L1_SPAN - 1));
	madvise(range, L1_SPAN, MADV_NOHUGEPAGE); /* may be unsupported */

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL)) {
		perror("zapfault: sigaction");
		return 2;
	}

	t0 = now();
	if (pthread_create(&zt, NULL, zapper, NULL))
		return 2;
	for (unsigned k = 0; k < n; k++) {
		ts[k].k = k;
		ts[k].n = n;
		if (pipe(ts[k].pfd) ||
		    pthread_create(&tt[k], NULL, toucher, &ts[k])) {
			perror("zapfault: thread");
			return 2;
		}
	}
	while (now() - t0 < seconds)
		usleep(100000);
	atomic_store(&stop, true);
	pthread_join(zt, NULL);
	for (unsigned k = 0; k < n; k++)
		pthread_join(tt[k], NULL);

	long bad = atomic_load(&sigbus) + atomic_load(&sigsegv) +
		   atomic_load(&efaults) + atomic_load(&lost);
	int ok = bad == 0 && atomic_load(&zaps) > 0 &&
		 atomic_load(&touches) > 0 && atomic_load(&uaccesses) > 0;

	printf("zapfault: threads=%u seconds=%.2f zaps=%ld touches=%ld "
	       "uaccess=%ld sigbus=%ld sigsegv=%ld efault=%ld lost=%ld "
	       "result=%s\n",
	       n + 1, now() - t0, atomic_load(&zaps), atomic_load(&touches),
	       atomic_load(&uaccesses), atomic_load(&sigbus),
	       atomic_load(&sigsegv), atomic_load(&efaults), atomic_load(&lost),
	       ok ? "ok" : "fail");
	return ok ? 0 : 1;
}

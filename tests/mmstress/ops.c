/* SPDX-License-Identifier: MIT */
/*
 * One worker's round on its own regions, each step checked at once:
 * rewrite every page (after checking what swap or the last round left),
 * mprotect flips, madvise COLD/PAGEOUT/FREE/DONTNEED, an mremap that moves
 * the main region to a new 2 MiB-aligned place and grows it, then shrinks
 * it, KSM copy-on-write breaks, and userfaultfd refills.  Two workers run
 * it at once, so both vCPUs write page tables of the same mm.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "mmstress.h"

#define CHUNK 64      /* pages per mprotect flip */
#define KSM_BREAKS 4  /* KSM pages each round writes */
#define KSM_COMMON 1u /* the generation every unbroken KSM page has */

static void check(struct worker *w, const struct region *r, size_t from,
		  size_t n, const char *when)
{
	w->bad += region_verify(r, from, n, when);
}

static void write_range(struct region *r, size_t from, size_t n, uint32_t gen)
{
	size_t i;

	for (i = from; i < from + n && i < r->pages; i++)
		region_write(r, i, gen);
}

static void flips(struct worker *w, uint32_t gen)
{
	struct region *r = &w->main;
	size_t c;

	for (c = 0; c + CHUNK <= r->pages; c += 2 * CHUNK) {
		void *at = r->base + c * MM_WORDS;

		if (mprotect(at, CHUNK * MM_PAGE, PROT_READ)) {
			feature_fail(F_MPROTECT, "PROT_READ: %s",
				     errname(errno));
			return;
		}
		check(w, r, c, CHUNK, "while read-only");
		if (mprotect(at, CHUNK * MM_PAGE, PROT_READ | PROT_WRITE)) {
			feature_fail(F_MPROTECT, "PROT_READ|PROT_WRITE: %s",
				     errname(errno));
			return;
		}
		region_write(r, c, gen);
		feature_count(F_MPROTECT, 2);
	}
}

/* madvise(ADVICE) on N pages from FROM; false (and the feature failed) on
 * an error. */
static bool advise(enum feature_id f, struct region *r, size_t from, size_t n,
		   int advice)
{
	if (!feature_is_on(f) || !n)
		return false;
	if (madvise(r->base + from * MM_WORDS, n * MM_PAGE, advice)) {
		feature_fail(f, "madvise: %s", errname(errno));
		return false;
	}
	feature_count(f, n);
	return true;
}

static void advices(struct worker *w, uint32_t gen)
{
	struct region *r = &w->main;
	size_t q = r->pages / 8, i;

	if (advise(F_MADV_COLD, r, 0, 2 * q, MADV_COLD))
		check(w, r, 0, 2 * q, "after MADV_COLD");
	/* With swap on, this swaps them out, and the check swaps them in. */
	if (advise(F_MADV_PAGEOUT, r, 2 * q, 2 * q, MADV_PAGEOUT))
		check(w, r, 2 * q, 2 * q, "after MADV_PAGEOUT");
	if (advise(F_MADV_FREE, r, 4 * q, q, MADV_FREE)) {
		/* Reclaim may drop them (zeros) until they are written. */
		for (i = 4 * q; i < 5 * q; i++)
			r->maybe_zero[i] = 1;
		check(w, r, 4 * q, q, "after MADV_FREE");
		write_range(r, 4 * q, q, gen);
		check(w, r, 4 * q, q, "rewritten after MADV_FREE");
	}
	if (advise(F_MADV_DONTNEED, r, 5 * q, q, MADV_DONTNEED)) {
		for (i = 5 * q; i < 6 * q; i++)
			__atomic_store_n(&r->gen[i], 0, __ATOMIC_RELEASE);
		check(w, r, 5 * q, q, "after MADV_DONTNEED (zeros)");
		write_range(r, 5 * q, q, gen);
	}
}

/*
 * Moves the main region to a fresh 2 MiB-aligned place of our own (a
 * PROT_NONE reservation, so that MREMAP_FIXED replaces nothing of anyone
 * else's) and grows it by one L1's span at once; checks it there, fills
 * the new tail, then shrinks it back.
 */
static void move_and_grow(struct worker *w, uint32_t gen)
{
	struct region *r = &w->main;
	size_t len = r->pages * MM_PAGE, grown = len + MM_L1_SPAN;
	size_t resv = grown + MM_L1_SPAN, i;
	uintptr_t start, at;
	uint64_t *tail, *moved;
	void *map;

	map = mmap(NULL, resv, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		feature_fail(F_MREMAP_MOVE, "mmap: %s", errname(errno));
		return;
	}
	start = (uintptr_t)map;
	at = (start + MM_L1_SPAN - 1) & ~(MM_L1_SPAN - 1);
	moved = mremap(r->base, len, grown, MREMAP_MAYMOVE | MREMAP_FIXED,
		       (void *)at);
	if (moved == MAP_FAILED) {
		feature_fail(F_MREMAP_MOVE, "mremap: %s", errname(errno));
		munmap(map, resv);
		return;
	}
	/* What is left of the reservation on either side. */
	if (at > start)
		munmap(map, at - start);
	if (start + resv > at + grown)
		munmap((void *)(at + grown), start + resv - (at + grown));
	__atomic_store_n(&r->base, moved, __ATOMIC_RELEASE);
	feature_count(F_MREMAP_MOVE, 1);
	check(w, r, 0, r->pages, "after mremap moved it");

	tail = moved + r->pages * MM_WORDS;
	for (i = 0; i < MM_L1_SPAN / sizeof(*tail); i++)
		if (tail[i]) {
			fprintf(stderr,
				"mmstress: BAD %s grown tail word %zu:"
				" 0x%016llx, want 0\n",
				r->name, i, (unsigned long long)tail[i]);
			w->bad++;
			break;
		}
	for (i = 0; i < MM_L1_SPAN / sizeof(*tail); i += MM_WORDS)
		tail[i] = mm_word(r->salt, ~(uint64_t)i, gen, 0);
	for (i = 0; i < MM_L1_SPAN / sizeof(*tail); i += MM_WORDS)
		if (tail[i] != mm_word(r->salt, ~(uint64_t)i, gen, 0)) {
			fprintf(stderr,
				"mmstress: BAD %s grown tail word %zu"
				" after the write\n",
				r->name, i);
			w->bad++;
			break;
		}
	feature_count(F_MREMAP_GROW, 1);
	if (mremap(moved, grown, len, 0) == MAP_FAILED)
		feature_fail(F_MREMAP_GROW, "mremap shrink: %s",
			     errname(errno));
}

static void ksm_round(struct worker *w, uint32_t gen)
{
	struct region *r = &w->ksm;
	size_t i, k;

	/* Last round's broken pages get the common content back. */
	for (i = 0; i < r->pages; i++)
		if (r->gen[i] != KSM_COMMON)
			region_write(r, i, KSM_COMMON);
	check(w, r, 0, r->pages, "in the KSM region");
	for (k = 0; k < KSM_BREAKS; k++) {
		i = ((size_t)gen * 7 + k * 61 + w->id * 13) % r->pages;
		region_write(r, i, gen);
	}
	check(w, r, 0, r->pages, "after KSM copy-on-write");
	feature_count(F_KSM, KSM_BREAKS);
}

static void uffd_round(struct worker *w, uint32_t gen)
{
	struct region *r = &w->uffd;
	volatile uint64_t sink = 0;
	size_t i;

	for (i = 0; i < r->pages; i++)
		__atomic_store_n(&r->gen[i], gen, __ATOMIC_RELEASE);
	if (madvise(r->base, r->pages * MM_PAGE, MADV_DONTNEED)) {
		feature_fail(F_UFFD, "MADV_DONTNEED: %s", errname(errno));
		return;
	}
	/* Each first read is a missing fault the handler answers. */
	for (i = 0; i < r->pages; i++)
		sink += r->base[i * MM_WORDS];
	(void)sink;
	check(w, r, 0, r->pages, "filled by the userfaultfd handler");
}

void worker_round(struct worker *w, uint32_t gen)
{
	struct region *r = &w->main;

	/* What the last round, reclaim and the reader left must be intact. */
	check(w, r, 0, r->pages, "at the start of the round");
	write_range(r, 0, r->pages, gen);
	if (feature_is_on(F_MPROTECT))
		flips(w, gen);
	advices(w, gen);
	if (feature_is_on(F_MREMAP_MOVE))
		move_and_grow(w, gen);
	if (feature_is_on(F_KSM))
		ksm_round(w, gen);
	if (feature_is_on(F_UFFD))
		uffd_round(w, gen);
	w->ops++;
}

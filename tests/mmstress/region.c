/* SPDX-License-Identifier: MIT */
/*
 * Checksummed memory: every page's content follows from its region's
 * salt, its key and its generation, so any page can be checked on its own
 * after any operation (a move, a swap-out, a merge, a fork) without a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mmstress.h"

uint64_t mm_word(uint64_t salt, uint64_t key, uint32_t gen, size_t w)
{
	uint64_t x = salt ^ (key << 20) ^ ((uint64_t)gen << 44) ^ w;

	/* splitmix64's finaliser: neighbouring words differ everywhere. */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int region_init(struct region *r, const char *name, size_t pages, uint64_t salt,
		uint32_t key_mod)
{
	size_t len = pages * MM_PAGE, slack = MM_L1_SPAN;
	uintptr_t start, aligned;
	void *map;

	memset(r, 0, sizeof(*r));
	/* Aligned to an L1's span, so that mremap can move whole PMDs. */
	map = mmap(NULL, len + slack, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return errno;
	start = (uintptr_t)map;
	aligned = (start + slack - 1) & ~(slack - 1);
	if (aligned > start)
		munmap(map, aligned - start);
	if (aligned + len < start + len + slack)
		munmap((void *)(aligned + len), start + slack - aligned);
	r->gen = calloc(pages, sizeof(*r->gen));
	r->maybe_zero = calloc(pages, 1);
	if (!r->gen || !r->maybe_zero)
		return ENOMEM;
	r->name = name;
	r->base = (uint64_t *)aligned;
	r->pages = pages;
	r->salt = salt;
	r->key_mod = key_mod;
	return 0;
}

uint64_t region_key(const struct region *r, size_t i)
{
	return r->key_mod ? i % r->key_mod : i;
}

void region_render(const struct region *r, size_t i, uint32_t gen,
		   uint64_t *dst)
{
	uint64_t key = region_key(r, i);
	size_t w;

	for (w = 0; w < MM_WORDS; w++)
		dst[w] = gen ? mm_word(r->salt, key, gen, w) : 0;
}

void region_write(struct region *r, size_t i, uint32_t gen)
{
	region_render(r, i, gen, r->base + i * MM_WORDS);
	r->maybe_zero[i] = 0;
	__atomic_store_n(&r->gen[i], gen, __ATOMIC_RELEASE);
}

static bool all_zero(const uint64_t *p)
{
	size_t w;

	for (w = 0; w < MM_WORDS; w++)
		if (p[w])
			return false;
	return true;
}

/* The first word of page I that differs from what it must hold, or -1. */
static long first_bad(const struct region *r, size_t i)
{
	const uint64_t *p = r->base + i * MM_WORDS;
	uint32_t gen = __atomic_load_n(&r->gen[i], __ATOMIC_ACQUIRE);
	uint64_t key = region_key(r, i);
	long bad = -1;
	size_t w;

	for (w = 0; w < MM_WORDS; w++) {
		uint64_t want = gen ? mm_word(r->salt, key, gen, w) : 0;

		if (p[w] != want) {
			bad = (long)w;
			break;
		}
	}
	if (bad >= 0 && r->maybe_zero[i] && all_zero(p))
		return -1;
	return bad;
}

size_t region_verify(const struct region *r, size_t from, size_t n,
		     const char *when)
{
	size_t i, bad = 0;

	for (i = from; i < from + n && i < r->pages; i++) {
		long w = first_bad(r, i);
		uint32_t gen = r->gen[i];
		uint64_t want, got;

		if (w < 0)
			continue;
		if (bad++ >= 3)
			continue; /* counted; the first three are enough */
		got = r->base[i * MM_WORDS + (size_t)w];
		want = gen ? mm_word(r->salt, region_key(r, i), gen, (size_t)w)
			   : 0;
		fprintf(stderr,
			"mmstress: BAD %s page %zu word %ld %s: 0x%016llx,"
			" want 0x%016llx (gen %u)\n",
			r->name, i, w, when, (unsigned long long)got,
			(unsigned long long)want, gen);
	}
	return bad;
}

void region_corrupt(struct region *r, size_t i)
{
	r->base[i * MM_WORDS + MM_WORDS / 2] ^= 0x10;
}

/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's PRNG: splitmix64 turns the seed into one independent
 * xorshift64* stream per vCPU, so that each vCPU's sequence of operations
 * depends on the seed alone (the interleaving of the two does not).
 */
#ifndef PVG_FUZZ_RNG_H
#define PVG_FUZZ_RNG_H

#include "types.h"

struct rng {
	u64 s;
};

static inline u64 splitmix64(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ul);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, u64 seed, unsigned int stream)
{
	u64 x = seed;
	unsigned int i;

	for (i = 0; i <= stream; i++)
		r->s = splitmix64(&x);
	if (!r->s)
		r->s = 1; /* xorshift's one fixed point */
}

static inline u64 rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dul;
}

/* Uniform enough in [0, n) for n far below 2^32. */
static inline u64 rng_below(struct rng *r, u64 n)
{
	return (rng_next(r) >> 32) % n;
}

#endif

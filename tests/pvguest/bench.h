/* SPDX-License-Identifier: MIT */
/* Cycles per PTE write for each way of updating an L1. */
#ifndef PVG_BENCH_H
#define PVG_BENCH_H

#include "types.h"

enum bench_mode { BM_NATIVE, BM_EMULATE, BM_MMU_UPDATE, BM_BATCH, BM_COUNT };

#define BENCH_KS 10 /* k = 1, 2, 4, ..., 512 */

struct bench_result {
	bool ran[BM_COUNT];
	u64 median[BM_COUNT][BENCH_KS]; /* cycles for all k writes */
	u64 min[BM_COUNT][BENCH_KS];
	const char *error[BM_COUNT]; /* why a mode stopped, or NULL */
};

const char *bench_mode_name(enum bench_mode mode);
void bench_set_smp(bool on);
extern u64 bench_emulated_writes;

#define RUN_BUCKETS 6
extern u64 bench_emul_runs[RUN_BUCKETS];
unsigned int run_bucket(u64 n);
extern u64 batch_unhooked_seen, batch_spurious_faults, batch_ptes, batch_runs;
extern u64 batch_faults_unhooked, batch_faults_rehooked, batch_faults_vcpu[2];

unsigned int bench_k(unsigned int i);
/* Measure MODE for every k; REPEATS timed runs after two warm-ups. */
void bench_mode(struct bench_result *r, enum bench_mode mode,
		unsigned int repeats);
/* Several modes taking turns within each repetition (one vCPU only). */
void bench_modes(struct bench_result *r, const enum bench_mode *modes,
		 unsigned int n, unsigned int repeats);
void bench_report(const struct bench_result *r, unsigned int repeats,
		  const char *batch_na);

#endif

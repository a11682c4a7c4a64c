/* SPDX-License-Identifier: MIT */
/* The page tables the benchmark and the safety tests write to. */
#ifndef PVG_TESTPT_H
#define PVG_TESTPT_H

#include "pvg.h"

#define TEST_L1S 2

struct testpt {
	u64 *l3;	      /* the boot L3 that maps VA 0..512 GiB */
	unsigned int l3_slot; /* our slot in it */
	u64 *l2;	      /* our L2 (read-only alias) */
	u64 *l1[TEST_L1S];    /* our L1s (read-only aliases) */
	u64 va;		      /* VA mapped by l1[0][0] */
	u8 *data;	      /* the data page the test PTEs map */
	u64 pte_ro, pte_rw;   /* data page read-only / writable */
};

extern struct testpt tpt;

/*
 * Xen adds flags to a 64-bit PV guest's L1 entries (USER, and its own
 * guest-kernel software bit), so compare only frame, present and write.
 */
static inline bool pte_same(u64 entry, u64 val)
{
	return !((entry ^ val) & (PTE_ADDR_MASK | PTE_P | PTE_RW));
}

int testpt_setup(void);
int testpt_selftest(void);
long testpt_set(unsigned int l1, unsigned int first, unsigned int n, u64 val);

#endif

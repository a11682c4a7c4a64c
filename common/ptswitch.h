/* SPDX-License-Identifier: MIT */
/*
 * ptswitch: definitions shared by the daemon, the guest agent and tests.
 *
 * The statistics layout mirrors what the hypervisor's domctl returns
 * (hv-patches/), so the xenctrl backend can copy it field by field.
 */
#ifndef PTSWITCH_H
#define PTSWITCH_H

#include <stdint.h>

#define PTSWITCH_VERSION "0.1.0"

enum pt_mode {
	PT_MODE_EMULATE = 0,
	PT_MODE_BATCH = 1,
};

/*
 * Run-length / batch-size histogram buckets: 1, 2-9, 10-49, 50-99,
 * 100-511, 512 (a whole L1 page).
 */
#define PT_HIST_BUCKETS 6

/* Why a batch was closed (flushed).  Order is ABI with the domctl. */
enum pt_flush_reason {
	PT_FLUSH_EXPLICIT = 0, /* guest left lazy-MMU mode */
	PT_FLUSH_FAULT,	       /* access to the unhooked range */
	PT_FLUSH_SECOND_PAGE,  /* write to another page-table page */
	PT_FLUSH_HYPERCALL,    /* mmu_update, mmuext_op, update_va_mapping */
	PT_FLUSH_CR3,	       /* page-table base switch */
	PT_FLUSH_DESCHED,      /* vCPU descheduled or domain paused */
	PT_FLUSH_GRANT,	       /* grant-table operation */
	PT_FLUSH_MODE,	       /* mode switch or domain destruction */
	PT_FLUSH_REASONS
};

/* Per-domain page-table update counters; all monotonic. */
struct pt_stats {
	uint64_t emulated_writes;	      /* PTE writes emulated */
	uint64_t emul_runs[PT_HIST_BUCKETS];  /* EMULATE run lengths */
	uint64_t batches;		      /* batches flushed */
	uint64_t batch_ptes;		      /* PTEs changed in batches */
	uint64_t batch_hist[PT_HIST_BUCKETS]; /* PTEs changed per batch */
	uint64_t flush_reason[PT_FLUSH_REASONS];
	uint64_t spurious_faults; /* bounced to the guest */
	uint64_t unhook_refused;  /* fell back to emulation */
	uint64_t revalidation_failures;
};

const char *pt_mode_name(enum pt_mode mode);
int pt_mode_parse(const char *s, enum pt_mode *mode);
const char *pt_flush_reason_name(enum pt_flush_reason r);
/* Bucket index for a run or batch of n PTE writes (n >= 1). */
unsigned int pt_hist_bucket(uint64_t n);
/* Representative run length of a bucket, for cost estimates. */
double pt_hist_mean(unsigned int bucket);
extern const char *const pt_hist_label[PT_HIST_BUCKETS];

#endif /* PTSWITCH_H */

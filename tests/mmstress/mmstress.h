/* SPDX-License-Identifier: MIT */
/*
 * mmstress: drives the kernel's page-table walkers on checksummed memory
 * from several threads at once (README.md in this directory).  Shared
 * declarations: the checksummed regions (region.c), the per-feature state
 * and report (feature.c), and each feature's entry points.
 */
#ifndef MMSTRESS_H
#define MMSTRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define MM_PAGE 4096ul
#define MM_WORDS (MM_PAGE / sizeof(uint64_t))
#define MM_L1_SPAN (2ul << 20) /* the memory one L1 page-table page maps */

/* --- region.c: memory whose every page has a known content ------------- */

/*
 * Page i holds mm_word(salt, key, gen[i], w) in word w, where key is i (or
 * i % key_mod, so that pages of a KSM region repeat), and gen 0 means the
 * page must read as zeros.  A page marked maybe_zero (MADV_FREE'd, not yet
 * written again) may also read as zeros.
 */
struct region {
	const char *name;
	uint64_t *base; /* where it is mapped now (mremap moves it) */
	size_t pages;
	uint64_t salt;
	uint32_t key_mod;
	uint32_t *gen; /* read by the userfaultfd handler: __atomic */
	uint8_t *maybe_zero;
};

uint64_t mm_word(uint64_t salt, uint64_t key, uint32_t gen, size_t w);
/* Maps PAGES at a 2 MiB boundary; every page zero (gen 0). 0 or errno. */
int region_init(struct region *r, const char *name, size_t pages, uint64_t salt,
		uint32_t key_mod);
uint64_t region_key(const struct region *r, size_t i);
/* Fills a page-sized buffer with what page I must hold at GEN. */
void region_render(const struct region *r, size_t i, uint32_t gen,
		   uint64_t *dst);
void region_write(struct region *r, size_t i, uint32_t gen);
/* Checks N pages from FROM; returns how many are wrong (each logged). */
size_t region_verify(const struct region *r, size_t from, size_t n,
		     const char *when);
/* The self-test: damages one word of page I behind the checksum's back. */
void region_corrupt(struct region *r, size_t i);

/* --- feature.c: what ran, what was skipped and why --------------------- */

enum feature_id {
	F_THREADS,
	F_SWAP,
	F_MEMCG,
	F_KSM,
	F_UFFD,
	F_PAGEMAP,
	F_SMAPS,
	F_CLEAR_REFS,
	F_MADV_COLD,
	F_MADV_PAGEOUT,
	F_MADV_FREE,
	F_MADV_DONTNEED,
	F_MREMAP_MOVE,
	F_MREMAP_GROW,
	F_MPROTECT,
	F_FORK,
	F_COUNT
};

void feature_on(enum feature_id f);
bool feature_is_on(enum feature_id f);
/* Not run: the kernel lacks it, or it was not asked for (printf-style). */
void feature_skip(enum feature_id f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* It ran and then failed: the whole run fails. */
void feature_fail(enum feature_id f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void feature_count(enum feature_id f, uint64_t n);
/* Extra figures for the feature's report line ("key=value ..."). */
void feature_note(enum feature_id f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool feature_any_failed(void);
/* One line per feature, then the names that ran and were skipped. */
void feature_report(FILE *out);
void feature_lists(char *ran, size_t ran_len, char *skipped,
		   size_t skipped_len);
/* "ENOSYS" for ENOSYS: the reason a feature is missing, by name. */
const char *errname(int err);

/* --- sysfs.c: small reads and writes of kernel files ------------------- */

/* 0 or errno; the value without its newline. */
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_write(const char *path, const char *val);
/* A number from a file, or -1. */
long long sysfs_number(const char *path);
/* The value of KEY in /proc/vmstat, or -1. */
long long vmstat(const char *key);

/* --- swap.c: swap space, and memory pressure through a memory cgroup --- */

/* Probes swap; with DEV, writes a swap header on it and swapon()s it. */
void swap_setup(const char *dev);
/* Puts this process in a memory cgroup of MAX_BYTES, if swap is on. */
void memcg_setup(size_t max_bytes);
void swap_teardown(void);
void swap_report(void);

/* --- ksm.c --------------------------------------------------------------- */

/* Probes KSM on a scratch page; with ALLOW_SYSFS starts ksmd. */
void ksm_setup(bool allow_sysfs);
int ksm_merge(struct region *r);
/* Pages merged now (this process, or system-wide as a fallback). */
long long ksm_sharing(void);
void ksm_teardown(void);

/* --- uffd.c: userfaultfd with a missing-fault handler thread ----------- */

void uffd_setup(void);
/* Registers R (missing faults): its pages are filled from r->gen. */
int uffd_register(struct region *r);
void uffd_teardown(void);

/* --- procread.c: /proc readers while the workers write ------------------ */

/* A thread reading this process's pagemap, smaps and clear_refs, and a
 * process reading them from outside; both run until procread_stop(). */
void procread_start(struct region *const *regions, size_t n);
void procread_stop(void);

/* --- ops.c: one worker's round of madvise, mprotect, mremap ------------ */

struct worker {
	unsigned id;
	struct region main; /* madvise, mprotect, mremap, swap */
	struct region ksm;  /* identical pages across workers */
	struct region uffd; /* filled by the fault handler */
	uint64_t bad;	    /* pages found wrong during its rounds */
	uint64_t ops;
};

/* One round's work; GEN is the round's generation (never 0). */
void worker_round(struct worker *w, uint32_t gen);

/* --- forkcheck.c ------------------------------------------------------------
 */

/* A child that checks every region and writes its own copies: 0 when it
 * and the parent agree, else the number of bad pages it reported. */
uint64_t fork_verify(struct region *const *regions, size_t n);
/* A child that exits at once: its fork copies and its exit zaps the page
 * tables the workers are changing.  False if fork failed. */
bool fork_quick(void);

#endif

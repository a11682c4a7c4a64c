/* SPDX-License-Identifier: MIT */
/*
 * Seeded fuzz mode of the PV test kernel (pvg.mode=fuzz): 2-4 vCPUs run
 * random sequences of page-table operations in BATCH, then the guest
 * audits what it can see of its own tables (fuzz.c, fuzz_ops.c,
 * fuzz_audit.c; README.md, "Fuzz mode").
 */
#ifndef PVG_FUZZ_H
#define PVG_FUZZ_H

#include "fuzz_rng.h"
#include "testpt.h"

#define FUZZ_MAX_CPUS 4
#define FUZZ_L1S 4	    /* batchable L1s: test L2 slots 0-3 */
#define FUZZ_L1D 4	    /* index of the L1 hooked twice (slots 4, 5) */
#define FUZZ_TABLES 5	    /* the batchable L1s and that one */
#define FUZZ_SPARE_SLOT 8   /* + vCPU: its spare L1, hooked and unhooked */
#define FUZZ_PLAY_SLOT 12   /* + vCPU: self-maps and refused L2 entries */
#define FUZZ_RANGE_SLOTS 6  /* L2 slots whose 2 MiB the ops read through */
#define FUZZ_SLOTS 500	    /* L1 entries the ops write; the rest reserved */
#define FUZZ_STACK_SLOT 500 /* + vCPU: its iret stack page */
#define FUZZ_GRANT_SLOT 504 /* + vCPU: where it maps dom0's granted page */
#define FUZZ_NO_L1_SLOT 20  /* an L2 slot never hooked: no L1 to map into */
#define FUZZ_DATA 4
#define FUZZ_ERRNOS 128
#define FUZZ_NOTES 4 /* violations kept in full per vCPU */

/* Spare tables of one vCPU, pinned and unpinned by it alone. */
enum { SPARE_L1, SPARE_L2, SPARE_L3, SPARE_L4, SPARES };

enum fuzz_op {
	OP_STORE,	  /* valid native stores, a burst, to one L1 */
	OP_STORE_FORBID,  /* a forbidden native store to the L1 hooked twice */
	OP_STORE_L2,	  /* a native store to the L2 (never writable) */
	OP_MMU,		  /* mmu_update, valid entries */
	OP_MMU_FORBID,	  /* mmu_update with one forbidden entry */
	OP_MMU_L2,	  /* mmu_update of an L2 slot: hooks, self-maps */
	OP_UVA,		  /* update_va_mapping, valid */
	OP_UVA_FORBID,	  /* update_va_mapping, forbidden */
	OP_PIN,		  /* pin or unpin one of the vCPU's spare tables */
	OP_PIN_FORBID,	  /* pin a data page or a table at a wrong level */
	OP_BASEPTR,	  /* MMUEXT_NEW_BASEPTR: boot L4 <-> spare L4 */
	OP_CR3,		  /* mov to cr3 (emulated by Xen) */
	OP_TLB,		  /* TLB flush / invlpg, local or all */
	OP_FLUSH,	  /* MMUEXT_FLUSH_PT_BATCH */
	OP_MULTI,	  /* a multicall of 2-4 of the above */
	OP_IRET_OUT,	  /* iret hypercall, frame outside the test ranges */
	OP_IRET_IN,	  /* frame in the range of the L1 hooked twice */
	OP_IRET_UNHOOKED, /* frame in a batchable range (pvg.fuzz_iret=2) */
	OP_EVTCHN,	  /* EVTCHNOP_send on the console port */
	OP_UPCALL,	  /* an IPI event to this or the other vCPU */
	OP_UPCALL_STACK,  /* one to itself on a stack in a batchable range */
	OP_GRANT,	  /* map dom0's granted page in a test L1, or unmap */
	OP_GRANT_FORBID,  /* a bad ref, no L1 there, a bad handle */
	OP_OPTIN,	  /* withdraw and give the BATCH consent again */
	OP_SPIN,	  /* stay out of Xen for a while */
	OP_READ,	  /* invlpg, then read through a test mapping */
	OP_CHECK,	  /* own entries of one L1 against the shadow */
	OP_KINDS
};

struct fuzz_tables {
	u64 *l1[FUZZ_TABLES]; /* read-only aliases; [FUZZ_L1D] hooked twice */
	u8 *data[FUZZ_DATA];  /* pages the valid entries map */
	u64 *spare[FUZZ_MAX_CPUS][SPARES];
	u8 *stack[FUZZ_MAX_CPUS]; /* iret stack pages */
	u64 root;		  /* boot L4 (virtual) */
	u64 xen_mfn;		  /* the M2P's L3: a Xen page */
	u64 max_page;		  /* XENMEM_maximum_ram_page */
};

/* What one vCPU did; written by that vCPU only. */
struct fuzz_cpu {
	struct rng rng;
	u64 ops[OP_KINDS];
	u64 refused[FUZZ_ERRNOS]; /* by -rc of the refusing hypercall */
	u64 refused_by[OP_KINDS][FUZZ_ERRNOS]; /* the same, per kind */
	enum fuzz_op cur;		       /* the op being run */
	u64 refused_pf; /* forbidden native stores bounced (#PF) */
	u64 no_effect;	/* forbidden, not bounced, entry unchanged */
	u64 unexpected; /* a valid op failed, a pin state differed */
	u64 violations;
	u64 spurious, skipped_reads, selfmap_taken;
	u64 retries;		      /* faults retried in the current op */
	u64 ipis_sent[FUZZ_MAX_CPUS]; /* OP_UPCALL*: events sent, by target */
	u64 upcall_late;	      /* a self-sent event not in on return */
	u64 grant_maps, grant_unmaps, grant_refused;
	bool grant_mapped;
	unsigned int grant_table;
	u32 grant_handle;
	bool pinned[SPARES], spare_hooked, on_spare_root;
	char note[FUZZ_NOTES][160];
	/* Trap hook state: the expected fault of the current op. */
	volatile u64 resume_rip;
	volatile bool faulted;
};

extern struct fuzz_tables ft;
extern struct fuzz_cpu fc[FUZZ_MAX_CPUS];
extern u64 fuzz_shadow[FUZZ_TABLES][512];	  /* last valid value stored */
extern u64 fuzz_spare_shadow[FUZZ_MAX_CPUS][512]; /* of each spare L1 */
extern bool fuzz_iret_unhooked;
extern unsigned int fuzz_cpus; /* vCPUs running ops: 2 to FUZZ_MAX_CPUS */
extern long fuzz_grant_ref;    /* dom0's granted page, -1: grant ops off */

const char *fuzz_op_name(enum fuzz_op op);
/* Record a violation: counted, the first few kept for the report. */
void fuzz_violation(struct fuzz_cpu *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A valid op failed or a pin state differed: counted, noted. */
void fuzz_unexpected(struct fuzz_cpu *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Count a refusal by errno (rc < 0); false if rc was not a refusal. */
bool fuzz_refused(struct fuzz_cpu *c, long rc);

/* fuzz_ops.c: one random operation of vCPU CPU. */
void fuzz_setup_ops(void);
void fuzz_one(unsigned int cpu);
void fuzz_finish_cpu(unsigned int cpu);
bool fuzz_store(volatile u64 *p, u64 val);
bool fuzz_load(volatile u64 *p, u64 *val);
u64 fuzz_slot_va(unsigned int t, unsigned int s);
volatile u64 *fuzz_entry(unsigned int t, unsigned int s);

/* fuzz_events.c: event upcalls and grant mappings. */
void fuzz_setup_events(void);
void fuzz_upcall(struct fuzz_cpu *c, unsigned int cpu);
void fuzz_upcall_on_stack(struct fuzz_cpu *c, unsigned int cpu);
void fuzz_grant(struct fuzz_cpu *c, unsigned int cpu);
void fuzz_grant_forbid(struct fuzz_cpu *c, unsigned int cpu);
void fuzz_grant_unmap(struct fuzz_cpu *c, unsigned int cpu);
/* vCPU 0, after both vCPUs' ops: each vCPU still gets its events. */
void fuzz_check_events(void);
void fuzz_report_events(void);

/* fuzz_audit.c */
struct fuzz_audit {
	u64 roots, tables, leaves, writable_tables, foreign, unhooked_pdes;
	u64 lost_updates, superpages;
};
void fuzz_audit_run(struct fuzz_audit *a);

void fuzz_run(u64 seed, u64 ops, bool batch_on);

#endif

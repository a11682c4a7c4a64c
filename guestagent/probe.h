/* SPDX-License-Identifier: MIT */
/*
 * Capability probe: what the running kernel really supports, read from
 * <root>/sys and never assumed.  BATCH needs all of: a Xen PV guest, a
 * kernel whose ELF notes carry the ptswitch note with every BATCH token,
 * the kernel's runtime report that Xen accepted its vm-assist opt-in, and,
 * where the kernel has it, its runtime list of the note's tokens in force
 * (the note is fixed at build time and says nothing of the boot).
 */
#ifndef PTSWITCH_PROBE_H
#define PTSWITCH_PROBE_H

#include <stdbool.h>

#include "kernelnotes.h"

/* Files the probe reads, relative to the root. */
#define PROBE_HV_TYPE "sys/hypervisor/type"
#define PROBE_GUEST_TYPE "sys/hypervisor/guest_type"
#define PROBE_NOTES "sys/kernel/notes"
#define PROBE_VM_ASSIST "sys/hypervisor/ptswitch/vm_assist"
#define PROBE_RUNTIME_CAPS "sys/hypervisor/ptswitch/caps"

/* Longer than any line of tokens a kernel writes there. */
#define PROBE_RUNTIME_CAPS_MAX 128

/* Upper bound on /sys/kernel/notes (a 6.1 kernel has about 500 bytes). */
#define PROBE_NOTES_MAX 8192

/* What became of sys/hypervisor/ptswitch/caps. */
enum probe_runtime {
	PROBE_RUNTIME_ABSENT,	  /* a kernel from before it */
	PROBE_RUNTIME_READ,	  /* runtime_caps holds it */
	PROBE_RUNTIME_MALFORMED,  /* not a regular file of one line of tokens */
	PROBE_RUNTIME_UNREADABLE, /* there, but it cannot be opened or read */
};

struct probe_result {
	char hv_type[16];    /* "xen", or empty when unknown */
	char guest_type[16]; /* "PV", "HVM", "PVH", or empty */
	bool notes_read;     /* /sys/kernel/notes was readable */
	bool notes_ok;	     /* ... and well formed */
	struct kernel_notes notes;
	int vm_assist;		    /* 1 on, 0 off, -1 no such file */
	enum probe_runtime runtime; /* sys/hypervisor/ptswitch/caps */
	unsigned int runtime_caps;  /* PROTO_CAP_* bits in force, if read */
	unsigned int caps;	    /* PROTO_CAP_* bits to publish */
	bool batch_ok;		    /* BATCH may be acked */
	const char *reason; /* why not, a protocol token; NULL if batch_ok */
};

/* Probe below root ("/" in production).  Never fails: see r->reason. */
void probe_run(const char *root, struct probe_result *r);

#endif /* PTSWITCH_PROBE_H */

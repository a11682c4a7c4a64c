/* SPDX-License-Identifier: MIT */
/*
 * The XEN_DOMCTL_pt_mode ABI added by hv-patches/ (public/domctl.h and
 * public/xen.h of the patched hypervisor), for tools built against
 * Debian's unpatched Xen headers.  It must match the patched public
 * headers exactly: tests/unit/test_pt_domctl.c checks the layout against
 * struct pt_stats and the domctl payload, and hv-patches/check-abi.sh
 * checks it against the headers of a patched build.
 *
 * The op is issued through xc_domctl() with this structure in the
 * domctl's union; the interface version stays Debian's (0x15 on 4.17,
 * 0x17 on 4.20): the series does not bump it.
 *
 * The number and the interface list below are the whole of what ties a
 * build to a Xen release; daemon/pt_xc.c says why the check is made at
 * build time.
 */
#ifndef PT_DOMCTL_H
#define PT_DOMCTL_H

#include <stdint.h>

/*
 * The series' numbers: out of tree, so far from upstream's allocation
 * fronts (hv-patches/README.md, "ABI"); check-abi.sh checks them against
 * the patched headers and against upstream.
 */
#define PT_DOMCTL_CMD 0x7074 /* XEN_DOMCTL_pt_mode */

/*
 * XEN_DOMCTL_INTERFACE_VERSION of each Xen release hv-patches/ has a
 * series for: 4.17 (hv-patches/series) and 4.20 (hv-patches/xen-4.20/).
 * Tools built against another release's headers never issue the op:
 * there, PT_DOMCTL_CMD may be another domctl.  A new port adds its line
 * here and to PT_DOMCTL_HAS_SERIES.
 */
#define PT_DOMCTL_INTERFACE_4_17 0x15
#define PT_DOMCTL_INTERFACE_4_20 0x17
#define PT_DOMCTL_HAS_SERIES(v)                                                \
	((v) == PT_DOMCTL_INTERFACE_4_17 || (v) == PT_DOMCTL_INTERFACE_4_20)

/* VM-assist a guest enables to consent to BATCH (VMASST_TYPE_pt_batch). */
#define PT_VMASST_TYPE_PT_BATCH 48

/* The guest's explicit flush (MMUEXT_FLUSH_PT_BATCH). */
#define PT_MMUEXT_FLUSH_PT_BATCH 0x7074

/* Xen keeps vcpu_info.pt_batch_open (XENFEAT_pt_batch_open). */
#define PT_XENFEAT_PT_BATCH_OPEN 31

/* Sub-ops (XEN_DOMCTL_PT_MODE_OP_*). */
#define PT_DOMCTL_OP_GET 0
#define PT_DOMCTL_OP_SET 1
#define PT_DOMCTL_OP_GET_STATS 2

/* Modes (XEN_DOMCTL_PT_MODE_*); the same values as enum pt_mode. */
#define PT_DOMCTL_MODE_EMULATE 0
#define PT_DOMCTL_MODE_BATCH 1

/* Output flags (XEN_DOMCTL_PT_MODE_F_*). */
#define PT_DOMCTL_F_OPTED_IN (1u << 0) /* guest enabled the vm-assist */

#define PT_DOMCTL_HIST_BUCKETS 6
#define PT_DOMCTL_FLUSH_REASONS 8

/* struct xen_domctl_pt_stats: filled through the stats handle. */
struct pt_domctl_stats {
	uint64_t emulated_writes;
	uint64_t emul_runs[PT_DOMCTL_HIST_BUCKETS];
	uint64_t batches;
	uint64_t batch_ptes;
	uint64_t batch_hist[PT_DOMCTL_HIST_BUCKETS];
	uint64_t flush_reason[PT_DOMCTL_FLUSH_REASONS];
	uint64_t spurious_faults;
	uint64_t unhook_refused;
	uint64_t revalidation_failures;
};

/* struct xen_domctl_pt_mode: the payload in xen_domctl.u. */
struct pt_domctl_op {
	uint32_t op;	/* IN: PT_DOMCTL_OP_* */
	uint32_t mode;	/* IN (set) / OUT (get, get-stats) */
	uint32_t flags; /* IN: 0; OUT: PT_DOMCTL_F_* */
	uint32_t size;	/* IN: bytes at stats; OUT: Xen's stats size */
	uint64_t stats; /* IN: guest handle (address) of the stats buffer */
};

#endif /* PT_DOMCTL_H */

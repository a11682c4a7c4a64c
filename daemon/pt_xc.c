/* SPDX-License-Identifier: MIT */
/*
 * XEN_DOMCTL_pt_mode through xc_domctl(): Debian's libxenctrl exports it
 * and stamps its own interface version (0x15 on 4.17, 0x17 on 4.20),
 * which the patches keep.
 *
 * Whether the op may be issued at all is decided at build time, from the
 * Xen headers this file is compiled against.  libxenctrl stamps the
 * XEN_DOMCTL_INTERFACE_VERSION of its own release on every domctl, and
 * Debian's soname names that release (libxenctrl.so.4.17, .so.4.20): the
 * binary cannot load another one, and a hypervisor of another release
 * refuses the domctl with -EACCES before reading its number.  So the
 * headers name the only hypervisor interface this binary can reach, and
 * a run-time check could only repeat them.  hv-patches/ has a series for
 * 4.17 and 4.20 (PT_DOMCTL_HAS_SERIES).  Built against a release without
 * one, the op is never issued: every call fails with -ENOSYS and the
 * daemon runs in advise mode.  The op's number is out of upstream's way
 * on every release (hv-patches/check-abi.sh), but a release without the
 * series would answer it with -ENOSYS at best.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pt_domctl.h"
#include "pt_xc.h"

#define PT_XC_SERIES PT_DOMCTL_HAS_SERIES(XEN_DOMCTL_INTERFACE_VERSION)

#if PT_XC_SERIES && defined(XEN_DOMCTL_dt_overlay)
/* 87, the series' number before it moved out of upstream's way. */
_Static_assert(XEN_DOMCTL_dt_overlay != PT_DOMCTL_CMD,
	       "PT_DOMCTL_CMD is XEN_DOMCTL_dt_overlay in these headers");
#endif

const char *pt_xc_unsupported(void)
{
	static char why[112]; /* fits struct backend's why_not */

	if (PT_XC_SERIES)
		return NULL;
	snprintf(why, sizeof(why),
		 "no ptswitch series for Xen domctl interface 0x%x "
		 "(hv-patches: 0x%x, 0x%x); domctl never issued",
		 (unsigned int)XEN_DOMCTL_INTERFACE_VERSION,
		 (unsigned int)PT_DOMCTL_INTERFACE_4_17,
		 (unsigned int)PT_DOMCTL_INTERFACE_4_20);
	return why;
}

_Static_assert(sizeof(struct pt_domctl_op) <=
		   sizeof(((struct xen_domctl *)0)->u.pad),
	       "the ptswitch payload must fit the domctl union");

int pt_xc_op(xc_interface *xch, unsigned int domid, struct pt_domctl_op *op)
{
#if !PT_XC_SERIES
	/* Not even compiled in: see pt_xc_unsupported(). */
	(void)xch;
	(void)domid;
	(void)op;
	return -ENOSYS;
#else
	struct xen_domctl dc;

	memset(&dc, 0, sizeof(dc));
	dc.cmd = PT_DOMCTL_CMD;
	dc.domain = (domid_t)domid;
	memcpy(dc.u.pad, op, sizeof(*op));
	errno = 0;
	if (xc_domctl(xch, &dc) < 0)
		return errno ? -errno : -EIO;
	memcpy(op, dc.u.pad, sizeof(*op));
	return 0;
#endif
}

int pt_xc_get_mode(xc_interface *xch, unsigned int domid, uint32_t *mode,
		   uint32_t *flags)
{
	struct pt_domctl_op op = {.op = PT_DOMCTL_OP_GET};
	int err = pt_xc_op(xch, domid, &op);

	if (err)
		return err;
	*mode = op.mode;
	*flags = op.flags;
	return 0;
}

int pt_xc_set_mode(xc_interface *xch, unsigned int domid, uint32_t mode)
{
	struct pt_domctl_op op = {.op = PT_DOMCTL_OP_SET, .mode = mode};

	return pt_xc_op(xch, domid, &op);
}

void pt_xc_import_stats(const struct pt_domctl_stats *in, struct pt_stats *st)
{
	unsigned int i;

	_Static_assert(PT_DOMCTL_HIST_BUCKETS == PT_HIST_BUCKETS,
		       "histogram buckets");
	_Static_assert(PT_DOMCTL_FLUSH_REASONS == PT_FLUSH_REASONS,
		       "flush reasons");
	memset(st, 0, sizeof(*st));
	st->emulated_writes = in->emulated_writes;
	for (i = 0; i < PT_HIST_BUCKETS; i++) {
		st->emul_runs[i] = in->emul_runs[i];
		st->batch_hist[i] = in->batch_hist[i];
	}
	st->batches = in->batches;
	st->batch_ptes = in->batch_ptes;
	for (i = 0; i < PT_FLUSH_REASONS; i++)
		st->flush_reason[i] = in->flush_reason[i];
	st->spurious_faults = in->spurious_faults;
	st->unhook_refused = in->unhook_refused;
	st->revalidation_failures = in->revalidation_failures;
}

int pt_xc_get_stats(xc_interface *xch, unsigned int domid, struct pt_stats *st,
		    uint32_t *mode, uint32_t *flags)
{
	DECLARE_HYPERCALL_BUFFER(struct pt_domctl_stats, buf);
	struct pt_domctl_op op = {.op = PT_DOMCTL_OP_GET_STATS};
	int err;

	if (!PT_XC_SERIES)
		return -ENOSYS;
	buf = xc_hypercall_buffer_alloc(xch, buf, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	memset(buf, 0, sizeof(*buf));
	op.size = sizeof(*buf);
	op.stats = HYPERCALL_BUFFER_AS_ARG(buf);
	err = pt_xc_op(xch, domid, &op);
	if (!err) {
		/* An older Xen with fewer counters leaves the rest zero. */
		pt_xc_import_stats(buf, st);
		if (mode)
			*mode = op.mode;
		if (flags)
			*flags = op.flags;
	}
	xc_hypercall_buffer_free(xch, buf);
	return err;
}

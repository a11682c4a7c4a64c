/* SPDX-License-Identifier: MIT */
/*
 * The ptswitch domctl (XEN_DOMCTL_pt_mode, common/pt_domctl.h) issued
 * through Debian's libxenctrl.  Shared by the xenctrl backend and the
 * pt-domctl test tool.  Every call returns 0 or a negative errno: the
 * hypervisor's answer (-ENOSYS from a Xen without the patches).
 */
#ifndef PTSWITCHD_PT_XC_H
#define PTSWITCHD_PT_XC_H

#include <stdint.h>
#include <xenctrl.h>

#include "ptswitch.h"

struct pt_domctl_op;

/*
 * NULL when this build can issue the domctl; otherwise why not (built
 * against a Xen release without a ptswitch series), and every call below
 * returns -ENOSYS without reaching the hypervisor.
 */
const char *pt_xc_unsupported(void);

/* The domctl as it is: op in, Xen's answer out (tests use it raw). */
int pt_xc_op(xc_interface *xch, unsigned int domid, struct pt_domctl_op *op);

int pt_xc_get_mode(xc_interface *xch, unsigned int domid, uint32_t *mode,
		   uint32_t *flags);
int pt_xc_set_mode(xc_interface *xch, unsigned int domid, uint32_t mode);
/* mode and flags may be NULL. */
struct pt_domctl_stats;

/* The domctl's counters in the daemon's layout. */
void pt_xc_import_stats(const struct pt_domctl_stats *in, struct pt_stats *st);
int pt_xc_get_stats(xc_interface *xch, unsigned int domid, struct pt_stats *st,
		    uint32_t *mode, uint32_t *flags);

#endif /* PTSWITCHD_PT_XC_H */

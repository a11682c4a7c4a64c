/* SPDX-License-Identifier: MIT */
/*
 * The xenctrl backend: the ptswitch domctl of the patched hypervisor
 * (hv-patches/) through Debian's libxenctrl, and the domain list through
 * XEN_DOMCTL_getdomaininfo.
 *
 * On a hypervisor without the patches the backend still opens, so the
 * daemon can run in advise mode: every domain is then in EMULATE (the only
 * mode such a Xen has), there are no counters, and only EMULATE can be
 * "set".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>

#include "backend.h"
#include "log.h"
#include "pt_domctl.h"
#include "pt_xc.h"

struct xc_backend {
	xc_interface *xch;
	bool patched; /* the hypervisor knows the ptswitch domctl */
};

/* One domain's XEN_DOMCTL_getdomaininfo; -ESRCH if it does not exist. */
static int domain_info(xc_interface *xch, unsigned int domid,
		       xc_domaininfo_t *info)
{
	int n;

	errno = 0;
	n = xc_domain_getinfolist(xch, domid, 1, info);
	if (n < 0)
		return errno ? -errno : -EIO;
	/* The call returns the first domain at or above domid. */
	if (n == 0 || info->domain != domid)
		return -ESRCH;
	return 0;
}

/*
 * Ask the hypervisor for the mode of an existing domain (the first one,
 * normally dom0): an unknown domctl fails with -ENOSYS (arch_do_domctl's
 * default), whereas the patched hypervisor answers, or refuses a domain
 * that is not 64-bit PV with -EOPNOTSUPP.
 */
static void probe(struct backend *be, struct xc_backend *x)
{
	xc_domaininfo_t info;
	uint32_t mode, flags;
	int n, err;

	if (pt_xc_unsupported()) {
		snprintf(be->why_not, sizeof(be->why_not), "%s",
			 pt_xc_unsupported());
		return;
	}
	errno = 0;
	n = xc_domain_getinfolist(x->xch, 0, 1, &info);
	if (n != 1) {
		snprintf(be->why_not, sizeof(be->why_not),
			 "cannot list domains: %s",
			 strerror(n < 0 && errno ? errno : ESRCH));
		return;
	}
	err = pt_xc_get_mode(x->xch, info.domain, &mode, &flags);
	switch (err) {
	case 0:
	case -EOPNOTSUPP:
		x->patched = true;
		be->can_switch = true;
		be->why_not[0] = '\0';
		return;
	case -ENOSYS:
		snprintf(
		    be->why_not, sizeof(be->why_not),
		    "hypervisor lacks the ptswitch domctl (unpatched Xen)");
		return;
	case -EACCES:
		snprintf(be->why_not, sizeof(be->why_not),
			 "hypervisor refused libxenctrl's domctl interface "
			 "version (tools and Xen do not match)");
		return;
	case -EPERM:
		snprintf(be->why_not, sizeof(be->why_not),
			 "the XSM policy denies the ptswitch domctl");
		return;
	default:
		snprintf(be->why_not, sizeof(be->why_not),
			 "ptswitch domctl probe failed: %s", strerror(-err));
		return;
	}
}

static int xc_open(struct backend *be, const char *arg)
{
	struct xc_backend *x;

	if (arg && *arg) {
		log_err("xenctrl backend takes no argument (got '%s')", arg);
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	errno = 0;
	x->xch = xc_interface_open(NULL, NULL, 0);
	if (!x->xch) {
		int err = errno ? errno : ENODEV;

		free(x);
		return -err;
	}
	be->priv = x;
	be->can_switch = false;
	probe(be, x);
	if (x->patched)
		log_info("xenctrl: hypervisor has the ptswitch domctl");
	else
		log_warn("xenctrl: %s", be->why_not);
	return 0;
}

static void xc_close(struct backend *be)
{
	struct xc_backend *x = be->priv;

	if (!x)
		return;
	xc_interface_close(x->xch);
	free(x);
	be->priv = NULL;
}

static int xc_get_mode(struct backend *be, unsigned int domid,
		       enum pt_mode *mode)
{
	struct xc_backend *x = be->priv;
	xc_domaininfo_t info;
	uint32_t m, flags;
	int err;

	if (!x->patched) {
		/* Without the patches every domain emulates. */
		err = domain_info(x->xch, domid, &info);
		if (!err)
			*mode = PT_MODE_EMULATE;
		return err;
	}
	err = pt_xc_get_mode(x->xch, domid, &m, &flags);
	if (err)
		return err;
	if (m != PT_DOMCTL_MODE_EMULATE && m != PT_DOMCTL_MODE_BATCH)
		return -EPROTO;
	*mode = m == PT_DOMCTL_MODE_BATCH ? PT_MODE_BATCH : PT_MODE_EMULATE;
	return 0;
}

static int xc_set_mode(struct backend *be, unsigned int domid,
		       enum pt_mode mode)
{
	struct xc_backend *x = be->priv;
	xc_domaininfo_t info;
	int err;

	if (!x->patched) {
		err = domain_info(x->xch, domid, &info);
		if (err)
			return err;
		return mode == PT_MODE_EMULATE ? 0 : -EOPNOTSUPP;
	}
	return pt_xc_set_mode(x->xch, domid,
			      mode == PT_MODE_BATCH ? PT_DOMCTL_MODE_BATCH
						    : PT_DOMCTL_MODE_EMULATE);
}

static int xc_get_stats(struct backend *be, unsigned int domid,
			struct pt_stats *st)
{
	struct xc_backend *x = be->priv;

	if (!x->patched)
		return -ENOSYS;
	return pt_xc_get_stats(x->xch, domid, st, NULL, NULL);
}

/*
 * Only PV domains have writable page tables to switch; HVM/PVH ones
 * report -EOPNOTSUPP so the daemon leaves them alone.
 */
static int xc_get_info(struct backend *be, unsigned int domid,
		       struct backend_dominfo *out)
{
	struct xc_backend *x = be->priv;
	xc_domaininfo_t info;
	uint32_t mode, flags;
	int err;

	err = domain_info(x->xch, domid, &info);
	if (err)
		return err;
	if (info.flags & XEN_DOMINF_dying)
		return -ESRCH;
	if (info.flags & XEN_DOMINF_hvm_guest)
		return -EOPNOTSUPP;
	out->vcpus = info.max_vcpu_id + 1;
	out->opted_in = false;
	if (x->patched) {
		err = pt_xc_get_mode(x->xch, domid, &mode, &flags);
		if (err)
			return err; /* e.g. -EOPNOTSUPP for 32-bit PV */
		out->opted_in = flags & PT_DOMCTL_F_OPTED_IN;
	}
	return 0;
}

static void xc_tick(struct backend *be)
{
	(void)be;
}

const struct backend_ops backend_xenctrl_ops = {
    .name = "xenctrl",
    .open = xc_open,
    .close = xc_close,
    .get_mode = xc_get_mode,
    .set_mode = xc_set_mode,
    .get_stats = xc_get_stats,
    .get_info = xc_get_info,
    .tick = xc_tick,
};

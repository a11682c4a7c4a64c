/* SPDX-License-Identifier: MIT */
/*
 * The daemon's view of the hypervisor: one small interface, two backends.
 *   xenctrl: the ptswitch domctl through libxenctrl (hv-patches/).
 *   sim:     a model of the hypervisor's counters driven by workload traces.
 * Every operation returns 0 or a negative errno, as the domctl does.
 */
#ifndef PTSWITCHD_BACKEND_H
#define PTSWITCHD_BACKEND_H

#include <stdbool.h>

#include "ptswitch.h"

struct backend;

struct backend_dominfo {
	unsigned int vcpus;
	bool opted_in; /* guest enabled the BATCH vm-assist, if known */
};

struct backend_ops {
	const char *name;
	/* arg: backend-specific option string (may be NULL). */
	int (*open)(struct backend *be, const char *arg);
	void (*close)(struct backend *be);
	int (*get_mode)(struct backend *be, unsigned int domid,
			enum pt_mode *mode);
	int (*set_mode)(struct backend *be, unsigned int domid,
			enum pt_mode mode);
	int (*get_stats)(struct backend *be, unsigned int domid,
			 struct pt_stats *st);
	int (*get_info)(struct backend *be, unsigned int domid,
			struct backend_dominfo *info);
	/* Called once per daemon tick before any query (sim: advance). */
	void (*tick)(struct backend *be);
};

struct backend {
	const struct backend_ops *ops;
	void *priv;
	/*
	 * False when the hypervisor cannot switch modes (e.g. an unpatched
	 * Xen): the daemon then runs in advise mode and says so.
	 */
	bool can_switch;
	char why_not[128];
};

extern const struct backend_ops backend_sim_ops;
extern const struct backend_ops backend_xenctrl_ops;

/* Look a backend up by name ("sim", "xenctrl"); NULL if unknown. */
const struct backend_ops *backend_lookup(const char *name);

#endif /* PTSWITCHD_BACKEND_H */

/* SPDX-License-Identifier: MIT */
/* Backend selection by name. */
#include <string.h>

#include "backend.h"

const struct backend_ops *backend_lookup(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "sim"))
		return &backend_sim_ops;
	if (!strcmp(name, "xenctrl"))
		return &backend_xenctrl_ops;
	return NULL;
}

/* Backend selection by name. */
#include <string.h>

#include "backend.h"

/*
 * Weak until the xenctrl backend is in the tree, so the daemon links
 * without it.  Note: a weak reference does not pull an object out of a
 * static archive, so once daemon/backend_xenctrl.c exists this must
 * become an ordinary reference (drop the attribute) or the lookup keeps
 * returning NULL.
 */
extern const struct backend_ops backend_xenctrl_ops __attribute__((weak));

const struct backend_ops *backend_lookup(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "sim"))
		return &backend_sim_ops;
	if (!strcmp(name, "xenctrl"))
		return &backend_xenctrl_ops; /* NULL while absent */
	return NULL;
}

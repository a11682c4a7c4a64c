/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "log.h"
#include "logid.h"

static const struct ptswitchd *logid_daemon;

static bool identity(unsigned int domid, const char **name, const char **uuid)
{
	const struct guest *g;

	if (!logid_daemon || !logid_daemon->guests || domid >= PTD_MAX_DOMID)
		return false;
	g = logid_daemon->guests[domid];
	if (!g)
		return false;
	*name = g->name;
	*uuid = g->uuid;
	return true;
}

void logid_attach(const struct ptswitchd *d)
{
	logid_daemon = d;
	log_set_dom_identity(identity);
}

/* SPDX-License-Identifier: MIT */
/*
 * The journal's GUEST_NAME= and GUEST_UUID= fields: log_dom() asks here
 * who a domid is, from the daemon's own table of guests.
 */
#ifndef PTSWITCHD_LOGID_H
#define PTSWITCHD_LOGID_H

#include "daemon.h"

void logid_attach(const struct ptswitchd *d);

#endif /* PTSWITCHD_LOGID_H */

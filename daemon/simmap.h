/* SPDX-License-Identifier: MIT */
/*
 * The simulation map: which trace drives which domain, shared by the sim
 * backend (hypervisor side) and simguests (guest side).  One line per
 * domain:
 *
 *   <domid> <trace-file> [vcpus=N] [optin=yes|no] [caps=batch|none]
 *           [ack=ok|refuse|silent] [fail=OP,...] [errno=E] [offset=ROW]
 *
 * OP: set-mode, set-batch, set-emulate, get-stats, get-mode.
 * E: what the failing operations return: EIO (default), EPERM, EINVAL,
 * EBUSY or ENOSYS.
 *
 * Trace paths are relative to the map file's directory.  '#' starts a
 * comment line.  Details: tests/traces/README.md.
 */
#ifndef PTSWITCHD_SIMMAP_H
#define PTSWITCHD_SIMMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "trace.h"

/* Xen's DOMID_FIRST_RESERVED: guest domids are below it. */
#define SIMMAP_DOMID_LIMIT 0x7ff0u
#define SIMMAP_MAX_VCPUS 512u

enum simmap_ack {
	SIMMAP_ACK_OK,	   /* answer every request with ok */
	SIMMAP_ACK_REFUSE, /* refuse BATCH requests, accept EMULATE */
	SIMMAP_ACK_SILENT, /* never answer (exercises handshake timeouts) */
};

/* Operations the sim backend fails (with fail_errno), for failure tests. */
enum simmap_fail {
	SIMMAP_FAIL_SET_MODE = 1u << 0,
	SIMMAP_FAIL_GET_STATS = 1u << 1,
	SIMMAP_FAIL_GET_MODE = 1u << 2,
	SIMMAP_FAIL_SET_BATCH = 1u << 3,   /* only set-mode BATCH */
	SIMMAP_FAIL_SET_EMULATE = 1u << 4, /* only set-mode EMULATE */
};

struct simmap_entry {
	unsigned int domid;
	unsigned int vcpus;
	bool optin;	   /* guest enabled the BATCH vm-assist */
	unsigned int caps; /* PROTO_CAP_* the agent advertises */
	enum simmap_ack ack;
	unsigned int fail;	   /* SIMMAP_FAIL_* */
	int fail_errno;		   /* positive; EIO unless errno= */
	unsigned long offset;	   /* first trace row */
	const struct trace *trace; /* owned by the map, maybe shared */
	unsigned int line;	   /* where it was defined */
};

struct simmap {
	size_t n;
	struct simmap_entry *e; /* sorted by domid */
	size_t n_traces;
	struct trace *traces;
	char **trace_paths; /* resolved, to load each file once */
};

/* Load a map and every trace it names; err tells file:line on failure. */
int simmap_load(const char *path, struct simmap *m, struct trace_error *err);
void simmap_free(struct simmap *m);
const struct simmap_entry *simmap_find(const struct simmap *m,
				       unsigned int domid);

#endif /* PTSWITCHD_SIMMAP_H */

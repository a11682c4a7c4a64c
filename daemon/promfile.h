/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus node_exporter textfile: every guest's modes, switches,
 * hypervisor counters and modeled saving, written atomically (a
 * temporary file renamed over the old one) at most once a period.
 */
#ifndef PTSWITCHD_PROMFILE_H
#define PTSWITCHD_PROMFILE_H

#include <stdint.h>
#include <stdio.h>

#include "daemon.h"

#define PROMFILE_DEFAULT_PERIOD_MS 30000

struct promfile {
	const char *path; /* NULL: no textfile */
	uint64_t period_ms;
	uint64_t written_ms; /* monotonic, of the last write */
	int last_errno;	     /* logged once until a write succeeds */
};

/* Write the metrics of d to out, in the text exposition format. */
void promfile_format(const struct ptswitchd *d, FILE *out);
/* Write pf->path now; 0 or a negative errno (logged once per errno). */
int promfile_write(struct promfile *pf, const struct ptswitchd *d,
		   uint64_t now_ms);
/* Write it when a period has passed since the last write. */
void promfile_tick(struct promfile *pf, const struct ptswitchd *d,
		   uint64_t now_ms);

#endif /* PTSWITCHD_PROMFILE_H */

/* SPDX-License-Identifier: MIT */
/* --once output: the probe verdict and the metrics, as text or JSON. */
#ifndef PTSWITCH_REPORT_H
#define PTSWITCH_REPORT_H

#include <stdio.h>

#include "metrics.h"
#include "probe.h"

void report_text(FILE *f, const struct probe_result *p,
		 const struct metrics *m);
void report_json(FILE *f, const struct probe_result *p,
		 const struct metrics *m);
/* s as a JSON string, quotes included; control characters escaped. */
void report_json_string(FILE *f, const char *s);

#endif /* PTSWITCH_REPORT_H */

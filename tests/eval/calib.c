/* SPDX-License-Identifier: MIT */
/* Reading cost.* keys of a calibration file (see calib.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"

static double *cost_field(struct policy_costs *c, const char *key)
{
	if (!strcmp(key, "emulated-write"))
		return &c->emulated_write;
	if (!strcmp(key, "batch"))
		return &c->batch;
	if (!strcmp(key, "batch-entry"))
		return &c->batch_entry;
	if (!strcmp(key, "spurious-fault"))
		return &c->spurious_fault;
	if (!strcmp(key, "mode-switch"))
		return &c->mode_switch;
	return NULL;
}

/* Same ranges as the policy's cost: keys. */
static bool in_range(const char *key, double v)
{
	double lo = strcmp(key, "mode-switch") ? 1.0 : 0.0;
	double hi = strcmp(key, "mode-switch") ? 1e9 : 1e12;

	return isfinite(v) && v >= lo && v <= hi;
}

int calib_apply_file(const char *path, struct policy_costs *c, char *err,
		     size_t err_size, char *which, size_t which_size)
{
	struct policy_costs out = *c;
	char line[512];
	unsigned int n = 0;
	bool format_ok = false;
	FILE *f = fopen(path, "r");

	if (which_size)
		which[0] = '\0';
	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char key[64], val[64], *end;
		double *field, v;

		n++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "%63s %63s", key, val) != 2)
			continue;
		if (!strcmp(key, "format")) {
			format_ok = !strcmp(val, "1");
			continue;
		}
		if (strncmp(key, "cost.", 5) || !strcmp(val, "n/a"))
			continue;
		field = cost_field(&out, key + 5);
		if (!field)
			continue; /* a key of a later format */
		v = strtod(val, &end);
		if (*end || !in_range(key + 5, v)) {
			snprintf(err, err_size, "%s:%u: bad value '%s' for %s",
				 path, n, val, key);
			fclose(f);
			return -1;
		}
		*field = v;
		if (which_size && strlen(which) + strlen(key) + 2 < which_size)
			snprintf(which + strlen(which),
				 which_size - strlen(which), "%s%s",
				 which[0] ? " " : "", key + 5);
	}
	fclose(f);
	if (!format_ok) {
		snprintf(err, err_size,
			 "%s: not a calibration file of format 1", path);
		return -1;
	}
	*c = out;
	return 0;
}

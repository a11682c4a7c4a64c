/* SPDX-License-Identifier: MIT */
/*
 * Policy defaults, file loading, error formatting and override matching.
 * The YAML itself is walked in policy_yaml.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileopen.h"
#include "policy.h"
#include "policy_scalar.h"

/* A policy is a few hundred bytes of YAML; refuse anything absurd. */
#define POLICY_MAX_FILE (1024 * 1024)

/*
 * Keep these in step with config/ptswitch.yaml and docs/policy.md.  The
 * cycle costs are placeholders until the pvguest benchmark measures them
 * on the host (docs/cost-model.md).
 */
void policy_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->action = POLICY_ENFORCE;
	p->interval_ms = 1000;
	p->window = 10;
	p->handshake_timeout_ms = 5000;
	p->backoff_ms = 10000;
	p->backoff_max_ms = 600000;
	p->enter_saving = 0.20;
	p->leave_saving = 0.05;
	p->min_write_rate = 1000.0;
	p->noise_margin = 2.0;
	/*
	 * No dwell: the regret rule itself keeps a guest in a mode until
	 * the other has won a switch's worth (docs/policy.md); a dwell
	 * would only hold it in a losing mode.
	 */
	p->min_dwell_ms = 0;
	/*
	 * The rate limit is a price, not a wall: beyond 32 switches in five
	 * minutes each switch needs twice the regret of the one before.
	 * About one switch per window (10 s) at the plain price: phases
	 * shorter than a window read as noise to the guard anyway.
	 */
	p->max_switches = 32;
	p->rate_period_ms = 300000;
	/*
	 * One: a 2-vCPU Linux guest's workload hung in BATCH in the SMP
	 * end-to-end (guestagent/linux-patches/README.md), not explained
	 * yet.  SMP guests get BATCH only where an admin raises this.
	 */
	p->smp_max_vcpus = 2;
	p->smp_max_spurious = 0.05;
	/*
	 * Keep: stop is also the first half of every restart (an upgrade,
	 * systemctl restart), which must flip no guest; turning ptswitch
	 * off is ptswitchd --revert-all, or on-stop: revert.
	 */
	p->on_stop = ON_STOP_KEEP;
	p->cost.emulated_write = 2000.0;
	p->cost.batch = 8000.0;
	p->cost.batch_entry = 150.0;
	p->cost.spurious_fault = 3000.0;
	p->cost.mode_switch = 10e6;
	p->n_overrides = 0;
	snprintf(p->source, sizeof(p->source), "(built-in)");
}

static void set_error(struct policy_error *err, const char *file,
		      const char *fmt, const char *arg)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file);
	snprintf(err->msg, sizeof(err->msg), fmt, arg);
}

int policy_load_file(const char *path, struct policy *p,
		     struct policy_error *err)
{
	size_t len = 0;
	char *buf;
	int fd, rc;

	/*
	 * Without blocking: a FIFO (or a device) at the path must not hang
	 * the daemon in open(2) waiting for a writer.
	 */
	fd = pt_open_read(path);
	if (fd == -EINVAL) {
		set_error(err, path, "%s", "not a regular file");
		return -1;
	}
	if (fd < 0) {
		set_error(err, path, "cannot open: %s", strerror(-fd));
		return -1;
	}
	buf = malloc(POLICY_MAX_FILE + 1);
	if (!buf) {
		set_error(err, path, "%s", "out of memory");
		close(fd);
		return -1;
	}
	/* Read one byte more than allowed to tell "too large" apart. */
	while (len <= POLICY_MAX_FILE) {
		ssize_t n = read(fd, buf + len, POLICY_MAX_FILE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_error(err, path, "read error: %s", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > POLICY_MAX_FILE) {
		set_error(err, path, "%s", "file too large (over 1 MiB)");
		free(buf);
		return -1;
	}
	rc = policy_load_string(path, buf, len, p, err);
	free(buf);
	return rc;
}

void policy_error_format(const struct policy_error *err, char *buf, size_t size)
{
	if (err->line)
		snprintf(buf, size, "%s:%u:%u: %s", err->file, err->line,
			 err->column, err->msg);
	else
		snprintf(buf, size, "%s: %s", err->file, err->msg);
}

static bool override_matches(const struct policy_override *o, const char *name,
			     unsigned int domid, const char *uuid)
{
	switch (o->match) {
	case MATCH_NAME:
		return name && !fnmatch(o->pattern, name, 0);
	case MATCH_DOMID:
		return o->domid == domid;
	case MATCH_UUID:
		return uuid && scalar_uuid_equal(o->pattern, uuid);
	}
	return false;
}

const struct policy_override *policy_match(const struct policy *p,
					   const char *name, unsigned int domid,
					   const char *uuid)
{
	size_t i;

	for (i = 0; i < p->n_overrides; i++)
		if (override_matches(&p->overrides[i], name, domid, uuid))
			return &p->overrides[i];
	return NULL;
}

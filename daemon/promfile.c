/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "promfile.h"

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void put_guest_labels(FILE *out, const struct guest *g)
{
	fprintf(out, "domid=\"%u\",name=\"", g->domid);
	put_label(out, g->name);
	fputs("\",uuid=\"", out);
	put_label(out, g->uuid);
	fputc('"', out);
}

static void header(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample per guest; value() gives it (NaN: unknown, no sample),
 * extra adds a label.
 */
typedef double (*guest_value)(const struct guest *g, unsigned int arg);

static void per_guest(FILE *out, const struct ptswitchd *d, const char *name,
		      const char *extra_key, const char *extra_val,
		      guest_value value, unsigned int arg)
{
	unsigned int i;

	for (i = 1; i < PTD_MAX_DOMID; i++) {
		const struct guest *g = d->guests[i];
		double v;

		if (!g || isnan(v = value(g, arg)))
			continue;
		fprintf(out, "%s{", name);
		put_guest_labels(out, g);
		if (extra_key)
			fprintf(out, ",%s=\"%s\"", extra_key, extra_val);
		fprintf(out, "} %.17g\n", v);
	}
}

static double v_mode(const struct guest *g, unsigned int mode)
{
	return fsm_mode(&g->fsm) == (enum pt_mode)mode;
}

static double v_desired(const struct guest *g, unsigned int mode)
{
	enum pt_mode want =
	    g->have_decision ? g->decision.want : fsm_mode(&g->fsm);

	return want == (enum pt_mode)mode;
}

static double v_switches(const struct guest *g, unsigned int arg)
{
	(void)arg;
	return (double)g->switches;
}

static double v_since(const struct guest *g, unsigned int arg)
{
	(void)arg;
	return (double)g->since_s;
}

static double v_saving(const struct guest *g, unsigned int arg)
{
	(void)arg;
	/* Before the first decision there is no model of the guest yet. */
	return g->have_decision ? g->decision.saving : NAN;
}

static double v_refused(const struct guest *g, unsigned int arg)
{
	(void)arg;
	return !strncmp(g->fsm.reason, "refused", 7);
}

static double v_capable(const struct guest *g, unsigned int arg)
{
	(void)arg;
	return guest_capable(g);
}

static double v_rejected(const struct guest *g, unsigned int arg)
{
	(void)arg;
	return (double)g->rejected;
}

/* The hypervisor's counters, by offset into struct pt_stats. */
static double v_counter(const struct guest *g, unsigned int offset)
{
	uint64_t v;

	memcpy(&v, (const char *)&g->eng.last + offset, sizeof(v));
	return (double)v;
}

static const struct {
	const char *name, *help;
	unsigned int offset;
} counters[] = {
    {"ptswitch_guest_emulated_writes_total",
     "Page-table writes the hypervisor emulated.",
     offsetof(struct pt_stats, emulated_writes)},
    {"ptswitch_guest_batches_total", "Batches the hypervisor flushed.",
     offsetof(struct pt_stats, batches)},
    {"ptswitch_guest_batch_ptes_total", "PTEs changed in batches.",
     offsetof(struct pt_stats, batch_ptes)},
    {"ptswitch_guest_spurious_faults_total",
     "Faults in an unhooked range bounced to the guest.",
     offsetof(struct pt_stats, spurious_faults)},
    {"ptswitch_guest_unhook_refused_total",
     "Batch opens the hypervisor refused (fell back to emulation).",
     offsetof(struct pt_stats, unhook_refused)},
    {"ptswitch_guest_revalidation_failures_total",
     "Batched page tables that failed re-validation.",
     offsetof(struct pt_stats, revalidation_failures)},
};

static void daemon_metrics(FILE *out, const struct ptswitchd *d)
{
	bool advise = ptd_advise(d);

	header(out, "ptswitch_daemon_info", "gauge",
	       "The running ptswitchd: version and backend.");
	fprintf(out, "ptswitch_daemon_info{version=\"%s\",backend=\"",
		PTSWITCH_VERSION);
	put_label(out, d->be.ops ? d->be.ops->name : "");
	fputs("\"} 1\n", out);
	header(out, "ptswitch_daemon_advise", "gauge",
	       "1 when the daemon decides but never switches (advise mode).");
	fprintf(out, "ptswitch_daemon_advise %d\n", advise);
	header(out, "ptswitch_hypervisor_can_switch", "gauge",
	       "0 when the hypervisor cannot switch modes (not patched).");
	fprintf(out, "ptswitch_hypervisor_can_switch %d\n", d->be.can_switch);
	header(out, "ptswitch_policy_error", "gauge",
	       "1 when the last policy reload failed (the previous policy "
	       "stays).");
	fprintf(out, "ptswitch_policy_error %d\n", d->policy_error[0] != 0);
	header(out, "ptswitch_guests", "gauge", "Guests the daemon manages.");
	fprintf(out, "ptswitch_guests %u\n", d->n_guests);
}

void promfile_format(const struct ptswitchd *d, FILE *out)
{
	static const enum pt_mode modes[] = {PT_MODE_EMULATE, PT_MODE_BATCH};
	size_t i;

	daemon_metrics(out, d);
	header(out, "ptswitch_guest_mode", "gauge",
	       "1 for the mode the hypervisor reports for the guest.");
	for (i = 0; i < 2; i++)
		per_guest(out, d, "ptswitch_guest_mode", "mode",
			  pt_mode_name(modes[i]), v_mode, modes[i]);
	header(out, "ptswitch_guest_desired_mode", "gauge",
	       "1 for the mode the policy wants for the guest.");
	for (i = 0; i < 2; i++)
		per_guest(out, d, "ptswitch_guest_desired_mode", "mode",
			  pt_mode_name(modes[i]), v_desired, modes[i]);
	header(out, "ptswitch_guest_switches_total", "counter",
	       "Mode switches of the guest since the daemon started managing "
	       "it.");
	per_guest(out, d, "ptswitch_guest_switches_total", NULL, NULL,
		  v_switches, 0);
	header(out, "ptswitch_guest_last_switch_timestamp_seconds", "gauge",
	       "Unix time of the guest's last mode change (0: none).");
	per_guest(out, d, "ptswitch_guest_last_switch_timestamp_seconds", NULL,
		  NULL, v_since, 0);
	header(out, "ptswitch_guest_modeled_saving_ratio", "gauge",
	       "The cost model's predicted fraction saved by BATCH over the "
	       "window (absent before the first decision).");
	per_guest(out, d, "ptswitch_guest_modeled_saving_ratio", NULL, NULL,
		  v_saving, 0);
	header(out, "ptswitch_guest_refused", "gauge",
	       "1 while the guest's agent refused the last BATCH request.");
	per_guest(out, d, "ptswitch_guest_refused", NULL, NULL, v_refused, 0);
	header(out, "ptswitch_guest_capable", "gauge",
	       "1 when the guest's agent reports every BATCH capability.");
	per_guest(out, d, "ptswitch_guest_capable", NULL, NULL, v_capable, 0);
	header(out, "ptswitch_guest_rejected_values_total", "counter",
	       "Malformed values the guest wrote to xenstore.");
	per_guest(out, d, "ptswitch_guest_rejected_values_total", NULL, NULL,
		  v_rejected, 0);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		header(out, counters[i].name, "counter", counters[i].help);
		per_guest(out, d, counters[i].name, NULL, NULL, v_counter,
			  counters[i].offset);
	}
}

int promfile_write(struct promfile *pf, const struct ptswitchd *d,
		   uint64_t now_ms)
{
	char tmp[PATH_MAX];
	FILE *out;
	int fd, err = 0;

	pf->written_ms = now_ms;
	/* node_exporter reads only *.prom: the temporary name is skipped. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", pf->path) >=
	    (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* The unit's UMask=0077; node_exporter runs as another user. */
	if (fchmod(fd, 0644) || !(out = fdopen(fd, "w"))) {
		err = -errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	promfile_format(d, out);
	if (fflush(out) || ferror(out))
		err = errno ? -errno : -EIO;
	if (fclose(out) && !err)
		err = -errno;
	if (!err && rename(tmp, pf->path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	if (err && err != pf->last_errno)
		log_warn("metrics file %s: %s (retried every %llu s)", pf->path,
			 strerror(-err),
			 (unsigned long long)(pf->period_ms / 1000));
	else if (!err && pf->last_errno)
		log_info("metrics file %s: written again", pf->path);
	pf->last_errno = err;
	return err;
}

void promfile_tick(struct promfile *pf, const struct ptswitchd *d,
		   uint64_t now_ms)
{
	if (!pf->path)
		return;
	if (pf->written_ms && now_ms - pf->written_ms < pf->period_ms)
		return;
	promfile_write(pf, d, now_ms);
}

/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: a model of the hypervisor's per-domain counters,
 * driven by workload traces (daemon/trace.h) through a map file
 * (daemon/simmap.h).  Each tick() consumes one trace row per domain and
 * books it the way the patched hypervisor would in the domain's current
 * mode (daemon/simbook.h has the model, shared with tests/eval/).  It is
 * a stand-in for demos and policy tests, never evidence that the
 * hypervisor feature works.  Noise comes from a PRNG seeded by the domid,
 * so a run is reproducible.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "fileopen.h"
#include "log.h"
#include "simbook.h"
#include "simmap.h"

struct sim_dom {
	const struct simmap_entry *e;
	enum pt_mode mode;
	uint64_t rows; /* trace rows consumed */
	struct simbook book;
};

struct sim {
	struct simmap map;
	struct sim_dom *dom; /* parallel to map.e */
	char state_path[4096];
};

static struct sim_dom *find(struct backend *be, unsigned int domid)
{
	struct sim *sim = be->priv;
	const struct simmap_entry *e;

	if (!sim)
		return NULL;
	e = simmap_find(&sim->map, domid);
	return e ? &sim->dom[e - sim->map.e] : NULL;
}

static void sim_tick(struct backend *be)
{
	struct sim *sim = be->priv;
	const struct trace_row *row;
	struct sim_dom *d;
	size_t i;

	if (!sim)
		return;
	for (i = 0; i < sim->map.n; i++) {
		d = &sim->dom[i];
		row = trace_row_at(d->e->trace, d->e->offset + d->rows++);
		simbook_row(&d->book, d->mode, row);
	}
}

/*
 * A real hypervisor outlives the daemon.  The sim keeps the domains' modes
 * in "<map>.state" (lines "<domid> emulate|batch") so that a restarted
 * daemon meets the modes it left, as it would on Xen.
 */
static void save_state(const struct sim *sim)
{
	char tmp[sizeof(sim->state_path) + 8];
	FILE *f;
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s.new", sim->state_path);
	f = pt_fopen_write(tmp);
	if (!f) {
		log_warn("sim backend: cannot write %s: %s", tmp,
			 pt_open_strerror(errno));
		return;
	}
	for (i = 0; i < sim->map.n; i++)
		if (sim->dom[i].mode == PT_MODE_BATCH)
			fprintf(f, "%u batch\n", sim->dom[i].e->domid);
	if (fclose(f) || rename(tmp, sim->state_path))
		log_warn("sim backend: cannot save %s: %s", sim->state_path,
			 strerror(errno));
}

static void load_state(struct backend *be)
{
	struct sim *sim = be->priv;
	char line[64], mode[16];
	unsigned int domid;
	struct sim_dom *d;
	FILE *f = pt_fopen_read(sim->state_path);

	if (!f) {
		if (errno != ENOENT)
			log_warn("sim backend: cannot read %s: %s",
				 sim->state_path, pt_open_strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %15s", &domid, mode) != 2)
			continue;
		d = find(be, domid);
		if (d && !strcmp(mode, "batch") && d->e->optin)
			d->mode = PT_MODE_BATCH;
	}
	fclose(f);
}

static int sim_open(struct backend *be, const char *arg)
{
	struct trace_error err;
	char msg[sizeof(err.file) + sizeof(err.msg) + 16];
	struct sim *sim;
	size_t i;
	int rc;

	if (!arg || !*arg) {
		log_err("sim backend: needs a map file");
		return -EINVAL;
	}
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return -ENOMEM;
	rc = simmap_load(arg, &sim->map, &err);
	if (rc) {
		trace_error_format(&err, msg, sizeof(msg));
		log_err("sim backend: %s", msg);
		free(sim);
		return rc;
	}
	sim->dom = calloc(sim->map.n, sizeof(*sim->dom));
	if (!sim->dom) {
		simmap_free(&sim->map);
		free(sim);
		return -ENOMEM;
	}
	for (i = 0; i < sim->map.n; i++) {
		struct sim_dom *d = &sim->dom[i];

		d->e = &sim->map.e[i];
		d->mode = PT_MODE_EMULATE;
		simbook_init(&d->book, d->e->vcpus, simbook_seed(d->e->domid));
	}
	be->priv = sim;
	snprintf(sim->state_path, sizeof(sim->state_path), "%s.state", arg);
	load_state(be);
	be->can_switch = true;
	be->why_not[0] = '\0';
	log_info("sim backend: %zu domains, %zu traces from %s", sim->map.n,
		 sim->map.n_traces, arg);
	return 0;
}

static void sim_close(struct backend *be)
{
	struct sim *sim = be->priv;

	if (!sim)
		return;
	simmap_free(&sim->map);
	free(sim->dom);
	free(sim);
	be->priv = NULL;
}

static int sim_get_mode(struct backend *be, unsigned int domid,
			enum pt_mode *mode)
{
	struct sim_dom *d = find(be, domid);

	if (!d)
		return -ESRCH;
	if (d->e->fail & SIMMAP_FAIL_GET_MODE)
		return -d->e->fail_errno;
	*mode = d->mode;
	return 0;
}

static int sim_set_mode(struct backend *be, unsigned int domid,
			enum pt_mode mode)
{
	struct sim_dom *d = find(be, domid);

	if (!d)
		return -ESRCH;
	if (mode != PT_MODE_EMULATE && mode != PT_MODE_BATCH)
		return -EINVAL;
	/* Injected failures: the mode stays what it was. */
	if ((d->e->fail & SIMMAP_FAIL_SET_MODE) ||
	    (mode == PT_MODE_BATCH && (d->e->fail & SIMMAP_FAIL_SET_BATCH)) ||
	    (mode == PT_MODE_EMULATE && (d->e->fail & SIMMAP_FAIL_SET_EMULATE)))
		return -d->e->fail_errno;
	if (mode == PT_MODE_BATCH && !d->e->optin)
		return -EPERM; /* the hypervisor's vm-assist check */
	if (mode == d->mode)
		return 0;
	if (d->mode == PT_MODE_BATCH)
		simbook_leave_batch(&d->book);
	d->mode = mode;
	save_state(be->priv);
	return 0;
}

static int sim_get_stats(struct backend *be, unsigned int domid,
			 struct pt_stats *st)
{
	struct sim_dom *d = find(be, domid);

	if (!d)
		return -ESRCH;
	if (d->e->fail & SIMMAP_FAIL_GET_STATS)
		return -d->e->fail_errno;
	*st = d->book.st;
	return 0;
}

static int sim_get_info(struct backend *be, unsigned int domid,
			struct backend_dominfo *info)
{
	struct sim_dom *d = find(be, domid);

	if (!d)
		return -ESRCH;
	info->vcpus = d->e->vcpus;
	info->opted_in = d->e->optin;
	return 0;
}

const struct backend_ops backend_sim_ops = {
    .name = "sim",
    .open = sim_open,
    .close = sim_close,
    .get_mode = sim_get_mode,
    .set_mode = sim_set_mode,
    .get_stats = sim_get_stats,
    .get_info = sim_get_info,
    .tick = sim_tick,
};

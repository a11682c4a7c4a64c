/*
 * The sim backend: a model of the hypervisor's per-domain counters,
 * driven by workload traces (daemon/trace.h) through a map file
 * (daemon/simmap.h).  Each tick() consumes one trace row per domain and
 * books it the way the patched hypervisor would in the domain's current
 * mode.  It is a stand-in for demos and policy tests, never evidence that
 * the hypervisor feature works.
 *
 * Model, per row:
 *   EMULATE: every run is emulated: emulated_writes += writes and
 *            emul_runs[] += runs (the counterfactual histogram).
 *   BATCH:   every run becomes one batch of the same size, except a small
 *            share whose unhook is refused (L1 shared or in use by another
 *            vCPU): those are emulated and counted in unhook_refused,
 *            emulated_writes and emul_runs[].  Batches are spread over
 *            flush reasons; spurious faults grow with the vCPU count.
 * Noise comes from a PRNG seeded by the domid, so a run is reproducible.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "log.h"
#include "simmap.h"

/* Share of runs whose unhook is refused: base, plus per extra vCPU. */
#define REFUSE_BASE 0.01
#define REFUSE_PER_VCPU 0.005
#define REFUSE_MAX 0.25
/* Spurious faults per batch for each vCPU beyond the first. */
#define SPURIOUS_PER_VCPU 0.03

/*
 * Flush reasons of batches closed while running (PT_FLUSH_MODE only
 * happens on a switch): mostly the guest leaving lazy-MMU mode or moving
 * on to the next L1 page.
 */
static const double flush_weight[PT_FLUSH_REASONS] = {
	[PT_FLUSH_EXPLICIT] = 0.50, [PT_FLUSH_FAULT] = 0.06,
	[PT_FLUSH_SECOND_PAGE] = 0.22, [PT_FLUSH_HYPERCALL] = 0.10,
	[PT_FLUSH_CR3] = 0.07, [PT_FLUSH_DESCHED] = 0.04,
	[PT_FLUSH_GRANT] = 0.01, [PT_FLUSH_MODE] = 0.0,
};
/* Extra weight of fault flushes per extra vCPU (touches from elsewhere). */
#define FAULT_WEIGHT_PER_VCPU 0.02

struct sim_dom {
	const struct simmap_entry *e;
	enum pt_mode mode;
	uint64_t rows;     /* trace rows consumed */
	uint64_t rng;
	bool batch_open;   /* batched in the last tick: a switch flushes it */
	struct pt_stats st;
};

struct sim {
	struct simmap map;
	struct sim_dom *dom; /* parallel to map.e */
	char state_path[4096];
};

/* splitmix64: small, fast and good enough for noise. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/*
 * About Binomial(n, p): exact for small n, a normal approximation
 * (Irwin-Hall of four uniforms) above, always within 0..n.
 */
static uint64_t draw(uint64_t *s, uint64_t n, double p)
{
	double mean, sd, z, v;
	uint64_t k = 0, i;

	if (!n || p <= 0.0)
		return 0;
	if (p >= 1.0)
		return n;
	if (n <= 32) {
		for (i = 0; i < n; i++)
			k += rng_unit(s) < p;
		return k;
	}
	mean = (double)n * p;
	sd = sqrt(mean * (1.0 - p));
	z = (rng_unit(s) + rng_unit(s) + rng_unit(s) + rng_unit(s) - 2.0) *
	    sqrt(3.0);
	v = floor(mean + sd * z + 0.5);
	if (v <= 0.0)
		return 0;
	return v >= (double)n ? n : (uint64_t)v;
}

static struct sim_dom *find(struct backend *be, unsigned int domid)
{
	struct sim *sim = be->priv;
	const struct simmap_entry *e;

	if (!sim)
		return NULL;
	e = simmap_find(&sim->map, domid);
	return e ? &sim->dom[e - sim->map.e] : NULL;
}

static void spread_flushes(struct sim_dom *d, uint64_t batches)
{
	double w[PT_FLUSH_REASONS], left = 0.0;
	unsigned int r, last = 0;
	uint64_t k;

	for (r = 0; r < PT_FLUSH_REASONS; r++) {
		w[r] = flush_weight[r];
		if (r == PT_FLUSH_FAULT)
			w[r] += FAULT_WEIGHT_PER_VCPU * (d->e->vcpus - 1);
		left += w[r];
		if (w[r] > 0.0)
			last = r;
	}
	/* A multinomial as a chain of binomials; the last reason takes
	 * whatever is left so that the reasons add up to the batches. */
	for (r = 0; r < PT_FLUSH_REASONS && batches; r++) {
		if (w[r] <= 0.0)
			continue;
		k = r == last ? batches : draw(&d->rng, batches, w[r] / left);
		d->st.flush_reason[r] += k;
		batches -= k;
		left -= w[r];
	}
}

static void book_emulate(struct sim_dom *d, const struct trace_row *row)
{
	unsigned int b;

	d->st.emulated_writes += row->writes;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		d->st.emul_runs[b] += row->runs[b];
	d->batch_open = false;
}

static void book_batch(struct sim_dom *d, const struct trace_row *row)
{
	uint64_t w[PT_HIST_BUCKETS], refused, rw, nb, total = 0;
	double p_refuse = REFUSE_BASE + REFUSE_PER_VCPU * (d->e->vcpus - 1);
	unsigned int b;

	if (p_refuse > REFUSE_MAX)
		p_refuse = REFUSE_MAX;
	trace_split_writes(row, w);
	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		if (!row->runs[b])
			continue;
		refused = draw(&d->rng, row->runs[b], p_refuse);
		rw = (uint64_t)((unsigned __int128)w[b] * refused /
				row->runs[b]);
		d->st.unhook_refused += refused;
		d->st.emulated_writes += rw;
		d->st.emul_runs[b] += refused;
		nb = row->runs[b] - refused;
		d->st.batches += nb;
		d->st.batch_ptes += w[b] - rw;
		d->st.batch_hist[b] += nb;
		total += nb;
	}
	spread_flushes(d, total);
	d->st.spurious_faults +=
		draw(&d->rng, total, SPURIOUS_PER_VCPU * (d->e->vcpus - 1));
	d->batch_open = total > 0;
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
		if (d->mode == PT_MODE_BATCH)
			book_batch(d, row);
		else
			book_emulate(d, row);
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
	f = fopen(tmp, "w");
	if (!f) {
		log_warn("sim backend: cannot write %s: %s", tmp,
			 strerror(errno));
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
	FILE *f = fopen(sim->state_path, "r");

	if (!f)
		return;
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
		d->rng = 0x5054535749544348ull ^ (uint64_t)d->e->domid << 20;
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
		return -EIO;
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
	if (d->e->fail & SIMMAP_FAIL_SET_MODE)
		return -EIO; /* injected: the mode stays what it was */
	if (mode == PT_MODE_BATCH && !d->e->optin)
		return -EPERM; /* the hypervisor's vm-assist check */
	if (mode == d->mode)
		return 0;
	if (d->mode == PT_MODE_BATCH && d->batch_open) {
		/* Switching flushes the batch that was open. */
		d->st.batches++;
		d->st.batch_ptes++;
		d->st.batch_hist[0]++;
		d->st.flush_reason[PT_FLUSH_MODE]++;
		d->batch_open = false;
	}
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
		return -EIO;
	*st = d->st;
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

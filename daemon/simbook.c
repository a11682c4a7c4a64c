/* SPDX-License-Identifier: MIT */
/* Booking trace rows into modeled hypervisor counters (see simbook.h). */
#include <math.h>
#include <string.h>

#include "simbook.h"

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
    [PT_FLUSH_EXPLICIT] = 0.50,	   [PT_FLUSH_FAULT] = 0.06,
    [PT_FLUSH_SECOND_PAGE] = 0.22, [PT_FLUSH_HYPERCALL] = 0.10,
    [PT_FLUSH_CR3] = 0.07,	   [PT_FLUSH_DESCHED] = 0.04,
    [PT_FLUSH_GRANT] = 0.01,	   [PT_FLUSH_MODE] = 0.0,
};
/* Extra weight of fault flushes per extra vCPU (touches from elsewhere). */
#define FAULT_WEIGHT_PER_VCPU 0.02

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

uint64_t simbook_seed(unsigned int domid)
{
	return 0x5054535749544348ull ^ (uint64_t)domid << 20;
}

void simbook_init(struct simbook *s, unsigned int vcpus, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->vcpus = vcpus ? vcpus : 1;
	s->rng = seed;
}

double simbook_refuse_share(unsigned int vcpus)
{
	double p = REFUSE_BASE + REFUSE_PER_VCPU * (vcpus ? vcpus - 1 : 0);

	return p > REFUSE_MAX ? REFUSE_MAX : p;
}

double simbook_spurious_per_batch(unsigned int vcpus)
{
	return SPURIOUS_PER_VCPU * (vcpus ? vcpus - 1 : 0);
}

static void spread_flushes(struct simbook *s, uint64_t batches)
{
	double w[PT_FLUSH_REASONS], left = 0.0;
	unsigned int r, last = 0;
	uint64_t k;

	for (r = 0; r < PT_FLUSH_REASONS; r++) {
		w[r] = flush_weight[r];
		if (r == PT_FLUSH_FAULT)
			w[r] += FAULT_WEIGHT_PER_VCPU * (s->vcpus - 1);
		left += w[r];
		if (w[r] > 0.0)
			last = r;
	}
	/* A multinomial as a chain of binomials; the last reason takes
	 * whatever is left so that the reasons add up to the batches. */
	for (r = 0; r < PT_FLUSH_REASONS && batches; r++) {
		if (w[r] <= 0.0)
			continue;
		k = r == last ? batches : draw(&s->rng, batches, w[r] / left);
		s->st.flush_reason[r] += k;
		batches -= k;
		left -= w[r];
	}
}

static void book_emulate(struct simbook *s, const struct trace_row *row)
{
	unsigned int b;

	s->st.emulated_writes += row->writes;
	for (b = 0; b < PT_HIST_BUCKETS; b++)
		s->st.emul_runs[b] += row->runs[b];
	s->batch_open = false;
}

static void book_batch(struct simbook *s, const struct trace_row *row)
{
	uint64_t w[PT_HIST_BUCKETS], refused, rw, nb, total = 0;
	double p_refuse = simbook_refuse_share(s->vcpus);
	unsigned int b;

	trace_split_writes(row, w);
	for (b = 0; b < PT_HIST_BUCKETS; b++) {
		if (!row->runs[b])
			continue;
		refused = draw(&s->rng, row->runs[b], p_refuse);
		rw = (uint64_t)((unsigned __int128)w[b] * refused /
				row->runs[b]);
		s->st.unhook_refused += refused;
		s->st.emulated_writes += rw;
		s->st.emul_runs[b] += refused;
		nb = row->runs[b] - refused;
		s->st.batches += nb;
		s->st.batch_ptes += w[b] - rw;
		s->st.batch_hist[b] += nb;
		total += nb;
	}
	spread_flushes(s, total);
	s->st.spurious_faults +=
	    draw(&s->rng, total, simbook_spurious_per_batch(s->vcpus));
	s->batch_open = total > 0;
}

void simbook_row(struct simbook *s, enum pt_mode mode,
		 const struct trace_row *row)
{
	if (mode == PT_MODE_BATCH)
		book_batch(s, row);
	else
		book_emulate(s, row);
}

void simbook_leave_batch(struct simbook *s)
{
	if (!s->batch_open)
		return;
	s->st.batches++;
	s->st.batch_ptes++;
	s->st.batch_hist[0]++;
	s->st.flush_reason[PT_FLUSH_MODE]++;
	s->batch_open = false;
}

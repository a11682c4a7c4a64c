/* SPDX-License-Identifier: MIT */
/* The last phases of a side of the regret counter: see phases.h. */
#include "phases.h"

#include <math.h>
#include <string.h>

void phases_add(struct phases *p, double v)
{
	p->v[p->next] = v;
	p->next = (p->next + 1) % PHASES_KEPT;
	if (p->n < PHASES_KEPT)
		p->n++;
}

void phases_forget(struct phases *p)
{
	memset(p, 0, sizeof(*p));
}

double phases_mean(const struct phases *p)
{
	double s = 0.0;
	unsigned int i;

	for (i = 0; i < p->n; i++)
		s += p->v[i];
	return p->n ? s / p->n : 0.0;
}

double phases_sd(const struct phases *p)
{
	double m = phases_mean(p), s = 0.0;
	unsigned int i;

	if (p->n < 2)
		return 0.0;
	for (i = 0; i < p->n; i++)
		s += (p->v[i] - m) * (p->v[i] - m);
	return sqrt(s / (p->n - 1));
}

double phases_max(const struct phases *p)
{
	double m = 0.0;
	unsigned int i;

	for (i = 0; i < p->n; i++)
		m = fmax(m, p->v[i]);
	return m;
}

bool phases_follow_now(const struct phases *p, double so_far, double step,
		       double price)
{
	double now = 0.0, later = 0.0, wait;
	unsigned int i, k = 0, k_later = 0;

	for (i = 0; i < p->n; i++) {
		if (p->v[i] < so_far)
			continue;
		now += p->v[i] - so_far;
		k++;
		if (p->v[i] > so_far + step) {
			later += p->v[i] - so_far - step;
			k_later++;
		}
	}
	if (!k)
		return false;
	now = now / k - price;
	wait = k_later ? fmax(later / k_later - price, 0.0) * k_later / k : 0.0;
	return now > 0.0 && now >= wait;
}

bool phases_residual(const struct phases *p, double so_far, double *out)
{
	double s = 0.0;
	unsigned int i, k = 0;

	for (i = 0; i < p->n; i++) {
		if (p->v[i] >= so_far) {
			s += p->v[i] - so_far;
			k++;
		}
	}
	if (!k)
		return false;
	*out = s / k;
	return true;
}

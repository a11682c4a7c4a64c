/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "pins.h"
#include "policy_scalar.h"

int pins_watch(struct ptswitchd *d)
{
	/* dom0 only: a guest can neither read nor write a pin. */
	int err = store_has_dir(d->xs, PINS_DIR, -1)
		      ? 0
		      : store_mkdir(d->xs, PINS_DIR, -1);

	return err ? err : store_watch(d->xs, PINS_DIR, PINS_TOKEN);
}

const struct pin *pins_find(const struct pins *p, const char *uuid)
{
	unsigned int i;

	if (!uuid || !*uuid)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (scalar_uuid_equal(p->pin[i].uuid, uuid))
			return &p->pin[i];
	return NULL;
}

/* The guest a pin names, for messages: its name, or "not running". */
static const char *pin_guest(const struct ptswitchd *d, const char *uuid)
{
	unsigned int i;

	for (i = 1; i < PTD_MAX_DOMID; i++)
		if (d->guests[i] && d->guests[i]->uuid[0] &&
		    scalar_uuid_equal(d->guests[i]->uuid, uuid))
			return d->guests[i]->name;
	return "not running";
}

/* Pins first: the operator's latest word on a guest beats the file's. */
static void pins_apply(struct ptswitchd *d)
{
	struct policy *pol = &d->policy;
	struct pins *p = &d->pins;
	size_t nfile;
	unsigned int i;

	if (p->applied > pol->n_overrides)
		p->applied = 0;
	nfile = pol->n_overrides - p->applied;
	memmove(&pol->overrides[p->n], &pol->overrides[p->applied],
		nfile * sizeof(pol->overrides[0]));
	for (i = 0; i < p->n; i++) {
		struct policy_override *o = &pol->overrides[i];

		memset(o, 0, sizeof(*o));
		o->match = MATCH_UUID;
		snprintf(o->pattern, sizeof(o->pattern), "%s", p->pin[i].uuid);
		o->kind = OVERRIDE_PIN;
		o->pin = p->pin[i].mode;
	}
	pol->n_overrides = p->n + nfile;
	p->applied = p->n;
}

void pins_policy_loaded(struct ptswitchd *d)
{
	d->pins.applied = 0;
	pins_apply(d);
}

/* One node: 0 and *out filled, or -1 (logged: only dom0 writes here). */
static int pin_read(struct ptswitchd *d, const char *name, struct pin *out)
{
	char path[160], val[16], shown[40];
	int n;

	snprintf(shown, sizeof(shown), "%.36s%s", name,
		 strlen(name) > 36 ? "..." : "");
	if (scalar_uuid(name, out->uuid)) {
		log_warn("ignoring runtime pin %s/%s: not a UUID", PINS_DIR,
			 shown);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", PINS_DIR, name);
	n = store_read(d->xs, path, val, sizeof(val) - 1);
	if (n == -ENOENT)
		return -1; /* removed meanwhile */
	if (n < 0 || pt_mode_parse(val, &out->mode)) {
		log_warn("ignoring runtime pin %s/%s: want emulate or batch",
			 PINS_DIR, shown);
		return -1;
	}
	return 0;
}

static void log_changes(const struct ptswitchd *d, const struct pins *old)
{
	const struct pins *now = &d->pins;
	const struct pin *o;
	unsigned int i;

	for (i = 0; i < now->n; i++) {
		o = pins_find(old, now->pin[i].uuid);
		if (!o || o->mode != now->pin[i].mode)
			log_msg(LOG_NOTICE, "runtime pin: %s (%s) to %s",
				now->pin[i].uuid,
				pin_guest(d, now->pin[i].uuid),
				pt_mode_name(now->pin[i].mode));
	}
	for (i = 0; i < old->n; i++)
		if (!pins_find(now, old->pin[i].uuid))
			log_msg(LOG_NOTICE, "runtime pin of %s (%s) removed",
				old->pin[i].uuid,
				pin_guest(d, old->pin[i].uuid));
}

void pins_load(struct ptswitchd *d, uint64_t now_ms)
{
	struct pins old = d->pins;
	struct pins *p = &d->pins;
	unsigned int i, n = 0;
	char **names = store_ls(d->xs, PINS_DIR, &n);
	struct pin pin;

	p->n = 0;
	for (i = 0; names && i < n; i++) {
		if (pin_read(d, names[i], &pin) || pins_find(p, pin.uuid))
			continue;
		if (p->n == PINS_MAX) {
			log_warn("more than %d runtime pins: ignoring %s",
				 PINS_MAX, pin.uuid);
			continue;
		}
		p->pin[p->n++] = pin;
	}
	free(names);
	log_changes(d, &old);
	pins_apply(d);
	/* Shown at once (ptswitchctl waits for it); acted on by the tick. */
	for (i = 1; i < PTD_MAX_DOMID; i++)
		if (d->guests[i])
			publish_guest(d, d->guests[i], now_ms);
}

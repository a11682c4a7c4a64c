/* SPDX-License-Identifier: MIT */
/*
 * ptswitchctl pin / unpin: one guest's mode held by the operator without
 * editing the policy.  The pin is a dom0-only node the running daemon
 * watches (daemon/pins.h); this side checks the input, writes it and
 * waits until the daemon shows it took it on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "pins.h"
#include "policy_scalar.h"

/* How long to wait for the daemon to show a pin it read. */
#define ACK_WAIT_MS 5000

struct target {
	char domid[16], name[80], uuid[PIN_UUID_LEN + 1];
};

/* The managed guest's UUID from the toolstack's /vm link, or "". */
static void guest_uuid(struct xs_handle *xs, const char *domid, char *uuid)
{
	char dir[48], vm[64];

	snprintf(dir, sizeof(dir), "/local/domain/%s", domid);
	ctl_read(xs, dir, "vm", vm, sizeof(vm));
	if (strncmp(vm, "/vm/", 4) || scalar_uuid(vm + 4, uuid))
		uuid[0] = '\0';
}

/*
 * The guest ptswitchd manages that GUEST names (domid, name or UUID).
 * 0, or 1 with the reason printed.
 */
static int resolve(struct xs_handle *xs, const char *want, struct target *t,
		   bool quiet)
{
	char dir[96], name[80], uuid[PIN_UUID_LEN + 1];
	unsigned int n, i, found = 0;
	char **ids = xs_directory(xs, XBT_NULL, PROTO_TOOL_DIR "/domain", &n);

	for (i = 0; ids && i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/domain/%s", PROTO_TOOL_DIR,
			 ids[i]);
		ctl_read(xs, dir, "name", name, sizeof(name));
		guest_uuid(xs, ids[i], uuid);
		if (strcmp(want, ids[i]) && strcmp(want, name) &&
		    !(uuid[0] && scalar_uuid_equal(want, uuid)))
			continue;
		if (found++)
			break;
		snprintf(t->domid, sizeof(t->domid), "%s", ids[i]);
		snprintf(t->name, sizeof(t->name), "%s", name);
		snprintf(t->uuid, sizeof(t->uuid), "%s", uuid);
	}
	free(ids);
	if (found == 1)
		return 0;
	if (!quiet)
		fprintf(stderr,
			found ? "ptswitchctl: '%s' names more than one guest; "
				"give its domid or UUID\n"
			      : "ptswitchctl: no guest '%s' managed by "
				"ptswitchd (by name, domid or UUID; "
				"'ptswitchctl status' lists them)\n",
			want);
	return 1;
}

static int sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = ms % 1000 * 1000000L};

	return nanosleep(&ts, NULL);
}

/* Wait until the daemon publishes pin = want for the guest. */
static bool daemon_shows(struct xs_handle *xs, const struct target *t,
			 const char *want)
{
	char dir[96], pin[16];
	int waited;

	snprintf(dir, sizeof(dir), "%s/domain/%s", PROTO_TOOL_DIR, t->domid);
	for (waited = 0; waited <= ACK_WAIT_MS; waited += 100) {
		ctl_read(xs, dir, "pin", pin, sizeof(pin));
		if (!strcmp(pin, want))
			return true;
		sleep_ms(100);
	}
	return false;
}

static bool not_running(const char *what)
{
	if (ctl_daemon_pid())
		return false;
	fprintf(stderr,
		"ptswitchctl: ptswitchd is not running: nothing %s (start it "
		"first: it takes pins on while it runs and reads them when "
		"it starts)\n",
		what);
	return true;
}

/* Write or remove one pin node, dom0-only, in one transaction. */
static int write_pin(struct xs_handle *xs, const char *uuid, const char *mode)
{
	struct xs_permissions dom0_only = {.id = 0, .perms = XS_PERM_NONE};
	char path[128];
	int tries;

	snprintf(path, sizeof(path), "%s/%s", PINS_DIR, uuid);
	for (tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(xs);
		bool ok;

		if (t == XBT_NULL)
			return -errno;
		if (mode)
			/* The daemon made the directory dom0-only; a node
			 * inherits that, and is set so again here. */
			ok = xs_write(xs, t, path, mode, strlen(mode)) &&
			     xs_set_permissions(xs, t, path, &dom0_only, 1);
		else
			ok = xs_rm(xs, t, path) || errno == ENOENT;
		if (!ok) {
			int err = errno;

			xs_transaction_end(xs, t, true);
			return -err;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

int ctl_pin(struct xs_handle *xs, const char *guest, const char *mode)
{
	enum pt_mode m;
	struct target t;
	unsigned int n = 0, i;
	char **pins;
	bool have = false;
	int err;

	if (pt_mode_parse(mode, &m)) {
		fprintf(stderr,
			"ptswitchctl: pin: '%s' is not a mode: want emulate "
			"or batch\n",
			mode);
		return EXIT_USAGE;
	}
	if (not_running("pinned"))
		return EXIT_NOT_RUNNING;
	if (resolve(xs, guest, &t, false))
		return 1;
	if (!t.uuid[0]) {
		fprintf(stderr,
			"ptswitchctl: %s (domain %s) has no UUID in xenstore "
			"(/local/domain/%s/vm): a pin names a guest by its "
			"UUID, so it cannot be pinned; use the policy's "
			"guests: entries\n",
			t.name, t.domid, t.domid);
		return 1;
	}
	pins = xs_directory(xs, XBT_NULL, PINS_DIR, &n);
	for (i = 0; pins && i < n; i++)
		have |= scalar_uuid_equal(pins[i], t.uuid);
	free(pins);
	if (!have && n >= PINS_MAX) {
		fprintf(stderr,
			"ptswitchctl: %u guests are pinned already, the most "
			"there may be; unpin one, or pin in the policy\n",
			n);
		return 1;
	}
	err = write_pin(xs, t.uuid, pt_mode_name(m));
	if (err) {
		fprintf(stderr, "ptswitchctl: cannot write %s/%s: %s\n",
			PINS_DIR, t.uuid, strerror(-err));
		return 1;
	}
	if (!daemon_shows(xs, &t, pt_mode_name(m))) {
		fprintf(stderr,
			"ptswitchctl: pin written, but ptswitchd did not show "
			"it within %d s: see its log\n",
			ACK_WAIT_MS / 1000);
		return 1;
	}
	printf("%s (domain %s, %s) pinned to %s%s\n", t.name, t.domid, t.uuid,
	       pt_mode_name(m),
	       m == PT_MODE_BATCH ? "; BATCH still needs the guest's consent"
				  : "");
	return 0;
}

/* A pin of a guest that is not running: only by its UUID. */
static int unpin_absent(struct xs_handle *xs, const char *guest)
{
	char uuid[PIN_UUID_LEN + 1], path[128], *v = NULL;
	struct target t;
	unsigned int len;
	int err;

	snprintf(path, sizeof(path), "%s/%s", PINS_DIR, guest);
	if (!scalar_uuid(guest, uuid)) {
		snprintf(path, sizeof(path), "%s/%s", PINS_DIR, uuid);
		v = xs_read(xs, XBT_NULL, path, &len);
	}
	if (!v)
		return resolve(xs, guest, &t, false); /* says why: 1 */
	free(v);
	err = write_pin(xs, uuid, NULL);
	if (err) {
		fprintf(stderr, "ptswitchctl: cannot remove %s: %s\n", path,
			strerror(-err));
		return 1;
	}
	printf("%s (not running) unpinned\n", uuid);
	return 0;
}

int ctl_unpin(struct xs_handle *xs, const char *guest)
{
	struct target t;
	char path[128], *v;
	unsigned int len;
	int err;

	if (not_running("unpinned"))
		return EXIT_NOT_RUNNING;
	if (resolve(xs, guest, &t, true))
		return unpin_absent(xs, guest);
	snprintf(path, sizeof(path), "%s/%s", PINS_DIR, t.uuid);
	v = t.uuid[0] ? xs_read(xs, XBT_NULL, path, &len) : NULL;
	if (!v) {
		printf("%s (domain %s) has no runtime pin: nothing to do\n",
		       t.name, t.domid);
		return 0;
	}
	free(v);
	err = write_pin(xs, t.uuid, NULL);
	if (err) {
		fprintf(stderr, "ptswitchctl: cannot remove %s: %s\n", path,
			strerror(-err));
		return 1;
	}
	if (!daemon_shows(xs, &t, "none")) {
		fprintf(stderr,
			"ptswitchctl: pin removed, but ptswitchd did not show "
			"it within %d s: see its log\n",
			ACK_WAIT_MS / 1000);
		return 1;
	}
	printf("%s (domain %s) unpinned: the policy decides again\n", t.name,
	       t.domid);
	return 0;
}

void ctl_list_orphan_pins(struct xs_handle *xs)
{
	char path[128], mode[16];
	unsigned int n = 0, i;
	char **pins = xs_directory(xs, XBT_NULL, PINS_DIR, &n);
	struct target t;

	for (i = 0; pins && i < n; i++) {
		if (!resolve(xs, pins[i], &t, true))
			continue;
		snprintf(path, sizeof(path), "%s", PINS_DIR);
		ctl_read(xs, path, pins[i], mode, sizeof(mode));
		printf("runtime pin of a guest not running: %s %s\n", pins[i],
		       mode);
	}
	free(pins);
}

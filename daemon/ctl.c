/* SPDX-License-Identifier: MIT */
/*
 * ptswitchctl: the operator's view of a running ptswitchd, and its
 * runtime pins.  A separate program rather than a ptswitchd option: it
 * reads what the daemon publishes under /tool/ptswitch (status never
 * writes xenstore; pin and unpin write only /tool/ptswitch/pin), never
 * opens the hypervisor, needs no policy and cannot start a second
 * daemon by mistake.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#include "ctl.h"
#include "lock.h"
#include "proto.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ptswitchctl status [GUEST]\n"
		"       ptswitchctl pin GUEST emulate|batch\n"
		"       ptswitchctl unpin GUEST\n"
		"\n"
		"status: show what ptswitchd decided for each guest (or one "
		"guest):\n"
		"mode, desired mode, runtime pin, reason, modeled saving, "
		"switches and\n"
		"the time since the last switch.  Reads %s only; never "
		"writes.\n"
		"pin: hold one guest in a mode until unpinned, whatever the "
		"policy\n"
		"says (BATCH still needs the guest's consent); kept across "
		"reloads and\n"
		"daemon restarts, not across a host reboot.  unpin: the "
		"policy decides\n"
		"again.  GUEST is a name, a domid or a UUID.\n"
		"\n"
		"  -h, --help   show this help and exit\n"
		"\n"
		"Exit status: 0 when done, 1 for an unknown guest or a "
		"xenstore error,\n"
		"2 on a usage error, 3 when no ptswitchd runs (status still "
		"shows the\n"
		"last state it published; pin and unpin change nothing).\n"
		"\n"
		"See also: ptswitchctl(8), ptswitchd(8).\n",
		PROTO_TOOL_DIR);
}

void ctl_read(struct xs_handle *xs, const char *dir, const char *node,
	      char *buf, size_t size)
{
	char path[160];
	unsigned int len;
	char *v;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	v = xs_read(xs, XBT_NULL, path, &len);
	snprintf(buf, size, "%s", v ? v : "");
	free(v);
}

long ctl_daemon_pid(void)
{
	char lock[300];

	lock_path(lock, sizeof(lock));
	return (long)lock_holder(lock);
}

/* "3m 20s ago"-style: the largest two units. */
static void ago(unsigned long long since, char *buf, size_t size)
{
	long long d = (long long)time(NULL) - (long long)since;

	if (!since) {
		snprintf(buf, size, "never");
		return;
	}
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(buf, size, "%llds ago", d);
	else if (d < 3600)
		snprintf(buf, size, "%lldm %llds ago", d / 60, d % 60);
	else if (d < 86400)
		snprintf(buf, size, "%lldh %lldm ago", d / 3600, d / 60 % 60);
	else
		snprintf(buf, size, "%lldd %lldh ago", d / 86400,
			 d / 3600 % 24);
}

/* The saving=... field of the stats line, as a signed percentage. */
static void saving(const char *stats, char *buf, size_t size)
{
	const char *s = strstr(stats, "saving=");
	double v;

	if ((s == stats || (s && s[-1] == ' ')) &&
	    sscanf(s + 7, "%lf", &v) == 1)
		snprintf(buf, size, "%+.0f%%", v * 100);
	else
		snprintf(buf, size, "-");
}

static bool wanted(const char *want, const char *domid, const char *name)
{
	return !want || !strcmp(want, domid) || !strcmp(want, name);
}

static int status(struct xs_handle *xs, const char *want)
{
	char dir[96], name[80], mode[16], desired[16], pin[16], reason[96],
	    stats[300], sw[24], since[24], when[32], sv[16], pid[24], dmode[16],
	    why[160], perr[320];
	char **ids;
	unsigned int n, i, shown = 0;
	long holder;
	int rc = 0;

	ctl_read(xs, PROTO_TOOL_DIR "/daemon", "pid", pid, sizeof(pid));
	ctl_read(xs, PROTO_TOOL_DIR "/daemon", "mode", dmode, sizeof(dmode));
	ctl_read(xs, PROTO_TOOL_DIR "/daemon", "mode-reason", why, sizeof(why));
	ctl_read(xs, PROTO_TOOL_DIR "/daemon", "policy-error", perr,
		 sizeof(perr));
	holder = ctl_daemon_pid();
	if (holder == 0) {
		fprintf(stderr, "ptswitchctl: ptswitchd is not running%s%s%s\n",
			pid[0] ? "; what follows was published by pid " : "",
			pid, pid[0] ? " and may be stale" : "");
		rc = EXIT_NOT_RUNNING;
	} else {
		printf("ptswitchd: pid %s, %s%s%s%s\n", holder > 0 ? pid : "?",
		       dmode[0] ? dmode : "?", why[0] ? " (" : "", why,
		       why[0] ? ")" : "");
		if (perr[0])
			printf("policy error (previous policy in force): %s\n",
			       perr);
	}
	ids = xs_directory(xs, XBT_NULL, PROTO_TOOL_DIR "/domain", &n);
	if (!ids && errno != ENOENT) {
		fprintf(stderr, "ptswitchctl: cannot read %s/domain: %s\n",
			PROTO_TOOL_DIR, strerror(errno));
		return 1;
	}
	printf("%-6s %-20s %-8s %-8s %-8s %-32s %7s %8s  %s\n", "DOMID", "NAME",
	       "MODE", "DESIRED", "PIN", "REASON", "SAVING", "SWITCHES",
	       "LAST SWITCH");
	for (i = 0; ids && i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/domain/%s", PROTO_TOOL_DIR,
			 ids[i]);
		ctl_read(xs, dir, "name", name, sizeof(name));
		if (!wanted(want, ids[i], name))
			continue;
		ctl_read(xs, dir, "mode", mode, sizeof(mode));
		ctl_read(xs, dir, "desired", desired, sizeof(desired));
		ctl_read(xs, dir, "pin", pin, sizeof(pin));
		ctl_read(xs, dir, "reason", reason, sizeof(reason));
		ctl_read(xs, dir, "stats", stats, sizeof(stats));
		ctl_read(xs, dir, "switches", sw, sizeof(sw));
		ctl_read(xs, dir, "since", since, sizeof(since));
		saving(stats, sv, sizeof(sv));
		/* since is also set when the daemon starts managing it. */
		ago(strcmp(sw, "0") && sw[0] ? strtoull(since, NULL, 10) : 0,
		    when, sizeof(when));
		printf("%-6s %-20.20s %-8s %-8s %-8s %-32.32s %7s %8s  %s\n",
		       ids[i], name, mode, desired,
		       pin[0] && strcmp(pin, "none") ? pin : "-", reason, sv,
		       sw[0] ? sw : "0", when);
		shown++;
	}
	free(ids);
	if (!want)
		ctl_list_orphan_pins(xs);
	if (want && !shown) {
		fprintf(stderr,
			"ptswitchctl: no guest '%s' (by name or domid; "
			"'ptswitchctl status' lists them)\n",
			want);
		return 1;
	}
	return rc;
}

/* The command's argument count, or -1 for an unknown command. */
static int arity(const char *cmd, int *min)
{
	if (!strcmp(cmd, "status"))
		return *min = 0, 1;
	if (!strcmp(cmd, "pin"))
		return *min = 2, 2;
	if (!strcmp(cmd, "unpin"))
		return *min = 1, 1;
	return -1;
}

int main(int argc, char **argv)
{
	struct xs_handle *xs;
	int rc, max, min = 0;

	if (argc == 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	max = argc < 2 ? -1 : arity(argv[1], &min);
	if (max < 0 || argc - 2 < min || argc - 2 > max) {
		fprintf(stderr,
			"%s"
			"Try 'ptswitchctl --help'.\n",
			argc < 2	 ? "ptswitchctl: which command?\n"
			: max < 0	 ? "ptswitchctl: unknown command\n"
			: argc - 2 < min ? "ptswitchctl: missing argument\n"
					 : "ptswitchctl: extra argument\n");
		return EXIT_USAGE;
	}
	xs = xs_open(0);
	if (!xs) {
		fprintf(stderr,
			"ptswitchctl: cannot connect to xenstore: %s (is "
			"xenstored running? are you root?)\n",
			strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "pin"))
		rc = ctl_pin(xs, argv[2], argv[3]);
	else if (!strcmp(argv[1], "unpin"))
		rc = ctl_unpin(xs, argv[2]);
	else
		rc = status(xs, argc == 3 ? argv[2] : NULL);
	xs_close(xs);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * ptswitch-agent: the guest side of ptswitch.  Options, signals and systemd
 * notification; the work is in agent.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "metrics.h"
#include "probe.h"
#include "ptswitch.h"
#include "report.h"
#include "sdnotify.h"

static const char usage_text[] =
    "NAME\n"
    "    ptswitch-agent - ptswitch guest agent for Xen PV guests\n"
    "\n"
    "SYNOPSIS\n"
    "    ptswitch-agent [--root DIR] [--interval SECONDS] [--foreground]\n"
    "                   [--verbose]\n"
    "    ptswitch-agent --once [--json] [--root DIR]\n"
    "    ptswitch-agent --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Runs inside a Linux PV guest and speaks the guest side of the\n"
    "    ptswitch xenstore contract with ptswitchd in dom0.  It probes\n"
    "    what the running kernel really supports, publishes workload\n"
    "    counters, and answers the daemon's requests to switch the\n"
    "    guest's page-table update mode between EMULATE and BATCH.\n"
    "\n"
    "    BATCH is acknowledged only when all of these hold: the guest is\n"
    "    a Xen PV guest (/sys/hypervisor/type is \"xen\",\n"
    "    /sys/hypervisor/guest_type is \"PV\"); the kernel's ELF notes\n"
    "    (/sys/kernel/notes) carry the \"ptswitch\" note declaring\n"
    "    missing-pde, spurious-fault and lazy-flush; and the kernel\n"
    "    reports that Xen accepted its vm-assist opt-in\n"
    "    (/sys/hypervisor/ptswitch/vm_assist is \"1\") and, where it has\n"
    "    /sys/hypervisor/ptswitch/caps, that all three are in force now\n"
    "    (the note is fixed when the kernel is built).  A stock kernel\n"
    "    has no such note and is refused with the reason\n"
    "    \"kernel-lacks-ptswitch-note\".  Returning to EMULATE is always\n"
    "    acknowledged.\n"
    "\n"
    "OPTIONS\n"
    "    -r, --root DIR\n"
    "        Read /proc and /sys below DIR instead of / (for tests and\n"
    "        recorded fixtures).\n"
    "    -i, --interval SECONDS\n"
    "        Seconds between metric samples, 1 to 3600 (default 10).\n"
    "        The agent wakes up only at this interval and on requests.\n"
    "    -1, --once\n"
    "        Print the probe verdict and the metrics, then exit; needs\n"
    "        no xenstore.\n"
    "    -j, --json\n"
    "        With --once: print one JSON object instead of text.\n"
    "    -f, --foreground\n"
    "        Do not detach.  Implied when started by systemd\n"
    "        (NOTIFY_SOCKET set).\n"
    "    -v, --verbose\n"
    "        Log debug messages too.\n"
    "    -h, --help\n"
    "        Print this help and exit.\n"
    "    -V, --version\n"
    "        Print the version and exit.\n"
    "\n"
    "XENSTORE (relative to /local/domain/<domid>/)\n"
    "    data/ptswitch/agent         written: \"ptswitch-agent VERSION\"\n"
    "    data/ptswitch/caps          written: caps tokens, maybe empty\n"
    "    data/ptswitch/caps-reason   written: why not BATCH, or empty\n"
    "    data/ptswitch/metrics/NAME  written: monotonic counters, on change\n"
    "    data/ptswitch/ack           written: \"SEQ ok\" | \"SEQ refuse R\"\n"
    "    ptswitch/request            watched: \"SEQ batch|emulate\"\n"
    "\n"
    "ENVIRONMENT\n"
    "    XENSTORED_PATH  xenstore device or socket to use instead of the\n"
    "                    default (the xenbus device in a guest).\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT  stop cleanly (exit status 0).\n"
    "\n"
    "EXIT STATUS\n"
    "    0 on success or a clean stop, 1 on a fatal error, 2 on a usage\n"
    "    error.\n"
    "\n"
    "SEE ALSO\n"
    "    ptswitchd(8), xenstore-ls(1); docs/protocol.md in the sources.\n";

static const struct option long_opts[] = {
    {"root", required_argument, NULL, 'r'},
    {"interval", required_argument, NULL, 'i'},
    {"once", no_argument, NULL, '1'},
    {"json", no_argument, NULL, 'j'},
    {"foreground", no_argument, NULL, 'f'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static bool under_systemd;

static void notify_status(const char *msg, bool ready)
{
	char state[256];

	if (!under_systemd)
		return;
	snprintf(state, sizeof(state), "%s\nSTATUS=%s",
		 ready ? "READY=1" : "STOPPING=1", msg);
	sdnotify_send(state);
}

static int parse_interval(const char *s, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < AGENT_INTERVAL_MIN ||
	    v > AGENT_INTERVAL_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int run_once(const char *root, bool json)
{
	struct probe_result p;
	struct metrics m;

	probe_run(root, &p);
	metrics_collect(root, &m);
	if (json)
		report_json(stdout, &p, &m);
	else
		report_text(stdout, &p, &m);
	return fflush(stdout) ? 1 : 0;
}

static int run_agent(const struct agent_opts *o, bool foreground)
{
	sigset_t mask;
	int sigfd, r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}
	/* A broken xenstore socket must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (!foreground && daemon(0, 1)) {
		log_err("daemon: %s", strerror(errno));
		return 1;
	}
	r = agent_run(o, sigfd);
	close(sigfd);
	if (r) {
		log_err("stopped: %s", strerror(-r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_opts o = {
	    .root = "/",
	    .interval = AGENT_INTERVAL_DEFAULT,
	    .status = notify_status,
	};
	bool once = false, json = false, foreground = false, verbose = false;
	static char root[PATH_MAX];
	int c;

	while ((c = getopt_long(argc, argv, "r:i:1jfvhV", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r':
			/* Absolute, so that detaching (chdir /) keeps it. */
			if (!realpath(optarg, root) ||
			    strlen(root) >= PATH_MAX / 2) {
				fprintf(stderr,
					"ptswitch-agent: --root %s: %s\n",
					optarg,
					errno ? strerror(errno) : "too long");
				return 2;
			}
			o.root = root;
			break;
		case 'i':
			if (parse_interval(optarg, &o.interval)) {
				fprintf(stderr,
					"ptswitch-agent: --interval must be "
					"%d to %d seconds\n",
					AGENT_INTERVAL_MIN, AGENT_INTERVAL_MAX);
				return 2;
			}
			break;
		case '1':
			once = true;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("ptswitch-agent %s\n", PTSWITCH_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'ptswitch-agent --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ptswitch-agent: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (json && !once) {
		fprintf(stderr, "ptswitch-agent: --json needs --once\n");
		return 2;
	}
	if (once)
		return run_once(o.root, json);

	log_init("ptswitch-agent", verbose);
	under_systemd = sdnotify_enabled();
	return run_agent(&o, foreground || under_systemd);
}

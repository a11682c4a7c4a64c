/* SPDX-License-Identifier: MIT */
/*
 * ptswitchd: chooses, per Xen PV guest, between emulated and batched
 * page-table updates.  This file owns the process: options, signals, the
 * poll loop and systemd notification.  The work is done in daemon.c.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "lock.h"
#include "logid.h"
#include "policy_scalar.h"
#include "promfile.h"
#include "revert.h"
#include "xenprobe.h"

#define DEFAULT_CONFIG "/etc/ptswitch/ptswitch.yaml"
/* How long watch events may wait to be handled together. */
#define EVENT_BATCH_MS 100
/*
 * Reloads at most this often: SIGHUPs in between are coalesced into one
 * reload when the time comes, so the last one is never lost but a storm
 * of them costs one parse a second.
 */
#define RELOAD_MIN_MS 1000

/* clang-format off: the text is laid out as it prints. */
static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: ptswitchd [OPTION]...\n"
	    "       ptswitchd --check-config FILE\n"
	    "\n"
	    "Choose, per Xen PV guest and at run time, how the hypervisor "
	    "handles the\n"
	    "guest's page-table writes: EMULATE (trap and emulate each write; "
	    "always\n"
	    "safe) or BATCH (unhook the page table, let the guest write "
	    "natively,\n"
	    "re-validate at a flush point; cheaper for fork-heavy work, and "
	    "only for\n"
	    "guests whose agent confirms that their kernel copes with it).\n"
	    "\n"
	    "ptswitchd reads each guest's page-table counters from the "
	    "hypervisor and\n"
	    "the guest agent's capabilities and metrics from xenstore, applies "
	    "the\n"
	    "policy, performs a seq/ack handshake with the agent before BATCH, "
	    "and\n"
	    "publishes its state under %s (dom0 only) and\n"
	    "/local/domain/<id>/%s (guest read-only).\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE      policy file (default %s);\n"
	    "                         when the default file is absent, the "
	    "built-in\n"
	    "                         policy is used\n"
	    "      --builtin-policy   ignore any policy file and use the "
	    "built-in\n"
	    "                         defaults (what the demo runs)\n"
	    "      --check-config FILE\n"
	    "                         validate FILE, print errors as "
	    "file:line:column,\n"
	    "                         exit 0 if valid, 1 if not\n"
	    "  -b, --backend NAME[:ARG]\n"
	    "                         hypervisor backend: 'xenctrl' (the "
	    "ptswitch\n"
	    "                         domctl; the default on a Xen host) or\n"
	    "                         'sim:MAPFILE' (simulated counters from "
	    "workload\n"
	    "                         traces, for demos and tests)\n"
	    "  -a, --advise           decide and publish, never switch a "
	    "guest\n"
	    "  -f, --foreground       do not detach (always the case under "
	    "systemd)\n"
	    "  -1, --once             scan the guests, run one decision round, "
	    "print a\n"
	    "                         table and exit; asks no guest and "
	    "switches none\n"
	    "                         unless --act is given\n"
	    "      --act              with --once: act on the decisions\n"
	    "      --revert-all       switch every guest in BATCH back to "
	    "EMULATE and\n"
	    "                         exit (stop the running daemon first; "
	    "waits 10 s\n"
	    "                         for its lock)\n"
	    "      --metrics-file PATH\n"
	    "                         write a Prometheus textfile "
	    "(node_exporter's\n"
	    "                         textfile collector) to PATH, atomically\n"
	    "      --metrics-interval DURATION\n"
	    "                         how often to write it: 10s, 1m, ... "
	    "(default 30s)\n"
	    "  -v, --verbose          log decisions and debug messages\n"
	    "  -h, --help             show this help and exit\n"
	    "  -V, --version          show the version and exit\n"
	    "\n"
	    "Signals: SIGHUP reloads the policy (an invalid file is reported "
	    "and the\n"
	    "previous policy stays in force; at most one reload a second, "
	    "the signals\n"
	    "in between coalesced into it); SIGTERM and SIGINT stop the "
	    "daemon and\n"
	    "leave every guest in the mode it is in (or, with the policy's "
	    "on-stop:\n"
	    "revert, switch every guest back to EMULATE first); SIGUSR1 "
	    "logs\n"
	    "internal figures.  Runtime pins: ptswitchctl(8).\n"
	    "\n"
	    "Admin view (xenstore-ls %s):\n"
	    "  "
	    "daemon/"
	    "{version,pid,backend,policy,policy-error,mode,mode-reason}\n"
	    "  "
	    "domain/<id>/{name,mode,state,desired,reason,caps,switches,since,\n"
	    "               rejected,pin,stats}\n"
	    "  pin/<uuid>   runtime pins (ptswitchctl pin)\n"
	    "\n"
	    "Exit status: 0 on a clean stop, 1 on a configuration or start-up "
	    "error,\n"
	    "2 on a usage error.\n"
	    "\n"
	    "See also: ptswitchd(8), ptswitch.yaml(5) (the policy file), "
	    "ptswitch-agent(8).\n",
	    PROTO_TOOL_DIR, PROTO_DAEMON_DIR, DEFAULT_CONFIG, PROTO_TOOL_DIR);
}
/* clang-format on */

struct options {
	const char *config;
	bool config_explicit;
	const char *check_config;
	const char *backend;
	bool advise, foreground, once, verbose, builtin, act, revert_all;
	struct promfile metrics;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", required_argument, NULL, 'C'},
	    {"builtin-policy", no_argument, NULL, 'B'},
	    {"backend", required_argument, NULL, 'b'},
	    {"advise", no_argument, NULL, 'a'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"once", no_argument, NULL, '1'},
	    {"act", no_argument, NULL, 'A'},
	    {"revert-all", no_argument, NULL, 'R'},
	    {"metrics-file", required_argument, NULL, 'M'},
	    {"metrics-interval", required_argument, NULL, 'I'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->config = DEFAULT_CONFIG;
	o->metrics.period_ms = PROMFILE_DEFAULT_PERIOD_MS;
	while ((c = getopt_long(argc, argv, "c:b:af1vhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			o->config_explicit = true;
			break;
		case 'C':
			o->check_config = optarg;
			break;
		case 'B':
			o->builtin = true;
			break;
		case 'b':
			o->backend = optarg;
			break;
		case 'a':
			o->advise = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case '1':
			o->once = true;
			break;
		case 'A':
			o->act = true;
			break;
		case 'R':
			o->revert_all = true;
			break;
		case 'M':
			o->metrics.path = optarg;
			break;
		case 'I':
			if (scalar_duration_ms(optarg, &o->metrics.period_ms) ||
			    o->metrics.period_ms < 1000) {
				fprintf(stderr,
					"ptswitchd: --metrics-interval '%s': "
					"want a duration of at least 1s "
					"(10s, 1m, ...)\n",
					optarg);
				return -1;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ptswitchd %s\n", PTSWITCH_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'ptswitchd --help'.\n");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"ptswitchd: unexpected argument '%s'\n"
			"Try 'ptswitchd --help'.\n",
			argv[optind]);
		return -1;
	}
	if (o->act && !o->once) {
		fprintf(stderr, "ptswitchd: --act needs --once\n");
		return -1;
	}
	if (o->revert_all && (o->once || o->advise)) {
		fprintf(stderr, "ptswitchd: --revert-all goes with neither "
				"--once nor --advise\n");
		return -1;
	}
	return 0;
}

static int check_config(const char *path)
{
	struct policy p;
	struct policy_error err;
	char msg[512];

	if (policy_load_file(path, &p, &err)) {
		policy_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	printf("%s: OK (%s, interval %llu ms, %zu guest override%s)\n", path,
	       p.action == POLICY_ENFORCE ? "enforce" : "advise",
	       (unsigned long long)p.interval_ms, p.n_overrides,
	       p.n_overrides == 1 ? "" : "s");
	return 0;
}

static int load_policy(struct ptswitchd *d, const struct options *o)
{
	struct policy_error err;
	char msg[512];

	if (o->builtin) {
		policy_defaults(&d->policy);
		log_info("using the built-in policy");
		return 0;
	}
	if (!o->config_explicit && access(o->config, F_OK)) {
		policy_defaults(&d->policy);
		log_info("%s not found: using the built-in policy", o->config);
		return 0;
	}
	if (policy_load_file(o->config, &d->policy, &err)) {
		policy_error_format(&err, msg, sizeof(msg));
		log_err("%s", msg);
		return -1;
	}
	snprintf(d->config_path, sizeof(d->config_path), "%s", o->config);
	return 0;
}

static int open_backend(struct ptswitchd *d, const char *spec)
{
	char name[32];
	const char *arg = NULL, *colon;
	int err;

	if (!spec) {
		char why[160];
		int probe =
		    xenprobe_privcmd(xenprobe_privcmd_paths, why, sizeof(why));

		if (probe == -ENOENT) {
			log_err("no Xen hypervisor found (%s); on a machine "
				"without Xen use --backend sim:MAPFILE",
				why);
			return -1;
		}
		if (probe) {
			log_err("Xen's privcmd device is there but this "
				"process may not use it (%s): run as root, "
				"and check the unit's DeviceAllow=",
				why);
			return -1;
		}
		spec = "xenctrl";
	}
	colon = strchr(spec, ':');
	snprintf(name, sizeof(name), "%.*s",
		 colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon)
		arg = colon + 1;
	d->be.ops = backend_lookup(name);
	if (!d->be.ops) {
		log_err("unknown backend '%s' (known: xenctrl, sim:MAPFILE)",
			name);
		return -1;
	}
	err = d->be.ops->open(&d->be, arg);
	if (err) {
		log_err("backend %s: %s", name, strerror(-err));
		return -1;
	}
	if (!d->be.can_switch)
		log_warn("advise mode: %s",
			 d->be.why_not[0] ? d->be.why_not
					  : "the backend cannot switch modes");
	return 0;
}

static int make_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static struct timespec ms_timespec(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	return ts;
}

static uint64_t timespec_ms(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000 + (uint64_t)ts->tv_nsec / 1000000;
}

static int arm_timer(int fd, uint64_t ms)
{
	struct itimerspec its = {.it_interval = ms_timespec(ms)};

	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL);
}

/*
 * A new interval takes effect without postponing the tick already due:
 * the next expiry stays where it was unless the new interval is shorter.
 */
static int retime_timer(int fd, uint64_t ms)
{
	struct itimerspec cur, its = {.it_interval = ms_timespec(ms)};

	if (timerfd_gettime(fd, &cur))
		return -1;
	its.it_value = its.it_interval;
	if ((cur.it_value.tv_sec || cur.it_value.tv_nsec) &&
	    timespec_ms(&cur.it_value) < ms)
		its.it_value = cur.it_value;
	return timerfd_settime(fd, 0, &its, NULL);
}

/* SIGHUP: reload the policy; the tick timer keeps its phase. */
static void reload(struct ptswitchd *d, int tfd)
{
	uint64_t interval = d->policy.interval_ms;

	sd_notify(0, "RELOADING=1");
	ptd_reload(d);
	if (d->policy.interval_ms != interval &&
	    retime_timer(tfd, d->policy.interval_ms))
		log_err("cannot change the tick interval: %s", strerror(errno));
	sd_notify(0, "READY=1");
}

static void log_figures(struct ptswitchd *d)
{
	const struct store_counters *c = store_counters(d->xs);

	log_info("figures: ticks=%llu guests=%u tick-us-last=%llu "
		 "tick-us-max=%llu xs-reads=%llu xs-writes=%llu "
		 "xs-removes=%llu xs-events=%llu set-mode-calls=%llu "
		 "set-mode-us-mean=%llu set-mode-us-max=%llu",
		 (unsigned long long)d->ticks, d->n_guests,
		 (unsigned long long)d->tick_us_last,
		 (unsigned long long)d->tick_us_max,
		 (unsigned long long)c->reads, (unsigned long long)c->writes,
		 (unsigned long long)c->removes, (unsigned long long)c->events,
		 (unsigned long long)d->setmode_n,
		 (unsigned long long)(d->setmode_n
					  ? d->setmode_us_total / d->setmode_n
					  : 0),
		 (unsigned long long)d->setmode_us_max);
}

static void notify_status(struct ptswitchd *d)
{
	char status[sizeof(d->status)];

	ptd_status(d, status, sizeof(status));
	if (strcmp(status, d->status)) {
		memcpy(d->status, status, sizeof(status));
		sd_notifyf(0, "STATUS=%s", status);
	}
}

static void print_table(struct ptswitchd *d)
{
	unsigned int i;

	printf("%-6s %-20s %-8s %-10s %-8s %s\n", "DOMID", "NAME", "MODE",
	       "STATE", "DESIRED", "REASON");
	for (i = 1; i < PTD_MAX_DOMID; i++) {
		struct guest *g = d->guests[i];

		if (!g)
			continue;
		printf("%-6u %-20.20s %-8s %-10s %-8s %s\n", g->domid, g->name,
		       pt_mode_name(fsm_mode(&g->fsm)),
		       fsm_state_name(g->fsm.state),
		       g->have_decision ? pt_mode_name(g->decision.want) : "-",
		       g->have_decision ? g->decision.reason : g->fsm.reason);
	}
}

/*
 * on-stop: revert.  One round, as ptswitchd --revert-all does: leaving
 * BATCH needs no handshake.  1 if a guest could not be switched back.
 */
static int stop_reverting(struct ptswitchd *d)
{
	log_msg(LOG_NOTICE, "stopping; on-stop: revert: every guest back "
			    "to emulate");
	revert_prepare(d);
	ptd_tick(d, pt_monotonic_ms());
	return revert_done(d) ? 0 : 1;
}

/* Take pending watch events; false if the connection is gone. */
static bool handle_events(struct ptswitchd *d)
{
	return ptd_take_events(d);
}

static int run(struct ptswitchd *d, struct options *o)
{
	uint64_t wd_usec = 0, events_after_ms = 0, reload_after_ms = 0;
	int sfd, tfd, rc = 0, err;
	bool stop = false, reload_pending = false;

	sfd = make_signalfd();
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0 || arm_timer(tfd, d->policy.interval_ms)) {
		log_err("cannot set up signals or timer: %s", strerror(errno));
		return 1;
	}
	if (store_watch(d->xs, "@introduceDomain", "@intro") ||
	    store_watch(d->xs, "@releaseDomain", "@release")) {
		log_err("cannot watch for domains: %s", strerror(errno));
		return 1;
	}
	publish_daemon(d);
	err = pins_watch(d);
	if (err)
		log_warn("cannot watch %s: %s; runtime pins are read only at "
			 "start",
			 PINS_DIR, strerror(-err));
	ptd_scan(d, pt_monotonic_ms());
	pins_load(d, pt_monotonic_ms());
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	sd_notify(0, "READY=1");
	notify_status(d);
	log_info("running: backend %s, %s, interval %llu ms", d->be.ops->name,
		 ptd_advise(d) ? "advise" : "enforce",
		 (unsigned long long)d->policy.interval_ms);

	while (!stop) {
		/* The answers to posted writes, before sleeping. */
		int flushed = store_flush(d->xs);
		uint64_t now = pt_monotonic_ms();
		bool hold = now < events_after_ms;
		/*
		 * Events read meanwhile, or a lost connection: no waiting.
		 */
		bool queued = flushed || (!hold && store_events_pending(d->xs));
		struct pollfd pfd[3] = {
		    /* A negative fd is ignored by poll(2). */
		    {.fd = hold ? -1 : store_fd(d->xs), .events = POLLIN},
		    {.fd = sfd, .events = POLLIN},
		    {.fd = tfd, .events = POLLIN},
		};
		int timeout = wd_usec ? (int)(wd_usec / 2000) : -1;
		int n;

		if (hold &&
		    (timeout < 0 || (uint64_t)timeout > events_after_ms - now))
			timeout = (int)(events_after_ms - now);
		if (reload_pending) {
			uint64_t wait =
			    reload_after_ms > now ? reload_after_ms - now : 0;

			if (timeout < 0 || (uint64_t)timeout > wait)
				timeout = (int)wait;
		}
		if (queued)
			timeout = 0;
		n = poll(pfd, 3, timeout);

		if (n < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (wd_usec)
			sd_notify(0, "WATCHDOG=1");
		/* Coalesced: whatever number of SIGHUPs came meanwhile. */
		if (reload_pending && pt_monotonic_ms() >= reload_after_ms) {
			reload_pending = false;
			reload(d, tfd);
			reload_after_ms = pt_monotonic_ms() + RELOAD_MIN_MS;
		}
		if (n <= 0 && !queued)
			continue;
		if (queued || (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (!handle_events(d)) {
				log_err("lost the xenstore connection: %s",
					strerror(errno));
				rc = 1;
				break;
			}
			/*
			 * Guests write metrics all the time: take watch
			 * events in batches rather than one wake-up each.
			 * Acks wait at most this long.
			 */
			events_after_ms = pt_monotonic_ms() + EVENT_BATCH_MS;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					/* Done at the top of the loop. */
					reload_pending = true;
				} else if (si.ssi_signo == SIGUSR1) {
					log_figures(d);
				} else {
					stop = true;
				}
			}
		}
		if (pfd[2].revents & POLLIN) {
			uint64_t expirations;

			if (read(tfd, &expirations, sizeof(expirations)) > 0) {
				/* Events first, and a lost xenstored. */
				if (!handle_events(d)) {
					log_err("lost the xenstore connection");
					rc = 1;
					break;
				}
				ptd_tick(d, pt_monotonic_ms());
				/* Once a tick, not per watch event. */
				notify_status(d);
				promfile_tick(&o->metrics, d,
					      pt_monotonic_ms());
			}
		}
	}
	sd_notify(0, "STOPPING=1");
	/* Stopped by a signal, not by a lost xenstored (then a restart). */
	if (!rc && d->policy.on_stop == ON_STOP_REVERT)
		rc = stop_reverting(d);
	else
		log_info("stopping; guests stay in their current modes");
	close(sfd);
	close(tfd);
	return rc;
}

/* Kept open while running: the kernel releases it when we exit. */
static int lock_fd = -1;

static int take_lock(const struct options *o)
{
	char path[300];
	pid_t holder;

	lock_path(path, sizeof(path));
	lock_fd = lock_take(path, o->revert_all ? 10000 : 0, &holder);
	if (lock_fd == -EWOULDBLOCK)
		log_err("another ptswitchd is running (pid %ld, lock %s): %s",
			(long)holder, path,
			o->revert_all || o->once
			    ? "stop it first (systemctl stop ptswitchd)"
			    : "one per host");
	else if (lock_fd < 0)
		/* No /run to write to is no reason not to run. */
		log_warn("running without the single-instance lock: %s: %s",
			 path, strerror(-lock_fd));
	return lock_fd == -EWOULDBLOCK ? -1 : 0;
}

int main(int argc, char **argv)
{
	static struct ptswitchd d;
	struct options o = {0};
	int rc;

	if (parse_options(argc, argv, &o))
		return 2;
	if (o.check_config)
		return check_config(o.check_config);

	log_init("ptswitchd", o.verbose);
	logid_attach(&d);
	if (take_lock(&o) < 0)
		return 1;
	if (load_policy(&d, &o) || ptd_init(&d) || open_backend(&d, o.backend))
		return 1;
	/* --once reports; it asks and switches only when told to act. */
	d.force_advise = o.advise || (o.once && !o.act);
	d.xs = store_open();
	if (!d.xs) {
		log_err("cannot connect to xenstore: %s (is xenstored "
			"running? XENSTORED_PATH overrides the socket)",
			strerror(errno));
		return 1;
	}
	/* ... and then writes nothing, not even its view. */
	if (o.once && !o.act)
		store_set_read_only(d.xs);
	if (o.revert_all) {
		uint64_t now = pt_monotonic_ms();

		revert_prepare(&d);
		publish_daemon(&d);
		ptd_scan(&d, now);
		ptd_tick(&d, now);
		print_table(&d);
		rc = revert_done(&d) ? 0 : 1;
	} else if (o.once) {
		uint64_t now = pt_monotonic_ms();

		publish_daemon(&d);
		ptd_scan(&d, now);
		pins_load(&d, now);
		ptd_tick(&d, now);
		print_table(&d);
		rc = 0;
		if (o.metrics.path && promfile_write(&o.metrics, &d, now))
			rc = 1;
	} else {
		if (!o.foreground && !getenv("NOTIFY_SOCKET") && daemon(0, 0)) {
			log_err("cannot detach: %s", strerror(errno));
			return 1;
		}
		lock_update_pid(lock_fd);
		rc = run(&d, &o);
	}
	ptd_fini(&d);
	store_close(d.xs);
	if (d.be.ops->close)
		d.be.ops->close(&d.be);
	return rc;
}

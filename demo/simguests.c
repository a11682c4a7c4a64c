/* SPDX-License-Identifier: MIT */
/*
 * simguests: plays the ptswitch guest agent for many domains at once over
 * one dom0 xenstore connection, for the demo and the many-guest benchmark.
 *
 * It reads the same map file as the daemon's sim backend (daemon/simmap.h)
 * and, for every mapped domain that xenstored knows:
 *   - writes data/ptswitch/agent and data/ptswitch/caps,
 *   - takes one trace row a second and publishes the trace's metrics as
 *     monotonic counters every --interval seconds (only changed ones),
 *   - watches /local/domain/<id>/ptswitch and answers each new request in
 *     data/ptswitch/ack, as the map line's ack= option says.
 * A domain that disappears (@releaseDomain) loses its agent; one that
 * appears later (@introduceDomain) gets a fresh one.
 *
 * Writes come from dom0, so xenstored applies no guest quotas or rate
 * limits to them; the domain's data/ must already be owned by the guest
 * (the toolstack, or xslab_add_domain, does that) so that the nodes
 * created under it belong to the guest as real agents' nodes would.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <xenstore.h>

#include "clock.h"
#include "log.h"
#include "proto.h"
#include "ptswitch.h"
#include "simmap.h"

#define AGENT_NAME "simguests " PTSWITCH_VERSION
/* Each second is cut into slots; a guest publishes in its own slot, so
 * the fleet's writes are spread over the second as independent agents'
 * would be. */
#define SLOTS 20
#define SLOT_MS (1000 / SLOTS)
#define TX_RETRIES 5
#define PATH_LEN 96

enum guest_state {
	GUEST_WAITING, /* domain not (yet, or no longer) introduced */
	GUEST_LIVE,
};

struct guest {
	const struct simmap_entry *e;
	enum guest_state state;
	char base[32];	/* /local/domain/<id> */
	char token[16]; /* watch token: the domid */
	uint64_t rows;	/* trace rows published */
	uint64_t value[TRACE_MAX_METRICS];
	uint64_t published[TRACE_MAX_METRICS];
	bool all_published; /* every metric key written at least once */
	bool answered;
	uint64_t last_seq;
	bool told_silent;
};

struct counters {
	uint64_t writes, reads, tx_commits, tx_retries, write_errors;
	uint64_t requests, acks_ok, acks_refuse, unanswered, malformed;
	uint64_t started, stopped;
};

struct fleet {
	struct xs_handle *xs;
	struct simmap map;
	struct guest *g; /* parallel to map.e */
	bool use_tx;
	unsigned int interval; /* seconds between metric publications */
	bool rescan_pending;   /* a domain came or went */
	bool release_pending;  /* a domain went: check before writing */
	uint64_t last_rescan_ms;
	bool scanned_once;
	bool lost; /* the xenstore connection is gone */
	struct counters c;
};

/* One pending write of a slot. */
struct change {
	struct guest *g;
	int metric; /* index, or -1 for a non-metric key */
	char path[PATH_LEN];
	char value[24];
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* After a failed request: was it the connection itself? */
static void check_lost(struct fleet *f)
{
	if (errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN ||
	    errno == EBADF)
		f->lost = true;
}

static bool xwrite(struct fleet *f, xs_transaction_t t, const char *path,
		   const char *value)
{
	f->c.writes++;
	if (xs_write(f->xs, t, path, value, strlen(value)))
		return true;
	if (errno != EAGAIN)
		f->c.write_errors++;
	check_lost(f);
	return false;
}

static void guest_path(const struct guest *g, const char *rel, char *buf)
{
	snprintf(buf, PATH_LEN, "%s/" PROTO_GUEST_DIR "/%s", g->base, rel);
}

static bool domain_exists(struct fleet *f, struct guest *g)
{
	f->c.reads++;
	return xs_is_domain_introduced(f->xs, g->e->domid);
}

/* Answer a request the way the map line says; false: leave unanswered. */
static bool judge(struct guest *g, const struct proto_request *req,
		  struct proto_ack *ack)
{
	memset(ack, 0, sizeof(*ack));
	ack->seq = req->seq;
	ack->answer = PROTO_ACK_OK;
	if (g->e->ack == SIMMAP_ACK_SILENT)
		return false;
	if (req->verb != PROTO_REQ_BATCH)
		return true; /* back to EMULATE is always fine */
	if (g->e->ack == SIMMAP_ACK_REFUSE) {
		ack->answer = PROTO_ACK_REFUSE;
		strcpy(ack->reason, "sim-refuse");
	} else if ((g->e->caps & PROTO_CAPS_BATCH) != PROTO_CAPS_BATCH) {
		/* As the real agent: no capability, no consent. */
		ack->answer = PROTO_ACK_REFUSE;
		strcpy(ack->reason, "missing-caps");
	}
	return true;
}

static void handle_request(struct fleet *f, struct guest *g)
{
	char path[PATH_LEN], buf[PROTO_MAX_VALUE + 1];
	struct proto_request req;
	struct proto_ack ack;
	unsigned int len;
	char *val;
	size_t n;

	snprintf(path, sizeof(path), "%s/" PROTO_DAEMON_DIR "/request",
		 g->base);
	f->c.reads++;
	val = xs_read(f->xs, XBT_NULL, path, &len);
	if (!val) {
		check_lost(f);
		return; /* no request yet */
	}
	if (proto_parse_request(val, len, &req)) {
		f->c.malformed++;
		log_warn("dom%u: malformed request ignored", g->e->domid);
		free(val);
		return;
	}
	free(val);
	if (g->answered && req.seq <= g->last_seq)
		return; /* a watch firing for something else */
	f->c.requests++;
	g->answered = true;
	g->last_seq = req.seq;
	if (!judge(g, &req, &ack)) {
		f->c.unanswered++;
		if (!g->told_silent)
			log_debug("dom%u: ack=silent: not answering",
				  g->e->domid);
		g->told_silent = true;
		return;
	}
	n = proto_format_ack(&ack, buf, sizeof(buf));
	guest_path(g, "ack", path);
	if (n && xwrite(f, XBT_NULL, path, buf)) {
		if (ack.answer == PROTO_ACK_OK)
			f->c.acks_ok++;
		else
			f->c.acks_refuse++;
		log_debug(
		    "dom%u: request %" PRIu64 " %s: %s", g->e->domid, req.seq,
		    req.verb == PROTO_REQ_BATCH ? "batch" : "emulate", buf);
	}
}

/* Pick up the last ack an earlier agent left, so stale requests stay
 * unanswered after a restart, as the real agent does. */
static void resume_handshake(struct fleet *f, struct guest *g)
{
	char path[PATH_LEN];
	struct proto_ack a;
	unsigned int len;
	char *val;

	g->answered = false;
	g->told_silent = false;
	guest_path(g, "ack", path);
	f->c.reads++;
	val = xs_read(f->xs, XBT_NULL, path, &len);
	if (val && !proto_parse_ack(val, len, &a)) {
		g->answered = true;
		g->last_seq = a.seq;
	}
	free(val);
}

static void guest_start(struct fleet *f, struct guest *g)
{
	char path[PATH_LEN], caps[PROTO_MAX_VALUE + 1];

	guest_path(g, "agent", path);
	if (!xwrite(f, XBT_NULL, path, AGENT_NAME)) {
		log_warn("dom%u: cannot write %s: %s", g->e->domid, path,
			 strerror(errno));
		return;
	}
	proto_format_caps(g->e->caps, caps, sizeof(caps));
	guest_path(g, "caps", path);
	xwrite(f, XBT_NULL, path, caps);
	resume_handshake(f, g);
	g->all_published = false;
	g->state = GUEST_LIVE;
	f->c.started++;
	/* Fires once at once: that first event reads a pending request. */
	snprintf(path, sizeof(path), "%s/" PROTO_DAEMON_DIR, g->base);
	if (!xs_watch(f->xs, path, g->token))
		log_warn("dom%u: cannot watch %s: %s", g->e->domid, path,
			 strerror(errno));
	log_debug("dom%u: agent started", g->e->domid);
}

static void guest_stop(struct fleet *f, struct guest *g)
{
	char path[PATH_LEN];

	snprintf(path, sizeof(path), "%s/" PROTO_DAEMON_DIR, g->base);
	xs_unwatch(f->xs, path, g->token);
	g->state = GUEST_WAITING;
	f->c.stopped++;
	log_debug("dom%u: domain gone, agent stopped", g->e->domid);
}

/*
 * @introduceDomain / @releaseDomain: (re)check every guest.  The events do
 * not say which domain, so a burst of them (a fleet being created or
 * destroyed) is folded into one scan every RESCAN_MS.
 */
#define RESCAN_MS 500

static void rescan(struct fleet *f, uint64_t now)
{
	size_t i, live = 0;
	bool exists;

	for (i = 0; i < f->map.n; i++) {
		struct guest *g = &f->g[i];

		exists = domain_exists(f, g);
		if (g->state == GUEST_WAITING && exists)
			guest_start(f, g);
		else if (g->state == GUEST_LIVE && !exists)
			guest_stop(f, g);
		live += g->state == GUEST_LIVE;
	}
	if (!f->scanned_once)
		log_info("%zu of %zu mapped domains present", live, f->map.n);
	f->scanned_once = true;
	f->rescan_pending = false;
	f->release_pending = false;
	f->last_rescan_ms = now;
}

static void handle_watch(struct fleet *f, char **vec)
{
	const struct simmap_entry *e;
	unsigned long domid;
	char *end;

	if (!strcmp(vec[XS_WATCH_TOKEN], "release"))
		f->release_pending = true;
	if (!strcmp(vec[XS_WATCH_TOKEN], "release") ||
	    !strcmp(vec[XS_WATCH_TOKEN], "introduce")) {
		f->rescan_pending = true;
		return;
	}
	errno = 0;
	domid = strtoul(vec[XS_WATCH_TOKEN], &end, 10);
	if (errno || *end || domid >= SIMMAP_DOMID_LIMIT)
		return;
	e = simmap_find(&f->map, (unsigned int)domid);
	if (!e || f->g[e - f->map.e].state != GUEST_LIVE)
		return;
	/* Only the request (or the whole subtree) matters, not mode. */
	end = strrchr(vec[XS_WATCH_PATH], '/');
	if (end && strcmp(end, "/request") && strcmp(end, "/" PROTO_DAEMON_DIR))
		return;
	handle_request(f, &f->g[e - f->map.e]);
}

static void drain_watches(struct fleet *f)
{
	char **vec;

	while ((vec = xs_check_watch(f->xs))) {
		handle_watch(f, vec);
		free(vec);
	}
	/*
	 * libxenstore's reader thread closes the socket when xenstored goes
	 * away, and nothing wakes the watch pipe: this is where it shows.
	 */
	if (errno != EAGAIN)
		f->lost = true;
}

/* Advance a guest by one trace row (one second); when it is time to
 * publish, queue its changed metrics. */
static size_t queue_metrics(struct guest *g, bool publish, struct change *out)
{
	const struct trace *t = g->e->trace;
	const struct trace_row *row;
	size_t n = 0;
	unsigned int i;

	row = trace_row_at(t, g->e->offset + g->rows++);
	for (i = 0; i < t->n_metrics; i++)
		g->value[i] += row->metric[i];
	if (!publish && g->all_published)
		return 0;
	for (i = 0; i < t->n_metrics; i++) {
		if (g->all_published && g->value[i] == g->published[i])
			continue;
		out[n].g = g;
		out[n].metric = (int)i;
		snprintf(out[n].path, sizeof(out[n].path),
			 "%s/" PROTO_GUEST_DIR "/metrics/%s", g->base,
			 t->metric_name[i]);
		snprintf(out[n].value, sizeof(out[n].value), "%" PRIu64,
			 g->value[i]);
		n++;
	}
	return n;
}

static void mark_published(struct change *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		c[i].g->published[c[i].metric] = c[i].g->value[c[i].metric];
		c[i].g->all_published = true;
	}
}

/*
 * Write one slot's changes: one request each, or all in one transaction
 * (retried on EAGAIN; the values are absolute, so a retry is harmless).
 */
static void flush_changes(struct fleet *f, struct change *c, size_t n)
{
	xs_transaction_t t;
	size_t i;
	int tries, err;
	bool ok;

	if (!n)
		return;
	if (!f->use_tx) {
		for (i = 0; i < n; i++)
			if (xwrite(f, XBT_NULL, c[i].path, c[i].value))
				mark_published(&c[i], 1);
		return;
	}
	for (tries = 0; tries < TX_RETRIES; tries++) {
		t = xs_transaction_start(f->xs);
		if (t == XBT_NULL)
			break;
		for (ok = true, i = 0; ok && i < n; i++)
			ok = xwrite(f, t, c[i].path, c[i].value);
		if (!ok) {
			err = errno;
			xs_transaction_end(f->xs, t, true);
			errno = err;
		} else if (xs_transaction_end(f->xs, t, false)) {
			f->c.tx_commits++;
			mark_published(c, n);
			return;
		}
		if (errno != EAGAIN)
			break;
		f->c.tx_retries++;
	}
	log_warn("transaction of %zu writes failed: %s", n, strerror(errno));
}

/*
 * Every second each guest takes one trace row; it publishes every
 * f->interval seconds, in a second and slot of its own.
 */
static void publish_slot(struct fleet *f, unsigned int slot, uint64_t second,
			 struct change *buf)
{
	size_t i, n = 0;
	bool publish;

	/*
	 * A dom0 write would recreate the nodes of a domain that is gone
	 * (the toolstack removes its tree right after the release), so
	 * while a release is not yet sorted out, look before writing.
	 */
	drain_watches(f);
	for (i = slot; i < f->map.n; i += SLOTS) {
		if (f->g[i].state != GUEST_LIVE)
			continue;
		if (f->release_pending && !domain_exists(f, &f->g[i])) {
			guest_stop(f, &f->g[i]);
			continue;
		}
		publish = (second + i / SLOTS) % f->interval == 0;
		n += queue_metrics(&f->g[i], publish, buf + n);
	}
	flush_changes(f, buf, n);
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: simguests --map FILE [options]\n"
	    "Play the ptswitch guest agent for every domain of a sim map,\n"
	    "over one dom0 xenstore connection (XENSTORED_PATH is honoured).\n"
	    "\n"
	    "  -m, --map FILE      map file (format: tests/traces/README.md)\n"
	    "  -d, --duration S    stop after S seconds (default: run until\n"
	    "                      SIGINT/SIGTERM)\n"
	    "  -i, --interval S    publish metrics every S seconds, as the\n"
	    "                      agent's --interval (default: 10)\n"
	    "  -r, --report S      print the counters every S seconds\n"
	    "  -t, --transactions  write each slot's metrics in one\n"
	    "                      transaction instead of one by one\n"
	    "  -v, --verbose       log every request and ack\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "Per domain it writes data/ptswitch/{agent,caps}, publishes\n"
	    "data/ptswitch/metrics/<name> from the trace (one row a second),\n"
	    "and answers ptswitch/request in data/ptswitch/ack (map option\n"
	    "ack=ok|refuse|silent).  On exit it prints one summary line.\n");
}

static void summary(const struct fleet *f, double secs, bool final)
{
	struct rusage ru;
	double cpu;

	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("simguests: %s domains=%zu started=%" PRIu64 " stopped=%" PRIu64
	       " seconds=%.1f writes=%" PRIu64 " writes_per_s=%.0f"
	       " write_errors=%" PRIu64 " reads=%" PRIu64 " tx_commits=%" PRIu64
	       " tx_retries=%" PRIu64 " requests=%" PRIu64 " acks_ok=%" PRIu64
	       " acks_refuse=%" PRIu64 " unanswered=%" PRIu64
	       " malformed=%" PRIu64 " cpu_s=%.2f cpu_pct=%.1f\n",
	       final ? "total" : "so-far", f->map.n, f->c.started, f->c.stopped,
	       secs, f->c.writes, secs > 0 ? (double)f->c.writes / secs : 0.0,
	       f->c.write_errors, f->c.reads, f->c.tx_commits, f->c.tx_retries,
	       f->c.requests, f->c.acks_ok, f->c.acks_refuse, f->c.unanswered,
	       f->c.malformed, cpu, secs > 0 ? 100.0 * cpu / secs : 0.0);
	fflush(stdout);
}

static int setup(struct fleet *f, const char *map_path)
{
	struct trace_error err;
	char msg[sizeof(err.file) + sizeof(err.msg) + 16];
	size_t i;
	int rc;

	rc = simmap_load(map_path, &f->map, &err);
	if (rc) {
		trace_error_format(&err, msg, sizeof(msg));
		log_err("%s", msg);
		return rc;
	}
	f->g = calloc(f->map.n, sizeof(*f->g));
	if (!f->g)
		return -ENOMEM;
	for (i = 0; i < f->map.n; i++) {
		f->g[i].e = &f->map.e[i];
		snprintf(f->g[i].base, sizeof(f->g[i].base), "/local/domain/%u",
			 f->map.e[i].domid);
		snprintf(f->g[i].token, sizeof(f->g[i].token), "%u",
			 f->map.e[i].domid);
	}
	f->xs = xs_open(0);
	if (!f->xs) {
		log_err("cannot connect to xenstore: %s", strerror(errno));
		return -errno;
	}
	/* Both fire once on registration: that first rescan starts the
	 * agents of every domain already there. */
	if (!xs_watch(f->xs, "@introduceDomain", "introduce") ||
	    !xs_watch(f->xs, "@releaseDomain", "release")) {
		log_err("cannot watch domain changes: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"map", required_argument, NULL, 'm'},
	    {"duration", required_argument, NULL, 'd'},
	    {"interval", required_argument, NULL, 'i'},
	    {"report", required_argument, NULL, 'r'},
	    {"transactions", no_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct fleet f = {.interval = 10};
	const char *map_path = NULL;
	unsigned long duration_s = 0, report_s = 0;
	bool verbose = false;
	uint64_t start, next, now;
	struct change *buf;
	struct pollfd pfd;
	unsigned int slot = 0;
	uint64_t second = 0;
	char *end;
	int c, rc = 1, timeout;

	while ((c = getopt_long(argc, argv, "m:d:i:r:tvh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			map_path = optarg;
			break;
		case 'd':
			errno = 0;
			duration_s = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "simguests: bad duration\n");
				return 2;
			}
			break;
		case 'i':
			errno = 0;
			f.interval = (unsigned int)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' ||
			    !f.interval || f.interval > 3600) {
				fprintf(
				    stderr,
				    "simguests: interval must be 1..3600\n");
				return 2;
			}
			break;
		case 'r':
			errno = 0;
			report_s = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr,
					"simguests: bad report period\n");
				return 2;
			}
			break;
		case 't':
			f.use_tx = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!map_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("simguests", verbose);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&f, map_path))
		goto out;
	/* Room for every metric of one slot's guests. */
	buf = calloc((f.map.n / SLOTS + 1) * TRACE_MAX_METRICS, sizeof(*buf));
	if (!buf)
		goto out;
	start = next = pt_monotonic_ms();
	pfd.fd = xs_fileno(f.xs);
	pfd.events = POLLIN;
	while (!stop_requested && !f.lost) {
		now = pt_monotonic_ms();
		if (duration_s && now - start >= duration_s * 1000)
			break;
		if (f.rescan_pending &&
		    (!f.scanned_once || now >= f.last_rescan_ms + RESCAN_MS)) {
			rescan(&f, now);
			continue;
		}
		if (now >= next) {
			publish_slot(&f, slot, second, buf);
			if (++slot == SLOTS) {
				slot = 0;
				second++;
				if (report_s && second % report_s == 0)
					summary(&f, (double)(now - start) / 1e3,
						false);
			}
			next += SLOT_MS;
			/* Fell far behind (stopped, overloaded): skip ahead. */
			if (now > next + 1000)
				next = now;
			continue;
		}
		timeout = (int)(next - now);
		if (f.rescan_pending && f.last_rescan_ms + RESCAN_MS < next)
			timeout = (int)(f.last_rescan_ms + RESCAN_MS - now);
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pfd.revents & (POLLERR | POLLHUP))
			f.lost = true;
		drain_watches(&f);
	}
	if (f.lost)
		log_err("xenstore connection lost");
	summary(&f, (double)(pt_monotonic_ms() - start) / 1000.0, true);
	rc = f.lost ? 1 : 0;
	free(buf);
out:
	if (f.xs)
		xs_close(f.xs);
	free(f.g);
	simmap_free(&f.map);
	return rc;
}

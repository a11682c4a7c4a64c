/* SPDX-License-Identifier: MIT */
/*
 * xs-labctl: the lab's toolstack and hypervisor controls. It edits the
 * domain table the shim reports to xenstored, creates ring pages, fires
 * VIRQ_DOM_EXC, and talks to xenstored (over $XENSTORED_PATH, as dom0) the
 * way libxl does when it creates and destroys a domain.
 *
 *   xs-labctl init                      new lab in $XSLAB_DIR (dom0 only)
 *   xs-labctl add DOMID NAME            create + introduce one domain
 *   xs-labctl add-range FIRST COUNT PFX create + introduce many (PFX<id>)
 *   xs-labctl kill DOMID [SECS]         mark dying, VIRQ, wait for release
 *   xs-labctl del DOMID [SECS]          kill, remove its paths, free domid
 *   xs-labctl shutdown DOMID            mark shut down, VIRQ
 *   xs-labctl virq                      fire VIRQ_DOM_EXC
 *   xs-labctl state DOMID               print the domain's domtab state
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "lab.h"
#include "log.h"

static const char *lab;
static unsigned char *domtab;
static struct xs_handle *xsh;

static void die(const char *what)
{
	log_err("%s: %s", what, strerror(errno));
	exit(1);
}

static void lab_file(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", lab, name) >= len) {
		errno = ENAMETOOLONG;
		die(name);
	}
}

/* Creates (or keeps) a zero-filled file of len bytes. */
static void make_file(const char *name, size_t len)
{
	char path[PATH_MAX];
	int fd;

	lab_file(path, sizeof(path), name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, len) || close(fd))
		die(path);
}

static void map_domtab(void)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	lab_file(path, sizeof(path), "domtab");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(path);
	p = mmap(NULL, LAB_NR_DOMIDS, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	if (p == MAP_FAILED)
		die("mmap domtab");
	close(fd);
	domtab = p;
}

static void set_state(unsigned int domid, unsigned char st)
{
	__atomic_store_n(&domtab[domid], st, __ATOMIC_RELEASE);
}

static void fire_virq(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct lab_evt ev = {
	    .magic = LAB_EVT_MAGIC,
	    .src_dom = LAB_DOMID_XEN,
	    .virq = LAB_VIRQ_DOM_EXC,
	};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	lab_file(sa.sun_path, sizeof(sa.sun_path), "ev/xenstored");
	if (fd < 0)
		die("socket");
	/* Blocking: a VIRQ must not be lost, unlike a ring wake-up. */
	if (sendto(fd, &ev, sizeof(ev), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != sizeof(ev))
		die("send VIRQ_DOM_EXC to xenstored");
	close(fd);
}

static void xs_connect(void)
{
	if (xsh)
		return;
	xsh = xs_open(0);
	if (!xsh)
		die("xs_open (is XENSTORED_PATH set?)");
}

static void mknod_perms(xs_transaction_t t, const char *path,
			struct xs_permissions *perms, unsigned int n)
{
	if (!xs_write(xsh, t, path, "", 0) ||
	    !xs_set_permissions(xsh, t, path, perms, n))
		die(path);
}

static void xs_printf(xs_transaction_t t, const char *path, const char *val)
{
	if (!xs_write(xsh, t, path, val, strlen(val)))
		die(path);
}

/* The nodes and permissions libxl's domain creation sets up. */
static bool make_domain_nodes(unsigned int domid, const char *name)
{
	static const char *const ro[] = {"cpu", "memory", "device", "control"};
	static const char *const rw[] = {
	    "device/suspend/event-channel",
	    "control/shutdown",
	    "control/feature-poweroff",
	    "control/feature-reboot",
	    "control/feature-suspend",
	    "control/sysrq",
	    "data",
	    "drivers",
	    "feature",
	    "attr",
	    "error",
	};
	struct xs_permissions roperm[2] = {
	    {.id = 0, .perms = XS_PERM_NONE},
	    {.id = domid, .perms = XS_PERM_READ},
	};
	struct xs_permissions rwperm[1] = {
	    {.id = domid, .perms = XS_PERM_NONE},
	};
	struct xs_permissions noperm[1] = {
	    {.id = 0, .perms = XS_PERM_NONE},
	};
	char dom[64], p[128], val[16];
	xs_transaction_t t;
	size_t i;

	snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
	t = xs_transaction_start(xsh);
	if (t == XBT_NULL)
		die("transaction start");
	xs_rm(xsh, t, dom);
	mknod_perms(t, dom, roperm, 2);
	snprintf(p, sizeof(p), "/libxl/%u", domid);
	xs_rm(xsh, t, p);
	mknod_perms(t, p, noperm, 1);
	snprintf(p, sizeof(p), "%s/name", dom);
	xs_printf(t, p, name);
	snprintf(p, sizeof(p), "%s/domid", dom);
	snprintf(val, sizeof(val), "%u", domid);
	xs_printf(t, p, val);
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dom, ro[i]);
		mknod_perms(t, p, roperm, 2);
	}
	for (i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dom, rw[i]);
		mknod_perms(t, p, rwperm, 1);
	}
	snprintf(p, sizeof(p), "%s/control/platform-feature-xs_reset_watches",
		 dom);
	xs_printf(t, p, "1");
	if (xs_transaction_end(xsh, t, false))
		return true;
	if (errno != EAGAIN)
		die("transaction end");
	return false;
}

/* The domain exists and its nodes are there, as after libxl's build. */
static void create_domain(unsigned int domid, const char *name)
{
	char ring[32], path[PATH_MAX];
	int tries = 100;

	if (domid == 0 || domid >= LAB_NR_DOMIDS) {
		log_err("bad domid %u", domid);
		exit(2);
	}
	if (domtab[domid] != LAB_DOM_NONE) {
		log_err("domid %u exists", domid);
		exit(1);
	}
	/* The "hypervisor" creates the domain and its ring page first. */
	snprintf(ring, sizeof(ring), "ring/%u", domid);
	lab_file(path, sizeof(path), ring);
	unlink(path); /* a fresh, zeroed page */
	make_file(ring, LAB_PAGE_SIZE);
	set_state(domid, LAB_DOM_RUNNING);

	xs_connect();
	while (!make_domain_nodes(domid, name)) {
		if (--tries == 0) {
			log_err("domain %u: transaction keeps conflicting",
				domid);
			exit(1);
		}
	}
}

static void introduce_domain(unsigned int domid)
{
	/* The gfn is ignored by xenstored; the port is the guest's. */
	if (!xs_introduce_domain(xsh, domid, 1, LAB_GUEST_PORT))
		die("XS_INTRODUCE");
}

static bool wait_released(unsigned int domid, unsigned int secs)
{
	struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
	unsigned int tries = secs * 100;

	xs_connect();
	while (xs_is_domain_introduced(xsh, domid)) {
		if (tries-- == 0)
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

static void kill_domain(unsigned int domid, unsigned int secs)
{
	if (domid == 0 || domid >= LAB_NR_DOMIDS ||
	    domtab[domid] == LAB_DOM_NONE) {
		log_err("no domain %u", domid);
		exit(1);
	}
	set_state(domid, LAB_DOM_DYING);
	fire_virq();
	if (!wait_released(domid, secs)) {
		log_err("xenstored did not release domain %u in %us", domid,
			secs);
		exit(1);
	}
}

static void del_domain(unsigned int domid, unsigned int secs)
{
	char p[64];

	kill_domain(domid, secs);
	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	xs_rm(xsh, XBT_NULL, p);
	snprintf(p, sizeof(p), "/libxl/%u", domid);
	xs_rm(xsh, XBT_NULL, p);
	/* The domain is destroyed: the domid is free, xenstored hears so. */
	set_state(domid, LAB_DOM_NONE);
	fire_virq();
	snprintf(p, sizeof(p), "%s/ring/%u", lab, domid);
	unlink(p);
}

static void init_lab(void)
{
	char path[PATH_MAX];
	FILE *f;

	lab_file(path, sizeof(path), "ring");
	if (mkdir(path, 0700) && errno != EEXIST)
		die(path);
	lab_file(path, sizeof(path), "ev");
	if (mkdir(path, 0700) && errno != EEXIST)
		die(path);
	make_file("domtab", LAB_NR_DOMIDS);
	make_file("ring/0", LAB_PAGE_SIZE);
	lab_file(path, sizeof(path), "xsd_port");
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", LAB_GUEST_PORT) < 0 || fclose(f))
		die(path);
	map_domtab();
	set_state(0, LAB_DOM_RUNNING);
}

static unsigned int parse_uint(const char *s, unsigned int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > max) {
		log_err("bad number: %s", s);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xs-labctl init | add DOMID NAME | "
		"add-range FIRST COUNT PREFIX |\n"
		"       kill DOMID [SECS] | del DOMID [SECS] | "
		"shutdown DOMID | virq | state DOMID\n"
		"(lab directory in $%s, xenstored socket in "
		"$XENSTORED_PATH)\n",
		LAB_ENV);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	unsigned int secs = 30;

	log_init("xs-labctl", false);
	lab = getenv(LAB_ENV);
	if (!lab || !*lab || argc < 2)
		usage();
	if (!strcmp(cmd, "init")) {
		init_lab();
		return 0;
	}
	map_domtab();
	if (!strcmp(cmd, "add") && argc == 4) {
		unsigned int domid = parse_uint(argv[2], LAB_NR_DOMIDS - 1);

		create_domain(domid, argv[3]);
		introduce_domain(domid);
	} else if (!strcmp(cmd, "add-range") && argc == 5) {
		unsigned int first = parse_uint(argv[2], LAB_NR_DOMIDS - 1);
		unsigned int count = parse_uint(argv[3], LAB_NR_DOMIDS);
		char name[128];

		if (first + count > LAB_NR_DOMIDS)
			usage();
		/*
		 * Nodes first, then the introductions: xenstored's main loop
		 * walks every connection per request, so requests are cheaper
		 * while fewer domains are connected.
		 */
		for (unsigned int d = first; d < first + count; d++) {
			snprintf(name, sizeof(name), "%s%u", argv[4], d);
			create_domain(d, name);
		}
		for (unsigned int d = first; d < first + count; d++)
			introduce_domain(d);
	} else if ((!strcmp(cmd, "kill") || !strcmp(cmd, "del")) &&
		   (argc == 3 || argc == 4)) {
		unsigned int domid = parse_uint(argv[2], LAB_NR_DOMIDS - 1);

		if (argc == 4)
			secs = parse_uint(argv[3], 3600);
		if (cmd[0] == 'k')
			kill_domain(domid, secs);
		else
			del_domain(domid, secs);
	} else if (!strcmp(cmd, "shutdown") && argc == 3) {
		unsigned int domid = parse_uint(argv[2], LAB_NR_DOMIDS - 1);

		if (domid == 0 || domtab[domid] == LAB_DOM_NONE) {
			log_err("no domain %u", domid);
			return 1;
		}
		set_state(domid, LAB_DOM_SHUTDOWN);
		fire_virq();
	} else if (!strcmp(cmd, "virq") && argc == 2) {
		fire_virq();
	} else if (!strcmp(cmd, "state") && argc == 3) {
		unsigned char st =
		    domtab[parse_uint(argv[2], LAB_NR_DOMIDS - 1)];

		switch (st) {
		case LAB_DOM_RUNNING:
			puts("running");
			break;
		case LAB_DOM_SHUTDOWN:
			puts("shutdown");
			break;
		case LAB_DOM_CRASHED:
			puts("crashed");
			break;
		case LAB_DOM_DYING:
			puts("dying");
			break;
		default:
			puts("none");
			break;
		}
	} else {
		usage();
	}
	if (xsh)
		xs_close(xsh);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * xslab hypervisor shim: preloaded into Debian's unmodified xenstored so that
 * it runs on a machine without Xen. It replaces the few libxenctrl,
 * libxenevtchn and libxengnttab calls xenstored makes and redirects the two
 * /proc/xen files dom0_init() reads. Everything else in xenstored is real.
 *
 *   domain list  -> <lab>/domtab (one state byte per domid, written by the
 *                   toolstack helper)
 *   grant map    -> mmap of <lab>/ring/<domid>
 *   event channel-> datagrams on <lab>/ev/xenstored and <lab>/ev/<domid>
 *
 * Only what xenstored uses is implemented; see tests/xslab/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "lab.h"

#define MAX_PORTS 32768

struct port {
	bool used;
	bool is_virq;
	uint32_t virq;
	uint32_t rdom;
	uint32_t rport;
};

struct xenevtchn_handle {
	int fd;
	struct port *ports;
	/* Local port bound to each remote domain, so events route fast. */
	uint16_t *by_dom;
};

struct xc_interface_core {
	int unused;
};

struct xengntdev_handle {
	int unused;
};

static const char *lab_dir(void)
{
	const char *d = getenv(LAB_ENV);

	if (!d || !*d) {
		fprintf(stderr, "xslab shim: %s is not set\n", LAB_ENV);
		return NULL;
	}
	return d;
}

static int lab_path(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int lab_path(char *buf, size_t len, const char *fmt, ...)
{
	const char *dir = lab_dir();
	va_list ap;
	int n, m;

	if (!dir) {
		errno = ENOENT;
		return -1;
	}
	n = snprintf(buf, len, "%s/", dir);
	if (n < 0 || (size_t)n >= len)
		goto toolong;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - n)
		goto toolong;
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

/* ---- domain list ------------------------------------------------------ */

static const unsigned char *domtab;

static const unsigned char *domtab_get(void)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	if (domtab)
		return domtab;
	if (lab_path(path, sizeof(path), "domtab"))
		return NULL;
	fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, LAB_NR_DOMIDS, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	domtab = p;
	return domtab;
}

xc_interface *xc_interface_open(xentoollog_logger *logger,
				xentoollog_logger *dombuild_logger,
				unsigned open_flags)
{
	(void)logger;
	(void)dombuild_logger;
	(void)open_flags;
	if (!domtab_get()) {
		fprintf(stderr, "xslab shim: cannot map domtab: %s\n",
			strerror(errno));
		return NULL;
	}
	return calloc(1, sizeof(struct xc_interface_core));
}

int xc_interface_close(xc_interface *xch)
{
	free(xch);
	return 0;
}

#ifdef XSLAB_GETINFO_SINGLE
/*
 * Xen 4.18 on (trixie's 4.20): xenstored asks for one domain and reads
 * only its shutdown and dying flags.  -1 with ESRCH: no such domain.
 */
int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid,
			     xc_domaininfo_t *info)
{
	const unsigned char *tab = domtab_get();
	unsigned char st;

	(void)xch;
	if (!tab)
		return -1;
	st = domid < LAB_NR_DOMIDS
		 ? __atomic_load_n(&tab[domid], __ATOMIC_ACQUIRE)
		 : LAB_DOM_NONE;
	if (st == LAB_DOM_NONE) {
		errno = ESRCH;
		return -1;
	}
	memset(info, 0, sizeof(*info));
	info->domain = domid;
	if (st == LAB_DOM_DYING)
		info->flags |= XEN_DOMINF_dying;
	if (st == LAB_DOM_SHUTDOWN)
		info->flags |= XEN_DOMINF_shutdown;
	if (st == LAB_DOM_CRASHED)
		info->flags |= XEN_DOMINF_shutdown |
			       (SHUTDOWN_crash << XEN_DOMINF_shutdownshift);
	if (st == LAB_DOM_RUNNING)
		info->flags |= XEN_DOMINF_running;
	if (domid == 0)
		info->flags |= XEN_DOMINF_xs_domain;
	return 0;
}
#else
/* Like the hypervisor: the first existing domains from first_domid on. */
int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
		      unsigned int max_doms, xc_dominfo_t *info)
{
	const unsigned char *tab = domtab_get();
	unsigned int n = 0;
	uint32_t d;

	(void)xch;
	if (!tab)
		return -1;
	for (d = first_domid; d < LAB_NR_DOMIDS && n < max_doms; d++) {
		unsigned char st = __atomic_load_n(&tab[d], __ATOMIC_ACQUIRE);

		if (st == LAB_DOM_NONE)
			continue;
		memset(&info[n], 0, sizeof(info[n]));
		info[n].domid = d;
		info[n].dying = st == LAB_DOM_DYING;
		info[n].crashed = st == LAB_DOM_CRASHED;
		info[n].shutdown = st == LAB_DOM_SHUTDOWN;
		info[n].running = st == LAB_DOM_RUNNING;
		info[n].xenstore = d == 0;
		n++;
	}
	return n;
}
#endif

/* ---- grant tables: the ring page of a domain ------------------------- */

xengnttab_handle *xengnttab_open(xentoollog_logger *logger,
				 unsigned int open_flags)
{
	(void)logger;
	(void)open_flags;
	return calloc(1, sizeof(struct xengntdev_handle));
}

int xengnttab_close(xengnttab_handle *xgt)
{
	free(xgt);
	return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	(void)xgt;
	(void)nr_grants;
	return 0;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
			      uint32_t ref, int prot)
{
	char path[PATH_MAX];
	void *p;
	int fd, err;

	(void)xgt;
	/* xenstored only maps GNTTAB_RESERVED_XENSTORE. */
	if (ref != 1) {
		errno = EINVAL;
		return NULL;
	}
	if (lab_path(path, sizeof(path), "ring/%u", domid))
		return NULL;
	fd = openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, LAB_PAGE_SIZE, prot, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = err;
		return NULL;
	}
	return p;
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
	(void)xgt;
	return munmap(start_address, (size_t)count * LAB_PAGE_SIZE);
}

/* ---- event channels ---------------------------------------------------- */

static xenevtchn_handle *evtchn_new(int fd)
{
	xenevtchn_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->fd = fd;
	h->ports = calloc(MAX_PORTS, sizeof(*h->ports));
	h->by_dom = calloc(LAB_NR_DOMIDS, sizeof(*h->by_dom));
	if (!h->ports || !h->by_dom) {
		free(h->ports);
		free(h->by_dom);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

xenevtchn_handle *xenevtchn_open(xentoollog_logger *logger,
				 unsigned int open_flags)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	xenevtchn_handle *h;
	int type = SOCK_DGRAM | SOCK_NONBLOCK;
	int fd, err;

	(void)logger;
	if (!(open_flags & XENEVTCHN_NO_CLOEXEC))
		type |= SOCK_CLOEXEC;
	if (lab_path(sa.sun_path, sizeof(sa.sun_path), "ev/xenstored"))
		return NULL;
	fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return NULL;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	h = evtchn_new(fd);
	if (!h)
		goto fail;
	return h;
fail:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

/* Live update hands the already bound socket over. */
xenevtchn_handle *xenevtchn_fdopen(xentoollog_logger *logger, int fd,
				   unsigned open_flags)
{
	(void)logger;
	(void)open_flags;
	return evtchn_new(fd);
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fd;
}

static int port_alloc(xenevtchn_handle *xce)
{
	int p;

	for (p = 1; p < MAX_PORTS; p++) {
		if (!xce->ports[p].used) {
			memset(&xce->ports[p], 0, sizeof(xce->ports[p]));
			xce->ports[p].used = true;
			return p;
		}
	}
	errno = ENOSPC;
	return -1;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
						     uint32_t domid,
						     evtchn_port_t remote_port)
{
	const unsigned char *tab = domtab_get();
	int p;

	if (!tab || domid >= LAB_NR_DOMIDS || tab[domid] == LAB_DOM_NONE) {
		errno = ESRCH;
		return -1;
	}
	p = port_alloc(xce);
	if (p < 0)
		return -1;
	xce->ports[p].rdom = domid;
	xce->ports[p].rport = remote_port;
	xce->by_dom[domid] = p;
	return p;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
					      unsigned int virq)
{
	int p = port_alloc(xce);

	if (p < 0)
		return -1;
	xce->ports[p].is_virq = true;
	xce->ports[p].virq = virq;
	return p;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct port *pt;

	if (port == 0 || port >= MAX_PORTS || !xce->ports[port].used) {
		errno = EINVAL;
		return -1;
	}
	pt = &xce->ports[port];
	if (!pt->is_virq && xce->by_dom[pt->rdom] == port)
		xce->by_dom[pt->rdom] = 0;
	pt->used = false;
	return 0;
}

/* Like an event channel, a lost wake-up for an absent guest is harmless. */
int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct lab_evt ev = {.magic = LAB_EVT_MAGIC};
	struct port *pt;

	if (port == 0 || port >= MAX_PORTS || !xce->ports[port].used ||
	    xce->ports[port].is_virq) {
		errno = EINVAL;
		return -1;
	}
	pt = &xce->ports[port];
	if (lab_path(sa.sun_path, sizeof(sa.sun_path), "ev/%u", pt->rdom))
		return -1;
	ev.src_dom = 0;
	ev.src_port = port;
	ev.dst_port = pt->rport;
	(void)sendto(xce->fd, &ev, sizeof(ev), MSG_DONTWAIT,
		     (struct sockaddr *)&sa, sizeof(sa));
	return 0;
}

static int virq_port(xenevtchn_handle *xce, uint32_t virq)
{
	int p;

	for (p = 1; p < MAX_PORTS; p++)
		if (xce->ports[p].used && xce->ports[p].is_virq &&
		    xce->ports[p].virq == virq)
			return p;
	return 0;
}

/*
 * Called after poll() saw the fd readable. A stray or unroutable event
 * yields port 0, which xenstored treats as nothing to do.
 */
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	struct lab_evt ev;
	uint16_t p;
	ssize_t n;

	n = recv(xce->fd, &ev, sizeof(ev), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(ev) || ev.magic != LAB_EVT_MAGIC)
		return 0;
	if (ev.src_dom == LAB_DOMID_XEN)
		return virq_port(xce, ev.virq);
	if (ev.src_dom >= LAB_NR_DOMIDS)
		return 0;
	p = xce->by_dom[ev.src_dom];
	if (p && xce->ports[p].used && xce->ports[p].rport == ev.src_port)
		return p;
	return 0;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

/* ---- /proc/xen files read by dom0_init() ------------------------------ */

static const char *redirect(const char *path, char *buf, size_t len)
{
	if (!strcmp(path, "/proc/xen/xsd_port")) {
		if (lab_path(buf, len, "xsd_port") == 0)
			return buf;
	} else if (!strcmp(path, "/proc/xen/xsd_kva")) {
		if (lab_path(buf, len, "ring/0") == 0)
			return buf;
	}
	return path;
}

static int open_redirected(const char *path, int flags, va_list ap)
{
	char buf[PATH_MAX];
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	return openat(AT_FDCWD, redirect(path, buf, sizeof(buf)), flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_redirected(path, flags, ap);
	va_end(ap);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_redirected(path, flags, ap);
	va_end(ap);
	return fd;
}

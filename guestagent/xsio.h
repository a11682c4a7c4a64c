/* SPDX-License-Identifier: MIT */
/*
 * The agent's xenstore connection: libxenstore's xs_open(0), which in a
 * guest is the xenbus device (XENSTORED_PATH overrides it, as for the
 * xenstore utilities).  Paths are relative, so xenstored resolves them
 * under /local/domain/<our domid>/.
 */
#ifndef PTSWITCH_XSIO_H
#define PTSWITCH_XSIO_H

#include <stdbool.h>
#include <stddef.h>

struct xs_handle;

struct xsio {
	struct xs_handle *xs;
	int fd;		/* readable when a watch event is queued */
	unsigned int t; /* open transaction, 0 (XBT_NULL) when none */
};

/* Watched key (daemon-written, read-only for us) and our watch token. */
#define XSIO_REQUEST_PATH "ptswitch/request"
#define XSIO_WATCH_TOKEN "ptswitch-agent"
/*
 * One of our own keys, watched to notice the removal of our subtree
 * (by the guest's admin, or anything in the guest): then we publish
 * everything again instead of trusting our write cache.
 */
#define XSIO_OWN_PATH "data/ptswitch/caps"
#define XSIO_OWN_TOKEN "ptswitch-agent-own"

/* xsio_drain_events() bits. */
#define XSIO_EV_REQUEST 1
#define XSIO_EV_OWN 2

void xsio_init(struct xsio *x);
/* Connect, watch the request key and our own.  0 or a negative errno. */
int xsio_connect(struct xsio *x);
void xsio_close(struct xsio *x);
static inline bool xsio_connected(const struct xsio *x)
{
	return x->xs != NULL;
}

/*
 * Drain queued watch events.  Returns XSIO_EV_* bits for the keys they
 * were for (0 for none), -EPIPE when the connection is gone.
 */
int xsio_drain_events(struct xsio *x);

/*
 * Read path into buf (size bytes, NUL-terminated on success; a longer
 * value is refused with -EFBIG).  -ENOENT when absent.
 */
int xsio_read(struct xsio *x, const char *path, char *buf, size_t size,
	      size_t *len);
int xsio_write(struct xsio *x, const char *path, const char *value);

/* A transaction around a group of writes: begin, then end (commit).
 * xsio_end returns -EAGAIN when the caller should redo the group. */
int xsio_begin(struct xsio *x);
int xsio_end(struct xsio *x, bool abort);

#endif /* PTSWITCH_XSIO_H */

/* SPDX-License-Identifier: MIT */
/*
 * A single-threaded xenstore client speaking the wire protocol
 * (xen/io/xs_wire.h) on xenstored's socket or the xenbus device, the
 * same ones libxenstore opens.
 *
 * Why not libxenstore: once a watch is set, its reader thread wakes for
 * every message, and every call hands the reply from that thread to the
 * caller.  With a thousand guests writing metrics, those wake-ups were
 * most of the daemon's CPU.  Here the caller reads the connection itself,
 * and events that arrived meanwhile are taken in one read.
 */
#ifndef PTSWITCHD_XSWIRE_H
#define PTSWITCHD_XSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>
#include <xen/io/xs_wire.h>

struct xswire;

/* Connect like xs_open(0).  NULL with errno set on failure. */
struct xswire *xswire_open(void);
void xswire_close(struct xswire *w);
/* Readable when events may be waiting (see xswire_pending()). */
int xswire_fd(const struct xswire *w);

/*
 * Send one request and wait for its reply, queueing the watch events
 * that come first.  Returns 0 with *reply pointing at the NUL-terminated
 * payload (valid until the next call) and *len its length, or a negative
 * errno: the one xenstored answered, or that of a broken connection.
 */
int xswire_call(struct xswire *w, enum xsd_sockmsg_type type,
		const struct iovec *iov, unsigned int n_iov, const char **reply,
		unsigned int *len);

/*
 * Requests that need no answer now go out without waiting (at most
 * XSWIRE_MAX_POSTED at a time); the next call, xswire_flush() or
 * xswire_next_event() collects their answers.  xenstored handles a
 * connection's requests in order, so a later call sees their effect.
 */
#define XSWIRE_MAX_POSTED 64

/* A posted request failed: tag as posted, err a positive errno. */
typedef void xswire_fail_fn(void *ctx, void *tag, int err);
void xswire_on_failure(struct xswire *w, xswire_fail_fn *fn, void *ctx);
int xswire_post(struct xswire *w, enum xsd_sockmsg_type type,
		const struct iovec *iov, unsigned int n_iov, void *tag);
/*
 * Post a read: once answered, *res holds the value's length (buf
 * NUL-terminated) or a negative errno (-E2BIG when longer than max).
 */
int xswire_post_read(struct xswire *w, const char *path, char *buf, size_t max,
		     int *res);
/* Wait for the answers to everything posted.  0 or -errno (broken). */
int xswire_flush(struct xswire *w);

/*
 * Next watch event: a malloc'd vector, vec[0] the path and vec[1] the
 * token (free it).  NULL with errno EAGAIN when none is pending, another
 * errno when the connection is gone.
 */
char **xswire_next_event(struct xswire *w);
/* Events already read from the connection and not yet taken. */
bool xswire_pending(const struct xswire *w);

#endif /* PTSWITCHD_XSWIRE_H */

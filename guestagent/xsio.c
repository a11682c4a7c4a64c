/* SPDX-License-Identifier: MIT */
/* libxenstore wrapper: connect, watch, bounded reads, transactional writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "log.h"
#include "xsio.h"

void xsio_init(struct xsio *x)
{
	x->xs = NULL;
	x->fd = -1;
	x->t = XBT_NULL;
}

int xsio_connect(struct xsio *x)
{
	int err;

	x->xs = xs_open(0);
	if (!x->xs)
		return -(errno ? errno : ENOENT);
	x->fd = xs_fileno(x->xs);
	if (x->fd < 0) {
		err = errno ? errno : EIO;
		goto fail;
	}
	/* One watch on the request key; it fires once on registration. */
	if (!xs_watch(x->xs, XSIO_REQUEST_PATH, XSIO_WATCH_TOKEN) ||
	    !xs_watch(x->xs, XSIO_OWN_PATH, XSIO_OWN_TOKEN)) {
		err = errno ? errno : EIO;
		goto fail;
	}
	return 0;
fail:
	xsio_close(x);
	return -err;
}

void xsio_close(struct xsio *x)
{
	if (x->xs)
		xs_close(x->xs);
	xsio_init(x);
}

int xsio_drain_events(struct xsio *x)
{
	int bits = 0;
	char **ev;

	if (!x->xs)
		return -EPIPE;
	while ((ev = xs_check_watch(x->xs))) {
		if (!strcmp(ev[XS_WATCH_TOKEN], XSIO_WATCH_TOKEN))
			bits |= XSIO_EV_REQUEST;
		else if (!strcmp(ev[XS_WATCH_TOKEN], XSIO_OWN_TOKEN))
			bits |= XSIO_EV_OWN;
		free(ev);
	}
	/*
	 * libxenstore's reader thread closes the socket when xenstored goes
	 * away; xs_check_watch then reports EINVAL instead of EAGAIN.
	 */
	if (errno != EAGAIN)
		return -EPIPE;
	return bits;
}

int xsio_read(struct xsio *x, const char *path, char *buf, size_t size,
	      size_t *len)
{
	unsigned int n;
	char *v;

	if (!x->xs)
		return -EPIPE;
	v = xs_read(x->xs, x->t, path, &n);
	if (!v)
		return -(errno ? errno : EIO);
	if (n >= size) {
		free(v);
		return -EFBIG;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	*len = n;
	free(v);
	return 0;
}

int xsio_write(struct xsio *x, const char *path, const char *value)
{
	if (!x->xs)
		return -EPIPE;
	if (!xs_write(x->xs, x->t, path, value, strlen(value)))
		return -(errno ? errno : EIO);
	return 0;
}

int xsio_begin(struct xsio *x)
{
	if (!x->xs)
		return -EPIPE;
	x->t = xs_transaction_start(x->xs);
	if (x->t == XBT_NULL)
		return -(errno ? errno : EIO);
	return 0;
}

int xsio_end(struct xsio *x, bool abort)
{
	xs_transaction_t t = x->t;

	x->t = XBT_NULL;
	if (!x->xs)
		return -EPIPE;
	if (!xs_transaction_end(x->xs, t, abort))
		return -(errno ? errno : EIO);
	return 0;
}

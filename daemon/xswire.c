/* SPDX-License-Identifier: MIT */
/* The xenstore wire protocol, single-threaded (see xswire.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenstore_lib.h>

#include "xswire.h"

/* Unparsed input; a read takes every event that has piled up. */
#define IN_SIZE (64 * 1024)

struct xswire {
	int fd;
	bool sock;	 /* a socket (else the xenbus device) */
	int err;	 /* sticky: the connection is broken */
	size_t off, len; /* in[off..len) not parsed yet */
	char in[IN_SIZE];
	/* Requests sent and not answered yet, oldest first. */
	struct pending {
		enum xsd_sockmsg_type type;
		void *tag; /* posted: for the failure callback */
		char *buf; /* a posted read: where the value goes */
		size_t max;
		int *res;
	} sent[XSWIRE_MAX_POSTED + 1];
	unsigned int sent_head, sent_n;
	bool call_waiting; /* the newest of them is xswire_call()'s */
	bool have_reply;
	uint32_t reply_type;
	unsigned int reply_len;
	char reply[XENSTORE_PAYLOAD_MAX + 1];
	xswire_fail_fn *fail;
	void *fail_ctx;
	char ***evq; /* ring of events not taken yet */
	size_t ev_head, ev_n, ev_cap;
};

#define SENT_RING (XSWIRE_MAX_POSTED + 1)

_Static_assert(IN_SIZE >= sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX,
	       "the input buffer must hold a whole message");

/* Like libxenstore: a socket is connected to, anything else opened. */
static int open_path(const char *path, bool *sock)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, err;

	if (!path || stat(path, &st))
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		*sock = false;
		return open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	}
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	*sock = true;
	return fd;
}

/* The kernel's xenbus device, where xenstored is not in this domain. */
static const char *xenbus_dev(void)
{
	const char *s = getenv("XENSTORED_PATH");

	if (s)
		return s;
	if (!access("/dev/xen/xenbus", F_OK))
		return "/dev/xen/xenbus";
	return "/proc/xen/xenbus";
}

struct xswire *xswire_open(void)
{
	struct xswire *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->fd = open_path(xs_daemon_socket(), &w->sock);
	if (w->fd < 0)
		w->fd = open_path(xenbus_dev(), &w->sock);
	if (w->fd < 0 || fcntl(w->fd, F_SETFL, O_NONBLOCK)) {
		err = errno ? errno : ENOENT;
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

void xswire_close(struct xswire *w)
{
	if (!w)
		return;
	while (w->ev_n) {
		free(w->evq[w->ev_head]);
		w->ev_head = (w->ev_head + 1) % w->ev_cap;
		w->ev_n--;
	}
	free(w->evq);
	close(w->fd);
	free(w);
}

int xswire_fd(const struct xswire *w)
{
	return w->fd;
}

bool xswire_pending(const struct xswire *w)
{
	return w->ev_n > 0;
}

static int broken(struct xswire *w, int err)
{
	if (!w->err)
		w->err = err;
	return -w->err;
}

static int queue_event(struct xswire *w, const char *p, unsigned int len)
{
	const char *path = p, *token;
	size_t plen = strnlen(p, len), tlen;
	char **vec;

	/* "path\0token\0"; anything else is not an event we asked for. */
	if (plen >= len)
		return 0;
	token = p + plen + 1;
	tlen = strnlen(token, len - plen - 1);
	if (plen + 1 + tlen >= len)
		return 0;
	if (w->ev_n == w->ev_cap) {
		size_t cap = w->ev_cap ? 2 * w->ev_cap : 64, i;
		char ***q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (i = 0; i < w->ev_n; i++)
			q[i] = w->evq[(w->ev_head + i) % w->ev_cap];
		free(w->evq);
		w->evq = q;
		w->ev_cap = cap;
		w->ev_head = 0;
	}
	/* One block, as libxenstore's xs_check_watch() returns it. */
	vec = malloc(2 * sizeof(*vec) + plen + tlen + 2);
	if (!vec)
		return -ENOMEM;
	vec[0] = (char *)(vec + 2);
	memcpy(vec[0], path, plen + 1);
	vec[1] = vec[0] + plen + 1;
	memcpy(vec[1], token, tlen + 1);
	w->evq[(w->ev_head + w->ev_n) % w->ev_cap] = vec;
	w->ev_n++;
	return 0;
}

static int error_of(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (!strcmp(s, xsd_errors[i].errstring))
			return xsd_errors[i].errnum;
	return EINVAL;
}

/* xenstored answers a connection's requests in order. */
static int answer(struct xswire *w, const struct xsd_sockmsg *hdr,
		  const char *body)
{
	struct pending *p;
	char err_name[32];

	if (!w->sent_n)
		return broken(w, EPROTO);
	p = &w->sent[w->sent_head];
	w->sent_head = (w->sent_head + 1) % SENT_RING;
	w->sent_n--;
	if (hdr->type != XS_ERROR && hdr->type != (uint32_t)p->type)
		return broken(w, EBADMSG);
	if (!w->sent_n && w->call_waiting) {
		w->call_waiting = false;
		w->have_reply = true;
		w->reply_type = hdr->type;
		w->reply_len = hdr->len;
		memcpy(w->reply, body, hdr->len);
		w->reply[hdr->len] = '\0';
		return 0;
	}
	if (hdr->type == XS_ERROR) {
		snprintf(err_name, sizeof(err_name), "%.*s",
			 (int)strnlen(body, hdr->len), body);
		if (p->res)
			*p->res = -error_of(err_name);
		else if (w->fail)
			w->fail(w->fail_ctx, p->tag, error_of(err_name));
		return 0;
	}
	if (p->res) {
		if (hdr->len > p->max) {
			*p->res = -E2BIG;
			return 0;
		}
		memcpy(p->buf, body, hdr->len);
		p->buf[hdr->len] = '\0';
		*p->res = (int)hdr->len;
	}
	return 0;
}

/* Take every whole message in the buffer: events queue, replies go
 * where their requests said. */
static int parse(struct xswire *w)
{
	struct xsd_sockmsg hdr;
	int err;

	/*
	 * Once broken, the stream is out of step with the requests: what
	 * follows must not be taken for their answers.
	 */
	if (w->err)
		return -w->err;
	while (w->len - w->off >= sizeof(hdr)) {
		const char *body = w->in + w->off + sizeof(hdr);

		memcpy(&hdr, w->in + w->off, sizeof(hdr));
		if (hdr.len > XENSTORE_PAYLOAD_MAX)
			return broken(w, E2BIG);
		if (w->len - w->off - sizeof(hdr) < hdr.len)
			break;
		if (hdr.type == XS_WATCH_EVENT) {
			err = queue_event(w, body, hdr.len);
			if (err)
				return broken(w, -err);
		} else {
			err = answer(w, &hdr, body);
			if (err)
				return err;
		}
		w->off += sizeof(hdr) + hdr.len;
	}
	if (w->off == w->len) {
		w->off = w->len = 0;
	} else if (w->off > IN_SIZE / 2) {
		memmove(w->in, w->in + w->off, w->len - w->off);
		w->len -= w->off;
		w->off = 0;
	}
	return 0;
}

/* One read of whatever is there: 1 if bytes came, 0 if none, or -errno. */
static int fill(struct xswire *w)
{
	ssize_t n;

	if (w->err)
		return -w->err;
	if (w->off && w->len == IN_SIZE) {
		memmove(w->in, w->in + w->off, w->len - w->off);
		w->len -= w->off;
		w->off = 0;
	}
	/* parse() leaves less than a whole message behind. */
	if (w->len == IN_SIZE)
		return broken(w, EPROTO);
	n = read(w->fd, w->in + w->len, IN_SIZE - w->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		return broken(w, errno);
	if (n == 0)
		return broken(w, ECONNRESET);
	w->len += (size_t)n;
	return 1;
}

static int wait_fd(struct xswire *w, short events)
{
	struct pollfd pfd = {.fd = w->fd, .events = events};

	for (;;) {
		int n = poll(&pfd, 1, -1);

		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return broken(w, errno);
	}
}

static int send_all(struct xswire *w, const struct iovec *iov,
		    unsigned int n_iov)
{
	struct iovec v[8];
	unsigned int i = 0;
	ssize_t n;
	int err;

	if (n_iov > 8)
		return -EINVAL;
	memcpy(v, iov, n_iov * sizeof(*v));
	while (i < n_iov) {
		if (w->sock) {
			struct msghdr mh = {.msg_iov = v + i,
					    .msg_iovlen = n_iov - i};

			/* A closed xenstored must not kill us by SIGPIPE. */
			n = sendmsg(w->fd, &mh, MSG_NOSIGNAL);
		} else {
			n = writev(w->fd, v + i, (int)(n_iov - i));
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			err = wait_fd(w, POLLOUT);
			if (err)
				return err;
			continue;
		}
		if (n <= 0)
			return broken(w, n < 0 ? errno : EPIPE);
		while (i < n_iov && (size_t)n >= v[i].iov_len)
			n -= (ssize_t)v[i++].iov_len;
		if (i < n_iov) {
			v[i].iov_base = (char *)v[i].iov_base + n;
			v[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Send one request and note what to do with its answer. */
static int send_request(struct xswire *w, enum xsd_sockmsg_type type,
			const struct iovec *iov, unsigned int n_iov,
			const struct pending *what)
{
	struct xsd_sockmsg hdr = {.type = type};
	struct iovec v[8];
	unsigned int i;
	int err;

	if (w->err)
		return -w->err;
	if (n_iov > 7)
		return -EINVAL;
	for (i = 0; i < n_iov; i++)
		hdr.len += (uint32_t)iov[i].iov_len;
	if (hdr.len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	if (w->sent_n == XSWIRE_MAX_POSTED) {
		err = xswire_flush(w);
		if (err)
			return err;
	}
	v[0].iov_base = &hdr;
	v[0].iov_len = sizeof(hdr);
	memcpy(v + 1, iov, n_iov * sizeof(*iov));
	err = send_all(w, v, n_iov + 1);
	if (err)
		return err;
	w->sent[(w->sent_head + w->sent_n) % SENT_RING] = *what;
	w->sent[(w->sent_head + w->sent_n) % SENT_RING].type = type;
	w->sent_n++;
	return 0;
}

/* Read and parse until cond(w) holds or the connection breaks. */
static int wait_until(struct xswire *w, bool (*cond)(const struct xswire *))
{
	int err = 0;

	/* An answer takes a trip through xenstored: wait, then read. */
	while (!err) {
		err = parse(w);
		if (err || cond(w))
			break;
		err = wait_fd(w, POLLIN);
		if (!err && fill(w) < 0)
			err = -w->err;
	}
	return err;
}

static bool all_answered(const struct xswire *w)
{
	return !w->sent_n;
}

static bool call_answered(const struct xswire *w)
{
	return w->have_reply;
}

int xswire_post(struct xswire *w, enum xsd_sockmsg_type type,
		const struct iovec *iov, unsigned int n_iov, void *tag)
{
	struct pending what = {.tag = tag};

	return send_request(w, type, iov, n_iov, &what);
}

int xswire_post_read(struct xswire *w, const char *path, char *buf, size_t max,
		     int *res)
{
	struct iovec iov = {.iov_base = (void *)path,
			    .iov_len = strlen(path) + 1};
	struct pending what = {.buf = buf, .max = max, .res = res};

	*res = -EIO; /* until the answer says otherwise */
	return send_request(w, XS_READ, &iov, 1, &what);
}

int xswire_flush(struct xswire *w)
{
	return w->sent_n ? wait_until(w, all_answered) : 0;
}

int xswire_call(struct xswire *w, enum xsd_sockmsg_type type,
		const struct iovec *iov, unsigned int n_iov, const char **reply,
		unsigned int *len)
{
	struct pending what = {0};
	int err;

	err = send_request(w, type, iov, n_iov, &what);
	if (err)
		return err;
	w->call_waiting = true;
	w->have_reply = false;
	err = wait_until(w, call_answered);
	w->call_waiting = false;
	if (err)
		return err;
	w->have_reply = false;
	if (w->reply_type == XS_ERROR)
		return -error_of(w->reply);
	*reply = w->reply;
	if (len)
		*len = w->reply_len;
	return 0;
}

void xswire_on_failure(struct xswire *w, xswire_fail_fn *fn, void *ctx)
{
	w->fail = fn;
	w->fail_ctx = ctx;
}

char **xswire_next_event(struct xswire *w)
{
	char **vec;
	int err = 0;

	/* Answers to posted requests come first in the stream. */
	err = xswire_flush(w);
	if (!err && !w->ev_n) {
		err = parse(w);
		if (!err && !w->ev_n) {
			err = fill(w);
			if (err > 0)
				err = parse(w);
		}
	}
	if (!w->ev_n) {
		errno = err ? -err : EAGAIN;
		return NULL;
	}
	vec = w->evq[w->ev_head];
	w->ev_head = (w->ev_head + 1) % w->ev_cap;
	w->ev_n--;
	return vec;
}

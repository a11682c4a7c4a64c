/* The xenstore wire protocol, single-threaded (see xswire.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
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
	bool have_reply;
	uint32_t reply_type;
	unsigned int reply_len;
	char reply[XENSTORE_PAYLOAD_MAX + 1];
	char ***evq; /* ring of events not taken yet */
	size_t ev_head, ev_n, ev_cap;
};

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
		return open(path, O_RDWR | O_CLOEXEC);
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

/* Take every whole message in the buffer: events queue, a reply is kept. */
static int parse(struct xswire *w)
{
	struct xsd_sockmsg hdr;
	int err;

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
			/* One request at a time: this answers it. */
			if (w->have_reply)
				return broken(w, EPROTO);
			w->have_reply = true;
			w->reply_type = hdr.type;
			w->reply_len = hdr.len;
			memcpy(w->reply, body, hdr.len);
			w->reply[hdr.len] = '\0';
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

static int error_of(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (!strcmp(s, xsd_errors[i].errstring))
			return xsd_errors[i].errnum;
	return EINVAL;
}

int xswire_call(struct xswire *w, enum xsd_sockmsg_type type,
		const struct iovec *iov, unsigned int n_iov, const char **reply,
		unsigned int *len)
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
	v[0].iov_base = &hdr;
	v[0].iov_len = sizeof(hdr);
	memcpy(v + 1, iov, n_iov * sizeof(*iov));
	w->have_reply = false;
	err = send_all(w, v, n_iov + 1);
	/* The answer takes a trip through xenstored: wait, then read. */
	while (!err && !w->have_reply) {
		err = parse(w);
		if (err || w->have_reply)
			break;
		err = wait_fd(w, POLLIN);
		if (!err && fill(w) < 0)
			err = -w->err;
	}
	if (err)
		return err;
	w->have_reply = false;
	if (w->reply_type == XS_ERROR)
		return -error_of(w->reply);
	if (w->reply_type != (uint32_t)type)
		return broken(w, EBADMSG);
	*reply = w->reply;
	if (len)
		*len = w->reply_len;
	return 0;
}

char **xswire_next_event(struct xswire *w)
{
	char **vec;
	int err = 0;

	if (!w->ev_n) {
		err = parse(w);
		if (!err && !w->ev_n) {
			err = fill(w);
			if (err > 0)
				err = parse(w);
		}
	}
	/* Replies come only while a call waits for one. */
	if (!err && w->have_reply)
		err = broken(w, EPROTO);
	if (!w->ev_n) {
		errno = err ? -err : EAGAIN;
		return NULL;
	}
	vec = w->evq[w->ev_head];
	w->ev_head = (w->ev_head + 1) % w->ev_cap;
	w->ev_n--;
	return vec;
}

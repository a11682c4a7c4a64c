/* SPDX-License-Identifier: MIT */
/*
 * xs-guestbridge: the guest kernel's xenbus device for one lab domain.
 *
 * It is the guest end of the domain's xenstore ring page and event channel,
 * and serves a unix stream socket speaking the xenstore wire protocol. A
 * client pointed at that socket (XENSTORED_PATH=<socket>, xs_open(0)) talks
 * to the real xenstored with that domain's privileges, like a process using
 * /dev/xen/xenbus inside the guest.
 *
 * Several clients share the one ring, as they share the kernel device: the
 * bridge renumbers req_id to route replies, prefixes watch tokens with the
 * client's id to route watch events, and on disconnect removes the client's
 * watches and aborts its transactions.
 *
 * usage: xs-guestbridge DOMID SOCKET      (lab directory from $XSLAB_DIR)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "log.h"
#include "lab.h"

#define MAX_CLIENTS 64
#define MSG_MAX (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)
/* Re-check the domain's state this often even without events. */
#define IDLE_POLL_MS 500

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

struct watch {
	struct watch *next;
	char *path;
	char *token; /* as the client sent it */
};

struct client {
	int fd;
	uint32_t id;
	char in[MSG_MAX];
	size_t in_len;
	struct buf out;
	struct watch *watches;
	uint32_t *tx;
	size_t ntx;
};

/* A request on the ring whose reply is still due. */
struct pending {
	uint32_t req_id; /* ours, on the ring */
	uint32_t orig_req_id;
	uint32_t client_id; /* 0: the bridge's own cleanup request */
	uint32_t type;
};

static struct {
	unsigned int domid;
	const char *lab;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char ev_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un xsd_addr;
	struct xenstore_domain_interface *intf;
	const unsigned char *domtab;
	int listen_fd;
	int ev_fd;
	struct client *clients[MAX_CLIENTS];
	uint32_t next_client_id;
	struct pending *pend;
	size_t npend, pend_cap;
	uint32_t next_req_id;
	struct buf to_ring;
	char rsp[MSG_MAX];
	size_t rsp_len;
} br;

static volatile sig_atomic_t stop_requested;
static bool xenstored_gone;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		log_err("out of memory");
		exit(1);
	}
	return p;
}

static void buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void buf_consume(struct buf *b, size_t len)
{
	memmove(b->data, b->data + len, b->len - len);
	b->len -= len;
}

static void queue_msg(struct buf *b, const struct xsd_sockmsg *hdr,
		      const void *payload)
{
	buf_add(b, hdr, sizeof(*hdr));
	buf_add(b, payload, hdr->len);
}

/* ---- event channel and ring ------------------------------------------- */

static void notify_xenstored(void)
{
	struct lab_evt ev = {
	    .magic = LAB_EVT_MAGIC,
	    .src_dom = br.domid,
	    .src_port = LAB_GUEST_PORT,
	};

	/* A full queue at xenstored already means a wake-up is pending. */
	if (sendto(br.ev_fd, &ev, sizeof(ev), MSG_DONTWAIT,
		   (struct sockaddr *)&br.xsd_addr, sizeof(br.xsd_addr)) < 0 &&
	    (errno == ECONNREFUSED || errno == ENOENT)) {
		/* Nobody holds xenstored's event channel: it is gone. */
		log_err("dom%u: xenstored is gone", br.domid);
		xenstored_gone = true;
	}
}

static void drain_events(void)
{
	struct lab_evt ev;

	while (recv(br.ev_fd, &ev, sizeof(ev), MSG_DONTWAIT) > 0)
		;
}

/* Move queued request bytes into the ring as far as there is room. */
static bool ring_write(void)
{
	struct xenstore_domain_interface *intf = br.intf;
	XENSTORE_RING_IDX cons, prod;
	size_t done = 0;

	while (done < br.to_ring.len) {
		size_t chunk, room;

		cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
		prod = intf->req_prod;
		room = XENSTORE_RING_SIZE - (prod - cons);
		if (room == 0 || room > XENSTORE_RING_SIZE)
			break;
		chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
		if (chunk > room)
			chunk = room;
		if (chunk > br.to_ring.len - done)
			chunk = br.to_ring.len - done;
		memcpy(intf->req + MASK_XENSTORE_IDX(prod),
		       br.to_ring.data + done, chunk);
		__atomic_store_n(&intf->req_prod, prod + chunk,
				 __ATOMIC_RELEASE);
		done += chunk;
	}
	if (!done)
		return false;
	buf_consume(&br.to_ring, done);
	notify_xenstored();
	return true;
}

static struct client *client_by_id(uint32_t id)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (br.clients[i] && br.clients[i]->id == id)
			return br.clients[i];
	return NULL;
}

static void tx_forget(struct client *c, uint32_t tx)
{
	for (size_t i = 0; i < c->ntx; i++) {
		if (c->tx[i] == tx) {
			c->tx[i] = c->tx[--c->ntx];
			return;
		}
	}
}

static void deliver_reply(struct xsd_sockmsg *hdr, const char *payload)
{
	struct pending p;
	struct client *c;
	size_t i;

	for (i = 0; i < br.npend; i++)
		if (br.pend[i].req_id == hdr->req_id)
			break;
	if (i == br.npend) {
		log_warn("dom%u: reply with unknown req_id %" PRIu32, br.domid,
			 hdr->req_id);
		return;
	}
	p = br.pend[i];
	br.pend[i] = br.pend[--br.npend];
	c = p.client_id ? client_by_id(p.client_id) : NULL;
	if (!c)
		return;
	if (hdr->type == XS_TRANSACTION_START && hdr->len > 0 &&
	    payload[hdr->len - 1] == '\0') {
		c->tx = xrealloc(c->tx, (c->ntx + 1) * sizeof(*c->tx));
		c->tx[c->ntx++] = strtoul(payload, NULL, 10);
	}
	hdr->req_id = p.orig_req_id;
	queue_msg(&c->out, hdr, payload);
}

/* Watch events carry "<client id>:<client token>" as their token. */
static void deliver_event(struct xsd_sockmsg *hdr, const char *payload)
{
	const char *path = payload, *token, *orig;
	struct xsd_sockmsg out = *hdr;
	size_t plen;
	char *end;
	struct client *c;
	unsigned long id;
	char msg[MSG_MAX];

	if (hdr->len == 0 || payload[hdr->len - 1] != '\0')
		return;
	plen = strlen(path);
	if (plen + 1 >= hdr->len)
		return;
	token = path + plen + 1;
	id = strtoul(token, &end, 10);
	if (*end != ':')
		return;
	c = client_by_id(id);
	if (!c)
		return;
	orig = end + 1;
	memcpy(msg, path, plen + 1);
	memcpy(msg + plen + 1, orig, strlen(orig) + 1);
	out.len = plen + 1 + strlen(orig) + 1;
	queue_msg(&c->out, &out, msg);
}

static bool ring_read(void)
{
	struct xenstore_domain_interface *intf = br.intf;
	XENSTORE_RING_IDX cons, prod;
	bool any = false;

	for (;;) {
		struct xsd_sockmsg *hdr = (struct xsd_sockmsg *)br.rsp;
		size_t want, chunk;

		prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
		cons = intf->rsp_cons;
		if (prod == cons || prod - cons > XENSTORE_RING_SIZE)
			break;
		if (br.rsp_len < sizeof(*hdr))
			want = sizeof(*hdr) - br.rsp_len;
		else
			want = sizeof(*hdr) + hdr->len - br.rsp_len;
		chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
		if (chunk > prod - cons)
			chunk = prod - cons;
		if (chunk > want)
			chunk = want;
		memcpy(br.rsp + br.rsp_len, intf->rsp + MASK_XENSTORE_IDX(cons),
		       chunk);
		__atomic_store_n(&intf->rsp_cons, cons + chunk,
				 __ATOMIC_RELEASE);
		br.rsp_len += chunk;
		any = true;
		if (br.rsp_len == sizeof(*hdr) &&
		    hdr->len > XENSTORE_PAYLOAD_MAX) {
			log_err("dom%u: oversized message from xenstored",
				br.domid);
			exit(1);
		}
		if (br.rsp_len < sizeof(*hdr) ||
		    br.rsp_len < sizeof(*hdr) + hdr->len)
			continue;
		if (hdr->type == XS_WATCH_EVENT)
			deliver_event(hdr, br.rsp + sizeof(*hdr));
		else
			deliver_reply(hdr, br.rsp + sizeof(*hdr));
		br.rsp_len = 0;
	}
	if (any)
		notify_xenstored();
	return any;
}

/* ---- requests from clients -------------------------------------------- */

static void send_request(uint32_t client_id, struct xsd_sockmsg *hdr,
			 const char *payload)
{
	struct pending p = {
	    .req_id = ++br.next_req_id,
	    .orig_req_id = hdr->req_id,
	    .client_id = client_id,
	    .type = hdr->type,
	};

	if (hdr->type != XS_WATCH_EVENT) {
		if (br.npend == br.pend_cap) {
			br.pend_cap = br.pend_cap ? br.pend_cap * 2 : 16;
			br.pend =
			    xrealloc(br.pend, br.pend_cap * sizeof(*br.pend));
		}
		br.pend[br.npend++] = p;
	}
	hdr->req_id = p.req_id;
	queue_msg(&br.to_ring, hdr, payload);
}

/* Two strings, path and token; NULL if the payload is not like that. */
static bool split_watch(const char *payload, uint32_t len, const char **path,
			const char **token)
{
	size_t plen;

	if (len == 0 || payload[len - 1] != '\0')
		return false;
	plen = strlen(payload);
	if (plen + 1 >= len)
		return false;
	*path = payload;
	*token = payload + plen + 1;
	return true;
}

/* An error the bridge answers itself, as the kernel device would. */
static void reply_error(struct client *c, const struct xsd_sockmsg *req,
			const char *err)
{
	struct xsd_sockmsg hdr = *req;

	hdr.type = XS_ERROR;
	hdr.len = strlen(err) + 1;
	queue_msg(&c->out, &hdr, err);
}

static void watch_request(struct client *c, struct xsd_sockmsg *hdr,
			  const char *payload)
{
	const char *path, *token;
	char msg[MSG_MAX + 16];
	int n;

	if (!split_watch(payload, hdr->len, &path, &token)) {
		send_request(c->id, hdr, payload); /* xenstored says EINVAL */
		return;
	}
	n = snprintf(msg, sizeof(msg), "%s%c%" PRIu32 ":%s", path, '\0', c->id,
		     token);
	if (n + 1 > XENSTORE_PAYLOAD_MAX) {
		reply_error(c, hdr, "E2BIG");
		return;
	}
	hdr->len = n + 1;
	if (hdr->type == XS_WATCH) {
		struct watch *w = xrealloc(NULL, sizeof(*w));

		w->path = strdup(path);
		w->token = strdup(token);
		if (!w->path || !w->token) {
			log_err("out of memory");
			exit(1);
		}
		w->next = c->watches;
		c->watches = w;
	} else {
		for (struct watch **pw = &c->watches; *pw; pw = &(*pw)->next) {
			struct watch *w = *pw;

			if (!strcmp(w->path, path) &&
			    !strcmp(w->token, token)) {
				*pw = w->next;
				free(w->path);
				free(w->token);
				free(w);
				break;
			}
		}
	}
	send_request(c->id, hdr, msg);
}

static void client_request(struct client *c, struct xsd_sockmsg *hdr,
			   const char *payload)
{
	switch (hdr->type) {
	case XS_WATCH:
	case XS_UNWATCH:
		watch_request(c, hdr, payload);
		break;
	case XS_TRANSACTION_END:
		tx_forget(c, hdr->tx_id);
		send_request(c->id, hdr, payload);
		break;
	default:
		send_request(c->id, hdr, payload);
		break;
	}
}

/* Like closing the xenbus device: drop the client's watches and txs. */
static void client_close(int slot)
{
	struct client *c = br.clients[slot];
	struct watch *w, *next;
	char msg[MSG_MAX + 16];

	for (w = c->watches; w; w = next) {
		struct xsd_sockmsg hdr = {.type = XS_UNWATCH};
		int n = snprintf(msg, sizeof(msg), "%s%c%" PRIu32 ":%s",
				 w->path, '\0', c->id, w->token);

		hdr.len = n + 1;
		send_request(0, &hdr, msg);
		next = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	for (size_t i = 0; i < c->ntx; i++) {
		struct xsd_sockmsg hdr = {
		    .type = XS_TRANSACTION_END,
		    .tx_id = c->tx[i],
		    .len = 2,
		};

		send_request(0, &hdr, "F");
	}
	close(c->fd);
	free(c->tx);
	free(c->out.data);
	free(c);
	br.clients[slot] = NULL;
}

/* Returns false when the client is to be closed. */
static bool client_readable(struct client *c)
{
	struct xsd_sockmsg *hdr = (struct xsd_sockmsg *)c->in;
	ssize_t n;

	n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	c->in_len += n;
	while (c->in_len >= sizeof(*hdr)) {
		size_t total = sizeof(*hdr) + hdr->len;

		if (hdr->len > XENSTORE_PAYLOAD_MAX)
			return false;
		if (c->in_len < total)
			break;
		client_request(c, hdr, c->in + sizeof(*hdr));
		memmove(c->in, c->in + total, c->in_len - total);
		c->in_len -= total;
	}
	return true;
}

static bool client_writable(struct client *c)
{
	ssize_t n = write(c->fd, c->out.data, c->out.len);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	buf_consume(&c->out, n);
	return true;
}

static void accept_client(void)
{
	int fd =
	    accept4(br.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c;
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS && br.clients[i]; i++)
		;
	if (i == MAX_CLIENTS) {
		log_warn("dom%u: too many clients", br.domid);
		close(fd);
		return;
	}
	c = xrealloc(NULL, sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->id = ++br.next_client_id;
	br.clients[i] = c;
}

/* ---- setup and main loop ----------------------------------------------- */

static int lab_sockaddr(struct sockaddr_un *sa, const char *name)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/ev/%s", br.lab,
		     name);
	return (n < 0 || (size_t)n >= sizeof(sa->sun_path)) ? -1 : 0;
}

static void *map_lab_file(const char *name, size_t len, int prot)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", br.lab, name);
	fd = open(path, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		log_err("open %s: %s", path, strerror(errno));
		exit(1);
	}
	p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_err("mmap %s: %s", path, strerror(errno));
		exit(1);
	}
	return p;
}

static void setup(const char *sock)
{
	struct sockaddr_un sa;
	char name[32], tmp[sizeof(sa.sun_path) + 8];

	br.domtab = map_lab_file("domtab", LAB_NR_DOMIDS, PROT_READ);
	snprintf(name, sizeof(name), "ring/%u", br.domid);
	br.intf = map_lab_file(name, LAB_PAGE_SIZE, PROT_READ | PROT_WRITE);

	snprintf(name, sizeof(name), "%u", br.domid);
	if (lab_sockaddr(&sa, name) ||
	    lab_sockaddr(&br.xsd_addr, "xenstored")) {
		log_err("lab path too long for a socket");
		exit(1);
	}
	br.ev_fd =
	    socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(sa.sun_path);
	if (br.ev_fd < 0 ||
	    bind(br.ev_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_err("event channel %s: %s", sa.sun_path, strerror(errno));
		exit(1);
	}
	strcpy(br.ev_path, sa.sun_path);

	/* Listen under a temporary name: the socket appears when ready. */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.tmp", sock) >=
	    (int)sizeof(sa.sun_path)) {
		log_err("socket path too long: %s", sock);
		exit(1);
	}
	strcpy(tmp, sa.sun_path);
	unlink(tmp);
	br.listen_fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (br.listen_fd < 0 ||
	    bind(br.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(br.listen_fd, 16) || rename(tmp, sock)) {
		log_err("listen %s: %s", sock, strerror(errno));
		exit(1);
	}
	strcpy(br.sock_path, sock);
}

static bool domain_alive(void)
{
	unsigned char st =
	    __atomic_load_n(&br.domtab[br.domid], __ATOMIC_ACQUIRE);

	return st != LAB_DOM_NONE && st != LAB_DOM_DYING;
}

static void run(void)
{
	struct pollfd pfd[2 + MAX_CLIENTS];
	int slot[2 + MAX_CLIENTS];

	while (!stop_requested && !xenstored_gone) {
		int n = 0;

		if (!domain_alive()) {
			log_info("dom%u is gone: closing", br.domid);
			return;
		}
		if (br.intf->error) {
			log_err("dom%u: xenstored reports ring error %" PRIu32,
				br.domid, br.intf->error);
			return;
		}
		/* Ring first: it may fill client queues and free ring room. */
		while (ring_read() || ring_write())
			;

		pfd[n++] = (struct pollfd){.fd = br.ev_fd, .events = POLLIN};
		pfd[n++] =
		    (struct pollfd){.fd = br.listen_fd, .events = POLLIN};
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = br.clients[i];

			if (!c)
				continue;
			slot[n] = i;
			pfd[n++] = (struct pollfd){
			    .fd = c->fd,
			    .events = POLLIN | (c->out.len ? POLLOUT : 0),
			};
		}
		if (poll(pfd, n, IDLE_POLL_MS) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return;
		}
		if (pfd[0].revents)
			drain_events();
		if (pfd[1].revents & POLLIN)
			accept_client();
		for (int i = 2; i < n; i++) {
			struct client *c = br.clients[slot[i]];
			bool ok = true;

			if (pfd[i].revents & POLLOUT)
				ok = client_writable(c);
			if (ok &&
			    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				ok = client_readable(c);
			if (!ok)
				client_close(slot[i]);
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	char *end;

	log_init("xs-guestbridge", false);
	if (argc != 3) {
		fprintf(stderr, "usage: %s DOMID SOCKET  (lab dir in $%s)\n",
			argv[0], LAB_ENV);
		return 2;
	}
	br.lab = getenv(LAB_ENV);
	br.domid = strtoul(argv[1], &end, 10);
	if (!br.lab || !*br.lab || *end || br.domid >= LAB_NR_DOMIDS) {
		fprintf(stderr, "%s: bad domid or $%s unset\n", argv[0],
			LAB_ENV);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Replies to a previous bridge's requests may still come: start our
	 * req_ids elsewhere. Then drop watches a previous bridge left behind,
	 * as Linux's xenbus does at start (xs_reset_watches).
	 */
	br.next_req_id = (uint32_t)getpid() << 16;
	setup(argv[2]);
	if (br.intf->req_prod == br.intf->req_cons) {
		struct xsd_sockmsg hdr = {.type = XS_RESET_WATCHES, .len = 1};

		send_request(0, &hdr, "");
	}
	run();

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (br.clients[i])
			client_close(i);
	/* Best effort: let xenstored see the cleanup requests. */
	ring_write();
	unlink(br.sock_path);
	unlink(br.ev_path);
	return 0;
}

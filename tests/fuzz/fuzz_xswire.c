/* SPDX-License-Identifier: MIT */
/*
 * The xenstore wire client's reply and event parser (daemon/xswire.c):
 * what comes back from xenstored.  The input's first byte is a plan (how
 * many reads to post, whether to post a write and to make a call), the
 * rest is the byte stream the client has received.
 *
 * White-box, for speed: the harness includes xswire.c and puts the
 * stream into the connection's input buffer, as fill() would have, on a
 * connection whose fd is /dev/null (requests go nowhere; a read is end of
 * file, i.e. xenstored went away).  Opening a real socket per input ran
 * at 3,500 inputs/s, mostly setup; everything after the read is the
 * daemon's own code path.
 */
#include "../../daemon/xswire.c"

#include "fuzz.h"

static struct xswire *w;
static int failures;

static void on_failure(void *ctx, void *tag, int err)
{
	(void)ctx;
	FUZZ_CHECK(tag == &failures);
	FUZZ_CHECK(err > 0);
	failures++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	w = calloc(1, sizeof(*w));
	FUZZ_CHECK(w);
	w->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	FUZZ_CHECK(w->fd >= 0);
	return 0;
}

/* A fresh connection that has just read data[0..size). */
static void reset(const uint8_t *data, size_t size)
{
	w->sock = false;
	w->err = 0;
	w->off = 0;
	w->len = size;
	memcpy(w->in, data, size);
	w->sent_head = w->sent_n = 0;
	w->call_waiting = w->have_reply = false;
	w->reply_type = 0;
	w->reply_len = 0;
	w->fail = on_failure;
	w->fail_ctx = NULL;
	w->evq = NULL;
	w->ev_head = w->ev_n = w->ev_cap = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "/local/domain/1/data/ptswitch/caps";
	struct iovec iov = {.iov_base = (void *)path, .iov_len = sizeof(path)};
	char bufs[3][300];
	size_t max[3] = {0, 8, 256};
	int res[3], posted, i, rc;
	const char *reply;
	unsigned int len;
	char **ev;
	uint8_t plan;

	if (size < 1 || size - 1 > IN_SIZE)
		return 0;
	plan = data[0];
	reset(data + 1, size - 1);
	failures = 0;

	posted = plan & 3;
	for (i = 0; i < posted; i++)
		FUZZ_CHECK(
		    !xswire_post_read(w, path, bufs[i], max[i], &res[i]));
	if (plan & 4)
		FUZZ_CHECK(!xswire_post(w, XS_WRITE, &iov, 1, &failures));
	if (plan & 8) {
		rc = xswire_call(w, XS_READ, &iov, 1, &reply, &len);
		if (!rc) {
			FUZZ_CHECK(len <= XENSTORE_PAYLOAD_MAX);
			FUZZ_CHECK(reply[len] == '\0');
		} else {
			FUZZ_CHECK(rc < 0);
		}
	}
	while ((ev = xswire_next_event(w))) {
		FUZZ_CHECK(ev[0] && ev[1]);
		FUZZ_CHECK(strlen(ev[0]) + strlen(ev[1]) + 2 <= size);
		free(ev);
	}
	FUZZ_CHECK(errno != 0);
	/* Broken by end of file: what is unanswered keeps -EIO. */
	FUZZ_CHECK(xswire_flush(w) < 0 || !w->sent_n);
	for (i = 0; i < posted; i++) {
		FUZZ_CHECK(res[i] < 0 || (size_t)res[i] <= max[i]);
		if (res[i] >= 0)
			FUZZ_CHECK(bufs[i][res[i]] == '\0');
	}
	FUZZ_CHECK(failures <= 1);
	while (w->ev_n) {
		free(w->evq[w->ev_head]);
		w->ev_head = (w->ev_head + 1) % w->ev_cap;
		w->ev_n--;
	}
	free(w->evq);
	return 0;
}

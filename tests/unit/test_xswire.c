/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the xenstore wire client (daemon/xswire.c) against a
 * scripted peer: the test listens on a socket named by XENSTORED_PATH,
 * as xenstored's, writes what xenstored would have answered and hangs up.
 * The cases are the fuzzer's finds (tests/fuzz/corpus/xswire/regress-*).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xswire.h"

static char dir[] = "/tmp/ptswitch-xswire.XXXXXX";
static char sock_path[108];
static int listen_fd = -1;

static int setup(void **state)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/socket", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listen_fd, 4))
		return -1;
	setenv("XENSTORED_PATH", sock_path, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(listen_fd);
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

/* A message as xenstored sends it. */
static size_t put_msg(char *buf, uint32_t type, const char *body, size_t len)
{
	struct xsd_sockmsg hdr = {.type = type, .len = (uint32_t)len};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), body, len);
	return sizeof(hdr) + len;
}

/* Connect a client, let the peer send stream[0..len) and hang up. */
static struct xswire *connect_scripted(const char *stream, size_t len,
				       int *peer)
{
	struct xswire *w = xswire_open();

	assert_non_null(w);
	*peer = accept(listen_fd, NULL, NULL);
	assert_true(*peer >= 0);
	assert_int_equal(write(*peer, stream, len), (ssize_t)len);
	shutdown(*peer, SHUT_WR);
	return w;
}

static int fail_calls;
static void *fail_tag;

static void on_failure(void *ctx, void *tag, int err)
{
	(void)ctx;
	(void)err;
	fail_calls++;
	fail_tag = tag;
}

/*
 * A reply of the wrong type breaks the connection.  The messages after it
 * must not be matched against the requests still waiting: that popped an
 * xswire_call()'s entry, which has no tag, and handed the NULL tag to the
 * failure callback (the store's dereferences it).  Found by fuzz_xswire.
 */
static void test_no_replies_after_broken(void **state)
{
	static const char path[] = "/local/domain/1/data/ptswitch/caps";
	struct iovec iov = {.iov_base = (void *)path, .iov_len = sizeof(path)};
	char stream[256], buf[3][64];
	int res[3], tag, peer, i;
	size_t len = 0;
	const char *reply;
	struct xswire *w;
	char **ev;

	(void)state;
	len += put_msg(stream + len, XS_ERROR, "ENOENT", 7);
	len += put_msg(stream + len, XS_ERROR, "E2BIG", 6);
	/* The third read is answered as a write: a broken stream. */
	len += put_msg(stream + len, XS_WRITE, "OK", 3);
	len += put_msg(stream + len, XS_ERROR, "EINVAL", 7);
	w = connect_scripted(stream, len, &peer);
	fail_calls = 0;
	fail_tag = NULL;
	xswire_on_failure(w, on_failure, NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(xswire_post_read(w, path, buf[i],
						  sizeof(buf[i]) - 1, &res[i]),
				 0);
	assert_int_equal(xswire_post(w, XS_WRITE, &iov, 1, &tag), 0);
	assert_int_equal(xswire_call(w, XS_READ, &iov, 1, &reply, NULL),
			 -EBADMSG);
	assert_int_equal(res[0], -ENOENT);
	assert_int_equal(res[1], -E2BIG);
	ev = xswire_next_event(w);
	assert_null(ev);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(xswire_flush(w), -EBADMSG);
	/* Nothing after the break was taken for an answer. */
	assert_int_equal(fail_calls, 0);
	assert_null(fail_tag);
	xswire_close(w);
	close(peer);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_replies_after_broken),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

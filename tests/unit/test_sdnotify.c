/* SPDX-License-Identifier: MIT */
/* Unit test of the hand-written sd_notify (guestagent/sdnotify.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "sdnotify.h"

static void test_disabled(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_false(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1"), -ENOTCONN);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_false(sdnotify_enabled());
}

/* A datagram socket standing in for systemd, at path or (abstract) name. */
static void roundtrip(const char *env, const struct sockaddr_un *sa,
		      socklen_t salen)
{
	char buf[256];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)sa, salen), 0);
	setenv("NOTIFY_SOCKET", env, 1);
	assert_true(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1\nSTATUS=testing"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_int_equal(n, 22);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=testing");
	close(fd);
}

static void test_path_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/ptswitch-notify-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	roundtrip(sa.sun_path, &sa, sizeof(sa));
	unlink(sa.sun_path);
	rmdir(dir);
}

static void test_abstract_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[64];
	size_t n;

	(void)state;
	n = (size_t)snprintf(name, sizeof(name), "@ptswitch-notify-%d",
			     (int)getpid());
	memcpy(sa.sun_path, name, n);
	sa.sun_path[0] = '\0';
	roundtrip(name, &sa,
		  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_path_socket),
	    cmocka_unit_test(test_abstract_socket),
	};

	return cmocka_run_group_tests_name("sdnotify", tests, NULL, NULL);
}

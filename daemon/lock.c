/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"

void lock_path(char *buf, size_t size)
{
	const char *xs = getenv("XENSTORED_PATH");

	if (xs && *xs)
		snprintf(buf, size, "%s.ptswitchd.lock", xs);
	else
		snprintf(buf, size, "%s", LOCK_DEFAULT_PATH);
}

static pid_t read_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	char *end;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return pid > 0 && (*end == '\n' || !*end) ? (pid_t)pid : 0;
}

static int write_pid(int fd)
{
	char pid[24];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		return -1;
	return 0;
}

int lock_take(const char *path, unsigned int wait_ms, pid_t *holder)
{
	char dir[256], *slash;
	int fd;

	*holder = 0;
	/*
	 * /run/ptswitchd exists under systemd (RuntimeDirectory=); made
	 * here otherwise.  A lock beside another socket needs no directory.
	 */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!strcmp(path, LOCK_DEFAULT_PATH) && slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (;;) {
		struct timespec ts = {.tv_nsec = 100 * 1000000L};

		if (!flock(fd, LOCK_EX | LOCK_NB))
			break;
		if (errno != EWOULDBLOCK || wait_ms < 100) {
			int err = errno;

			*holder = read_pid(fd);
			close(fd);
			return -err;
		}
		wait_ms -= 100;
		nanosleep(&ts, NULL);
	}
	if (write_pid(fd)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

void lock_update_pid(int fd)
{
	if (fd >= 0)
		(void)write_pid(fd);
}

pid_t lock_holder(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		/* Nobody holds it: the pid in it is stale. */
		close(fd);
		return 0;
	}
	pid = errno == EWOULDBLOCK ? read_pid(fd) : -errno;
	close(fd);
	/* Held, but the pid not written yet: still held. */
	return pid ? pid : -EWOULDBLOCK;
}

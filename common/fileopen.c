/* SPDX-License-Identifier: MIT */
/* Non-blocking opens of regular files (see fileopen.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileopen.h"

/* fd if it is a regular file, else closed and -errno. */
static int only_regular(int fd)
{
	struct stat st;
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int pt_open_read(const char *path)
{
	return only_regular(
	    open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
}

static FILE *stream(int fd, const char *mode)
{
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, mode);
	if (!f) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}

FILE *pt_fopen_read(const char *path)
{
	return stream(pt_open_read(path), "r");
}

FILE *pt_fopen_write(const char *path)
{
	/* A FIFO without a reader fails with ENXIO instead of waiting. */
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK |
			  O_NOCTTY | O_CLOEXEC,
		      0644);

	return stream(only_regular(fd), "w");
}

const char *pt_open_strerror(int err)
{
	return err == EINVAL ? "not a regular file" : strerror(err);
}

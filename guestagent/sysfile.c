/* SPDX-License-Identifier: MIT */
/* Bounded reads of small /proc and /sys files below a root directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileopen.h"
#include "sysfile.h"

static int sysfile_path(const char *root, const char *rel, char *path,
			size_t size)
{
	size_t n = strlen(root);
	int r;

	/* "/" + "proc/stat" must not become "//proc/stat" in messages. */
	while (n > 1 && root[n - 1] == '/')
		n--;
	while (*rel == '/')
		rel++;
	r = snprintf(path, size, "%.*s%s%s", (int)n, root,
		     root[n - 1] == '/' ? "" : "/", rel);
	return r < 0 || (size_t)r >= size ? -ENAMETOOLONG : 0;
}

int sysfile_read(const char *root, const char *rel, void *buf, size_t size,
		 size_t *len)
{
	char path[PATH_MAX], extra;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	if (!root[0])
		return -EINVAL;
	r = sysfile_path(root, rel, path, sizeof(path));
	if (r)
		return r;
	/* Regular files only, opened without blocking: a FIFO must not
	 * hang the agent. */
	fd = pt_open_read(path);
	if (fd < 0)
		return fd;
	/* procfs and sysfs may return short reads: loop until EOF. */
	while (got < size) {
		n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == size) {
		do
			n = read(fd, &extra, 1);
		while (n < 0 && errno == EINTR);
		if (n != 0) {
			r = n < 0 ? -errno : -EFBIG;
			goto out;
		}
	}
	*len = got;
	r = 0;
out:
	close(fd);
	return r;
}

int sysfile_read_line(const char *root, const char *rel, char *buf, size_t size)
{
	size_t len, i;
	int r;

	if (size < 1)
		return -EINVAL;
	r = sysfile_read(root, rel, buf, size - 1, &len);
	if (r)
		return r == -EFBIG ? -EINVAL : r;
	if (len && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return -EINVAL;
	buf[len] = '\0';
	return 0;
}

int sysfile_stream(const char *root, const char *rel, size_t max,
		   void (*fn)(void *ctx, const char *buf, size_t len),
		   void *ctx)
{
	char path[PATH_MAX], chunk[2048];
	size_t total = 0;
	ssize_t n;
	int fd, r;

	if (!root[0])
		return -EINVAL;
	r = sysfile_path(root, rel, path, sizeof(path));
	if (r)
		return r;
	/* Regular files only, opened without blocking: a FIFO must not
	 * hang the agent. */
	fd = pt_open_read(path);
	if (fd < 0)
		return fd;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		if ((size_t)n > max - total) {
			r = -EFBIG;
			break;
		}
		total += (size_t)n;
		fn(ctx, chunk, (size_t)n);
	}
	close(fd);
	return r;
}

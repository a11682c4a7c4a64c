/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd: each worker's uffd region is registered for missing faults;
 * every round the worker zaps it (MADV_DONTNEED) and reads it back, and
 * one handler thread answers each fault with UFFDIO_COPY of the page's
 * expected content, so both workers' faults wait on it at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mmstress.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define MAX_REGIONS 16

static int fd = -1;
static struct region *regions[MAX_REGIONS];
static size_t nregions;
static pthread_t handler;
static bool stop;

static struct region *owner(uint64_t addr, size_t *idx)
{
	size_t k;

	for (k = 0; k < nregions; k++) {
		uintptr_t b = (uintptr_t)regions[k]->base;

		if (addr >= b && addr < b + regions[k]->pages * MM_PAGE) {
			*idx = (size_t)(addr - b) / MM_PAGE;
			return regions[k];
		}
	}
	return NULL;
}

static void serve(uint64_t addr)
{
	static uint64_t page[MM_WORDS] __attribute__((aligned(4096)));
	struct uffdio_copy copy;
	struct uffdio_range wake;
	struct region *r;
	size_t i;

	addr &= ~(uint64_t)(MM_PAGE - 1);
	r = owner(addr, &i);
	if (!r) {
		feature_fail(F_UFFD, "fault at 0x%llx outside every region",
			     (unsigned long long)addr);
		return;
	}
	region_render(r, i, __atomic_load_n(&r->gen[i], __ATOMIC_ACQUIRE),
		      page);
	memset(&copy, 0, sizeof(copy));
	copy.dst = addr;
	copy.src = (uintptr_t)page;
	copy.len = MM_PAGE;
	if (ioctl(fd, UFFDIO_COPY, &copy) == 0) {
		feature_count(F_UFFD, 1);
		return;
	}
	if (errno != EEXIST) {
		feature_fail(F_UFFD, "UFFDIO_COPY: %s", errname(errno));
		return;
	}
	/* Already there (a second fault on the same page): wake it. */
	wake.start = addr;
	wake.len = MM_PAGE;
	if (ioctl(fd, UFFDIO_WAKE, &wake))
		feature_fail(F_UFFD, "UFFDIO_WAKE: %s", errname(errno));
}

static void *handle(void *arg)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct uffd_msg msg;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (read(fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			feature_fail(F_UFFD, "read: %s", errname(errno));
			break;
		}
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			serve(msg.arg.pagefault.address);
	}
	return NULL;
}

void uffd_setup(void)
{
	struct uffdio_api api = {.api = UFFD_API};
	int err;

	fd = (int)syscall(SYS_userfaultfd,
			  O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0 && errno == EINVAL) /* before 5.11: no user-mode flag */
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		feature_skip(
		    F_UFFD, "userfaultfd(): %s%s", errname(err),
		    err == ENOSYS ? ": kernel without CONFIG_USERFAULTFD" : "");
		return;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		feature_skip(F_UFFD, "UFFDIO_API: %s", errname(errno));
		close(fd);
		fd = -1;
		return;
	}
	err = pthread_create(&handler, NULL, handle, NULL);
	if (err) {
		feature_skip(F_UFFD, "pthread_create: %s", errname(err));
		close(fd);
		fd = -1;
		return;
	}
	feature_on(F_UFFD);
}

int uffd_register(struct region *r)
{
	struct uffdio_register reg;

	if (nregions == MAX_REGIONS)
		return ENOSPC;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)r->base;
	reg.range.len = r->pages * MM_PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		return errno;
	regions[nregions++] = r;
	return 0;
}

void uffd_teardown(void)
{
	if (fd < 0)
		return;
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(handler, NULL);
	close(fd);
	fd = -1;
}

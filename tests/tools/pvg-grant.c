/* SPDX-License-Identifier: MIT */
/*
 * pvg-grant DOMID FILE: grant one page of dom0 to DOMID, writable, through
 * Linux's gntalloc device, for the pvguest case that maps a foreign page
 * (tests/pvguest, attack grant-ad-bits).  The page starts with
 * PVG_GRANT_MARK so that the guest can tell it mapped this page.  Writes
 * the grant reference to FILE, then waits until it is killed: the grant
 * lasts as long as the device stays open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/gntalloc.h>

#define PVG_GRANT_MARK "ptswitch-grant"

int main(int argc, char **argv)
{
	struct ioctl_gntalloc_alloc_gref op = {.flags = GNTALLOC_FLAG_WRITABLE,
					       .count = 1};
	char *end, *page;
	unsigned long domid;
	FILE *out;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pvg-grant DOMID FILE\n");
		return 2;
	}
	errno = 0;
	domid = strtoul(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || domid >= 0x7ff0) {
		fprintf(stderr, "pvg-grant: bad domid '%s'\n", argv[1]);
		return 2;
	}
	op.domid = (unsigned short)domid;
	fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, &op) < 0) {
		fprintf(stderr, "pvg-grant: gntalloc: %s\n", strerror(errno));
		return 1;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)op.index);
	if (page == MAP_FAILED) {
		fprintf(stderr, "pvg-grant: mmap: %s\n", strerror(errno));
		return 1;
	}
	memcpy(page, PVG_GRANT_MARK, sizeof(PVG_GRANT_MARK));
	out = fopen(argv[2], "w");
	if (!out || fprintf(out, "%u\n", op.gref_ids[0]) < 0 || fclose(out)) {
		fprintf(stderr, "pvg-grant: %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	for (;;)
		pause();
}

/*
 * A thin layer over libxenstore: bounded reads, writes that happen only
 * when the value changed (a cache of what we last wrote), permissions,
 * watches, and operation counters for the benchmark.
 */
#ifndef PTSWITCHD_XSIO_H
#define PTSWITCHD_XSIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xsio;

struct xsio_counters {
	uint64_t reads, writes, removes, dirs, watches, perms;
};

struct xsio *xsio_open(void);
void xsio_close(struct xsio *x);
int xsio_fd(struct xsio *x);
const struct xsio_counters *xsio_counters(const struct xsio *x);

/*
 * Read at most max bytes into buf (NUL-terminated).  Returns the length,
 * -ENOENT when the node is absent, -E2BIG when longer than max, or
 * another negative errno.
 */
int xsio_read(struct xsio *x, const char *path, char *buf, size_t max);

/* Write if the value differs from what we last wrote or read back. */
int xsio_write(struct xsio *x, const char *path, const char *value);
/* Remove a node and everything below; forgets cached values. */
int xsio_rm(struct xsio *x, const char *path);
/*
 * Create a directory owned by dom0 with no access for others, except read
 * access for reader (pass -1 for none).
 */
int xsio_mkdir(struct xsio *x, const char *path, int reader);
/* List children; returns a malloc'd vector (free it) and its size. */
char **xsio_ls(struct xsio *x, const char *path, unsigned int *n);

int xsio_watch(struct xsio *x, const char *path, const char *token);
int xsio_unwatch(struct xsio *x, const char *path, const char *token);
/* Next pending watch event or NULL; vec[0] path, vec[1] token; free it. */
char **xsio_next_event(struct xsio *x);

/* Drop every cached value at or below path (e.g. a released domain). */
void xsio_forget(struct xsio *x, const char *path);

#endif /* PTSWITCHD_XSIO_H */

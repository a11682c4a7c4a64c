/*
 * The daemon's xenstore access (over daemon/xswire.h, one thread, one
 * connection): bounded reads, writes that happen only when the value
 * changed (a cache of what we last wrote), permissions, watches, and
 * operation counters for the benchmark.
 */
#ifndef PTSWITCHD_STORE_H
#define PTSWITCHD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_counters {
	uint64_t reads, writes, removes, dirs, watches, perms;
};

struct store *store_open(void);
void store_close(struct store *x);
/*
 * Poll it for watch events; events already read (while waiting for a
 * reply) do not make it readable: check store_events_pending() too.
 */
int store_fd(struct store *x);
bool store_events_pending(const struct store *x);
const struct store_counters *store_counters(const struct store *x);

/*
 * Read at most max bytes into buf (NUL-terminated).  Returns the length,
 * -ENOENT when the node is absent, -E2BIG when longer than max, or
 * another negative errno.
 */
int store_read(struct store *x, const char *path, char *buf, size_t max);

/* Write if the value differs from what we last wrote or read back. */
int store_write(struct store *x, const char *path, const char *value);
/* Remove a node and everything below; forgets cached values. */
int store_rm(struct store *x, const char *path);
/*
 * Create a directory owned by dom0 with no access for others, except read
 * access for reader (pass -1 for none).
 */
int store_mkdir(struct store *x, const char *path, int reader);
/* True if path exists and already has the permissions store_mkdir sets. */
bool store_has_dir(struct store *x, const char *path, int reader);
/* List children; returns a malloc'd vector (free it) and its size. */
char **store_ls(struct store *x, const char *path, unsigned int *n);

int store_watch(struct store *x, const char *path, const char *token);
int store_unwatch(struct store *x, const char *path, const char *token);
/* Next pending watch event or NULL; vec[0] path, vec[1] token; free it. */
char **store_next_event(struct store *x);

/* Drop every cached value at or below path (e.g. a released domain). */
void store_forget(struct store *x, const char *path);

#endif /* PTSWITCHD_STORE_H */

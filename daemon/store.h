/* SPDX-License-Identifier: MIT */
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
	uint64_t events; /* watch events taken */
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

/*
 * Read n nodes with one wait for xenstored instead of n: res[i] as
 * store_read() would return for paths[i] into bufs[i].  Returns 0, or a
 * negative errno if the connection broke.
 */
int store_read_many(struct store *x, unsigned int n, const char *const *paths,
		    char *const *bufs, size_t max, int *res);

/*
 * From now on write nothing (ptswitchd --once without --act reports
 * only): writes, removals and mkdirs succeed without reaching xenstored.
 */
void store_set_read_only(struct store *x);

/* Write if the value differs from what we last wrote or read back. */
int store_write(struct store *x, const char *path, const char *value);
/*
 * The same without waiting for xenstored: a failure is logged ("cannot
 * write PATH: ...") when the answer comes, at the latest by the next
 * call or store_flush().  Later requests see the write (xenstored keeps
 * a connection's order).
 */
void store_post(struct store *x, const char *path, const char *value);
/* Collect the answers to posted writes. 0 or -errno (connection lost). */
int store_flush(struct store *x);
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

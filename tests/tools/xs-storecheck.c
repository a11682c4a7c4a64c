/* SPDX-License-Identifier: MIT */
/*
 * Drives the daemon's xenstore layer (daemon/store.h over daemon/xswire.h)
 * against a real xenstored, one operation per command, so that
 * tests/integration/test_store.sh can check the results with the stock
 * xenstore tools.
 *
 *   xs-storecheck post-many DIR N     post DIR/child-NNNN = NNNN, flush
 *   xs-storecheck ls DIR              list DIR, one name a line
 *   xs-storecheck post-read PATH V    post PATH = V, then read it back
 *   xs-storecheck post-bad PATH V     post to an invalid path, then PATH = V
 *   xs-storecheck events DIR          watch DIR, post DIR/{a,b,c}, read
 *                                     once, print the events' paths
 *   xs-storecheck read-many P...      read every P in one trip
 *   xs-storecheck flood PATH SECS V... write the values in turn, as fast
 *                                     as xenstored answers, for SECS s
 *                                     (a hostile guest, through its bridge)
 * Writes the store's write counter to stderr as "writes=N".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "store.h"

static int usage(void)
{
	fprintf(stderr, "usage: xs-storecheck post-many|ls|post-read|"
			"post-bad|events|read-many|flood ARGS\n");
	return 2;
}

static int post_many(struct store *x, const char *dir, int n)
{
	char path[256], value[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/child-%04d", dir, i);
		snprintf(value, sizeof(value), "%04d", i);
		store_post(x, path, value);
	}
	return store_flush(x) ? 1 : 0;
}

static int list(struct store *x, const char *dir)
{
	unsigned int i, n = 0;
	char **names = store_ls(x, dir, &n);

	if (!names) {
		fprintf(stderr, "ls %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s\n", names[i]);
	free(names);
	return 0;
}

static int post_read(struct store *x, const char *path, const char *value)
{
	char buf[4097];
	int n;

	store_post(x, path, value);
	n = store_read(x, path, buf, sizeof(buf) - 1);
	if (n < 0) {
		fprintf(stderr, "read %s: %s\n", path, strerror(-n));
		return 1;
	}
	printf("%s\n", buf);
	return 0;
}

static int post_bad(struct store *x, const char *path, const char *value)
{
	/* xenstored refuses a path with an empty component (EINVAL). */
	store_post(x, "/tool//bad", value);
	store_post(x, path, value);
	if (store_flush(x))
		return 1;
	/* The failed one must go out again, the good one not. */
	store_post(x, "/tool//bad", value);
	store_post(x, path, value);
	return store_flush(x) ? 1 : 0;
}

static int events(struct store *x, const char *dir)
{
	static const char *const keys[] = {"a", "b", "c"};
	char path[256], buf[64];
	char **ev;
	unsigned int i;

	if (store_watch(x, dir, "tok"))
		return 1;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, keys[i]);
		store_post(x, path, keys[i]);
	}
	/* The events arrive while this call waits for its answer. */
	if (store_read(x, path, buf, sizeof(buf) - 1) < 0)
		return 1;
	printf("pending=%d\n", store_events_pending(x));
	while ((ev = store_next_event(x))) {
		printf("%s %s\n", ev[0], ev[1]);
		free(ev);
	}
	return errno == EAGAIN ? 0 : 1;
}

static int read_many(struct store *x, int n, char **paths)
{
	char(*bufs)[4097] = calloc((size_t)n, sizeof(*bufs));
	char **b = calloc((size_t)n, sizeof(*b));
	int *res = calloc((size_t)n, sizeof(*res));
	int i, rc = 1;

	if (!bufs || !b || !res)
		goto out;
	for (i = 0; i < n; i++)
		b[i] = bufs[i];
	if (store_read_many(x, (unsigned int)n, (const char *const *)paths, b,
			    4096, res))
		goto out;
	for (i = 0; i < n; i++)
		printf("%s %d %s\n", paths[i], res[i], res[i] >= 0 ? b[i] : "");
	rc = 0;
out:
	free(bufs);
	free(b);
	free(res);
	return rc;
}

static int flood(struct store *x, const char *path, int secs, int n,
		 char **values)
{
	uint64_t end = pt_monotonic_ms() + (uint64_t)secs * 1000;
	unsigned long i;
	int err;

	/* Waiting for each answer, as a guest's xenbus client does. */
	for (i = 0; pt_monotonic_ms() < end; i++) {
		err = store_write(x, path, values[i % (unsigned int)n]);
		if (err) {
			fprintf(stderr, "write %s: %s\n", path, strerror(-err));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct store *x;
	int rc;

	if (argc < 3)
		return usage();
	log_init("xs-storecheck", false);
	x = store_open();
	if (!x) {
		fprintf(stderr, "cannot connect: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "post-many") && argc == 4)
		rc = post_many(x, argv[2], atoi(argv[3]));
	else if (!strcmp(argv[1], "ls"))
		rc = list(x, argv[2]);
	else if (!strcmp(argv[1], "post-read") && argc == 4)
		rc = post_read(x, argv[2], argv[3]);
	else if (!strcmp(argv[1], "post-bad") && argc == 4)
		rc = post_bad(x, argv[2], argv[3]);
	else if (!strcmp(argv[1], "events"))
		rc = events(x, argv[2]);
	else if (!strcmp(argv[1], "flood") && argc >= 5)
		rc = flood(x, argv[2], atoi(argv[3]), argc - 4, argv + 4);
	else if (!strcmp(argv[1], "read-many"))
		rc = read_many(x, argc - 2, argv + 2);
	else
		rc = usage();
	fprintf(stderr, "writes=%llu\n",
		(unsigned long long)store_counters(x)->writes);
	store_close(x);
	return rc;
}

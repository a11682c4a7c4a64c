/* libxenstore wrapper with a write-on-change cache (see store.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "store.h"

/*
 * What we last wrote, by path.  Open hashing; sized for thousands of
 * guests with a dozen published nodes each.
 */
#define CACHE_BUCKETS 16384

/*
 * A 64-bit hash of the value stands in for the value itself: a thousand
 * guests' worth of copies would cost more memory than the rest of the
 * daemon.  A collision would skip one write; at 2^-64 per write we accept
 * that.
 */
struct cache_entry {
	struct cache_entry *next;
	uint64_t value_hash;
	char path[];
};

struct store {
	struct xs_handle *xsh;
	struct store_counters ctr;
	struct cache_entry *cache[CACHE_BUCKETS];
};

static unsigned int hash_path(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % CACHE_BUCKETS;
}

static struct cache_entry *cache_find(struct store *x, const char *path)
{
	struct cache_entry *e;

	for (e = x->cache[hash_path(path)]; e; e = e->next)
		if (!strcmp(e->path, path))
			return e;
	return NULL;
}

static uint64_t hash_value(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

static void cache_store(struct store *x, const char *path, const char *value)
{
	struct cache_entry *e = cache_find(x, path);
	size_t n = strlen(path) + 1;
	unsigned int h;

	if (e) {
		e->value_hash = hash_value(value);
		return;
	}
	e = malloc(sizeof(*e) + n);
	if (!e)
		return; /* only costs a redundant write later */
	memcpy(e->path, path, n);
	e->value_hash = hash_value(value);
	h = hash_path(path);
	e->next = x->cache[h];
	x->cache[h] = e;
}

void store_forget(struct store *x, const char *path)
{
	size_t n = strlen(path);
	unsigned int i;

	for (i = 0; i < CACHE_BUCKETS; i++) {
		struct cache_entry **pp = &x->cache[i];

		while (*pp) {
			struct cache_entry *e = *pp;

			if (!strncmp(e->path, path, n) &&
			    (e->path[n] == '\0' || e->path[n] == '/')) {
				*pp = e->next;
				free(e);
			} else {
				pp = &e->next;
			}
		}
	}
}

struct store *store_open(void)
{
	struct store *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->xsh = xs_open(0);
	if (!x->xsh) {
		int err = errno;

		free(x);
		errno = err;
		return NULL;
	}
	return x;
}

void store_close(struct store *x)
{
	if (!x)
		return;
	store_forget(x, "");
	xs_close(x->xsh);
	free(x);
}

int store_fd(struct store *x)
{
	return xs_fileno(x->xsh);
}

const struct store_counters *store_counters(const struct store *x)
{
	return &x->ctr;
}

int store_read(struct store *x, const char *path, char *buf, size_t max)
{
	unsigned int len;
	char *v;

	x->ctr.reads++;
	v = xs_read(x->xsh, XBT_NULL, path, &len);
	if (!v)
		return errno ? -errno : -EIO;
	if (len > max) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	free(v);
	/* Embedded NULs would make the value differ from what we parse. */
	if (strlen(buf) != len)
		return -EINVAL;
	return (int)len;
}

int store_write(struct store *x, const char *path, const char *value)
{
	struct cache_entry *e = cache_find(x, path);

	if (e && e->value_hash == hash_value(value))
		return 0;
	x->ctr.writes++;
	if (!xs_write(x->xsh, XBT_NULL, path, value, strlen(value)))
		return errno ? -errno : -EIO;
	cache_store(x, path, value);
	return 0;
}

int store_rm(struct store *x, const char *path)
{
	store_forget(x, path);
	x->ctr.removes++;
	if (!xs_rm(x->xsh, XBT_NULL, path) && errno != ENOENT)
		return -errno;
	return 0;
}

int store_mkdir(struct store *x, const char *path, int reader)
{
	struct xs_permissions perms[2] = {
	    {.id = 0, .perms = XS_PERM_NONE},
	    {.id = reader >= 0 ? (unsigned int)reader : 0,
	     .perms = XS_PERM_READ},
	};

	x->ctr.dirs++;
	if (!xs_mkdir(x->xsh, XBT_NULL, path))
		return errno ? -errno : -EIO;
	x->ctr.perms++;
	if (!xs_set_permissions(x->xsh, XBT_NULL, path, perms,
				reader >= 0 ? 2 : 1))
		return errno ? -errno : -EIO;
	return 0;
}

bool store_has_dir(struct store *x, const char *path, int reader)
{
	struct xs_permissions *p;
	unsigned int n = 0;
	bool ok;

	x->ctr.reads++;
	p = xs_get_permissions(x->xsh, XBT_NULL, path, &n);
	if (!p)
		return false;
	ok = n == (reader >= 0 ? 2u : 1u) && p[0].id == 0 &&
	     p[0].perms == XS_PERM_NONE &&
	     (reader < 0 ||
	      (p[1].id == (unsigned int)reader && p[1].perms == XS_PERM_READ));
	free(p);
	return ok;
}

char **store_ls(struct store *x, const char *path, unsigned int *n)
{
	x->ctr.reads++;
	return xs_directory(x->xsh, XBT_NULL, path, n);
}

int store_watch(struct store *x, const char *path, const char *token)
{
	x->ctr.watches++;
	return xs_watch(x->xsh, path, token) ? 0 : -(errno ? errno : EIO);
}

int store_unwatch(struct store *x, const char *path, const char *token)
{
	x->ctr.watches++;
	return xs_unwatch(x->xsh, path, token) ? 0 : -(errno ? errno : EIO);
}

char **store_next_event(struct store *x)
{
	return xs_check_watch(x->xsh);
}

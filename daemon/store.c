/* SPDX-License-Identifier: MIT */
/* xenstore access with a write-on-change cache (see store.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "log.h"
#include "store.h"
#include "xswire.h"

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
	bool unknown; /* a posted write of it failed */
	char path[];
};

struct store {
	struct xswire *w;
	struct store_counters ctr;
	struct cache_entry *cache[CACHE_BUCKETS];
	bool read_only; /* writes, removals and mkdirs are skipped */
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

static struct cache_entry *cache_store(struct store *x, const char *path,
				       const char *value)
{
	struct cache_entry *e = cache_find(x, path);
	size_t n = strlen(path) + 1;
	unsigned int h;

	if (e) {
		e->value_hash = hash_value(value);
		e->unknown = false;
		return e;
	}
	e = malloc(sizeof(*e) + n);
	if (!e)
		return NULL; /* only costs a redundant write later */
	memcpy(e->path, path, n);
	e->value_hash = hash_value(value);
	e->unknown = false;
	h = hash_path(path);
	e->next = x->cache[h];
	x->cache[h] = e;
	return e;
}

/* Whether path already holds value, as far as we know. */
static bool cache_has(struct store *x, const char *path, const char *value)
{
	struct cache_entry *e = cache_find(x, path);

	return e && !e->unknown && e->value_hash == hash_value(value);
}

void store_forget(struct store *x, const char *path)
{
	size_t n = strlen(path);
	unsigned int i;

	/* Posted writes refer to cache entries. */
	xswire_flush(x->w);

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

/* A posted write failed: say so, and write the value again next time. */
static void post_failed(void *ctx, void *tag, int err)
{
	struct cache_entry *e = tag;

	(void)ctx;
	e->unknown = true;
	log_warn("cannot write %s: %s", e->path, strerror(err));
}

struct store *store_open(void)
{
	struct store *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->w = xswire_open();
	if (!x->w) {
		int err = errno;

		free(x);
		errno = err;
		return NULL;
	}
	xswire_on_failure(x->w, post_failed, x);
	return x;
}

void store_close(struct store *x)
{
	if (!x)
		return;
	store_forget(x, "");
	xswire_close(x->w);
	free(x);
}

int store_fd(struct store *x)
{
	return xswire_fd(x->w);
}

bool store_events_pending(const struct store *x)
{
	return xswire_pending(x->w);
}

const struct store_counters *store_counters(const struct store *x)
{
	return &x->ctr;
}

static struct iovec str_iov(const char *s)
{
	return (struct iovec){.iov_base = (void *)s, .iov_len = strlen(s) + 1};
}

/* A request whose arguments are NUL-terminated strings. */
static int call_strings(struct store *x, enum xsd_sockmsg_type type,
			const char *a, const char *b, const char **reply,
			unsigned int *len)
{
	struct iovec iov[2] = {str_iov(a), b ? str_iov(b) : str_iov("")};
	const char *r;
	unsigned int n;

	return xswire_call(x->w, type, iov, b ? 2 : 1, reply ? reply : &r,
			   len ? len : &n);
}

int store_read(struct store *x, const char *path, char *buf, size_t max)
{
	const char *v;
	unsigned int len;
	int err;

	x->ctr.reads++;
	err = call_strings(x, XS_READ, path, NULL, &v, &len);
	if (err)
		return err;
	if (len > max)
		return -E2BIG;
	memcpy(buf, v, len);
	buf[len] = '\0';
	/* Embedded NULs would make the value differ from what we parse. */
	if (strlen(buf) != len)
		return -EINVAL;
	return (int)len;
}

int store_read_many(struct store *x, unsigned int n, const char *const *paths,
		    char *const *bufs, size_t max, int *res)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n; i++)
		res[i] = -EIO;
	for (i = 0; i < n && !err; i++) {
		x->ctr.reads++;
		err = xswire_post_read(x->w, paths[i], bufs[i], max, &res[i]);
	}
	if (!err)
		err = xswire_flush(x->w);
	for (i = 0; i < n; i++)
		if (res[i] >= 0 && strlen(bufs[i]) != (size_t)res[i])
			res[i] = -EINVAL;
	return err;
}

void store_set_read_only(struct store *x)
{
	x->read_only = true;
}

int store_write(struct store *x, const char *path, const char *value)
{
	struct iovec iov[2] = {
	    str_iov(path),
	    {.iov_base = (void *)value, .iov_len = strlen(value)},
	};
	const char *r;
	unsigned int n;
	int err;

	if (x->read_only || cache_has(x, path, value))
		return 0;
	x->ctr.writes++;
	err = xswire_call(x->w, XS_WRITE, iov, 2, &r, &n);
	if (err)
		return err;
	cache_store(x, path, value);
	return 0;
}

void store_post(struct store *x, const char *path, const char *value)
{
	struct iovec iov[2] = {
	    str_iov(path),
	    {.iov_base = (void *)value, .iov_len = strlen(value)},
	};
	struct cache_entry *e;
	int err;

	if (x->read_only || cache_has(x, path, value))
		return;
	/* Believed written until the answer says otherwise. */
	e = cache_store(x, path, value);
	if (!e) {
		err = store_write(x, path, value);
		if (err)
			log_warn("cannot write %s: %s", path, strerror(-err));
		return;
	}
	x->ctr.writes++;
	err = xswire_post(x->w, XS_WRITE, iov, 2, e);
	if (err)
		post_failed(x, e, -err);
}

int store_flush(struct store *x)
{
	return xswire_flush(x->w);
}

int store_rm(struct store *x, const char *path)
{
	int err;

	if (x->read_only)
		return 0;
	store_forget(x, path);
	x->ctr.removes++;
	err = call_strings(x, XS_RM, path, NULL, NULL, NULL);
	return err == -ENOENT ? 0 : err;
}

/* As libxenstore spells a permission: n, r, w or b, then the domain. */
static void perm_string(char *buf, size_t size, unsigned int id,
			unsigned int perms)
{
	static const char letter[] = {'n', 'r', 'w', 'b'};

	snprintf(buf, size, "%c%u",
		 letter[perms & (XS_PERM_READ | XS_PERM_WRITE)], id);
}

int store_mkdir(struct store *x, const char *path, int reader)
{
	char owner[16], other[16];
	struct iovec iov[3];
	const char *r;
	unsigned int n;
	int err;

	if (x->read_only)
		return 0;
	x->ctr.dirs++;
	err = call_strings(x, XS_MKDIR, path, NULL, NULL, NULL);
	if (err)
		return err;
	x->ctr.perms++;
	perm_string(owner, sizeof(owner), 0, XS_PERM_NONE);
	perm_string(other, sizeof(other),
		    reader >= 0 ? (unsigned int)reader : 0, XS_PERM_READ);
	iov[0] = str_iov(path);
	iov[1] = str_iov(owner);
	iov[2] = str_iov(other);
	return xswire_call(x->w, XS_SET_PERMS, iov, reader >= 0 ? 3 : 2, &r,
			   &n);
}

/* NUL-terminated strings in buf[0..len): how many. */
static unsigned int count_strings(const char *buf, unsigned int len)
{
	unsigned int i, n = 0;

	for (i = 0; i < len; i++)
		if (!buf[i])
			n++;
	return n;
}

bool store_has_dir(struct store *x, const char *path, int reader)
{
	struct xs_permissions p[2];
	const char *v;
	unsigned int len, n;

	x->ctr.reads++;
	if (call_strings(x, XS_GET_PERMS, path, NULL, &v, &len))
		return false;
	n = count_strings(v, len);
	if (n != (reader >= 0 ? 2u : 1u) || !xs_strings_to_perms(p, n, v))
		return false;
	return p[0].id == 0 && p[0].perms == XS_PERM_NONE &&
	       (reader < 0 || (p[1].id == (unsigned int)reader &&
			       p[1].perms == XS_PERM_READ));
}

/* strings[0..len) as one block: the vector, then the strings. */
static char **string_vector(const char *strings, unsigned int len,
			    unsigned int *n)
{
	unsigned int i, count = count_strings(strings, len);
	char **vec = malloc(count * sizeof(char *) + len + 1);
	char *p;

	if (!vec)
		return NULL;
	p = (char *)(vec + count);
	memcpy(p, strings, len);
	for (i = 0; i < count; i++, p += strlen(p) + 1)
		vec[i] = p;
	*n = count;
	return vec;
}

/*
 * A directory too long for one reply comes in parts; a change of the
 * node's generation between parts means starting over.
 */
static char **ls_parts(struct store *x, const char *path, unsigned int *n)
{
	char gen[24] = "", offstr[16], *strings = NULL, *more, **vec;
	unsigned int off = 0, len, glen;
	const char *r;
	int err;

	for (;;) {
		snprintf(offstr, sizeof(offstr), "%u", off);
		err =
		    call_strings(x, XS_DIRECTORY_PART, path, offstr, &r, &len);
		if (err) {
			free(strings);
			errno = err == -ENOSYS ? E2BIG : -err;
			return NULL;
		}
		glen = (unsigned int)strnlen(r, len);
		if (glen >= len || glen >= sizeof(gen)) {
			free(strings);
			errno = EPROTO;
			return NULL;
		}
		if (off && strcmp(gen, r)) {
			off = 0;
			continue;
		}
		memcpy(gen, r, glen + 1);
		len -= glen + 1;
		more = realloc(strings, off + len + 1);
		if (!more) {
			free(strings);
			errno = ENOMEM;
			return NULL;
		}
		strings = more;
		memcpy(strings + off, r + glen + 1, len);
		off += len;
		/* The last part ends with an empty string. */
		if (off <= 1 || strings[off - 2] == '\0')
			break;
	}
	if (off > 1)
		off--;
	vec = string_vector(strings, off, n);
	free(strings);
	return vec;
}

char **store_ls(struct store *x, const char *path, unsigned int *n)
{
	const char *r;
	unsigned int len;
	int err;

	x->ctr.reads++;
	*n = 0;
	err = call_strings(x, XS_DIRECTORY, path, NULL, &r, &len);
	if (err == -E2BIG)
		return ls_parts(x, path, n);
	if (err) {
		errno = -err;
		return NULL;
	}
	return string_vector(r, len, n);
}

int store_watch(struct store *x, const char *path, const char *token)
{
	x->ctr.watches++;
	return call_strings(x, XS_WATCH, path, token, NULL, NULL);
}

int store_unwatch(struct store *x, const char *path, const char *token)
{
	x->ctr.watches++;
	return call_strings(x, XS_UNWATCH, path, token, NULL, NULL);
}

char **store_next_event(struct store *x)
{
	char **ev = xswire_next_event(x->w);

	if (ev)
		x->ctr.events++;
	return ev;
}

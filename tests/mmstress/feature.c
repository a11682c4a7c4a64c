/* SPDX-License-Identifier: MIT */
/*
 * Per feature: did it run, or why not.  The same binary runs on the lab's
 * tinyconfig kernel (no swap, KSM, userfaultfd or cgroups) and on
 * Debian's config, so a missing feature is reported with the errno or the
 * missing file that showed it missing, never silently dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmstress.h"

enum state { UNSET, ON, SKIPPED, FAILED };

struct feature {
	const char *name;
	enum state state;
	char why[160];
	char note[160];
	uint64_t count;
};

static struct feature features[F_COUNT] = {
    [F_THREADS] = {.name = "threads"},
    [F_SWAP] = {.name = "swap"},
    [F_MEMCG] = {.name = "memcg-pressure"},
    [F_KSM] = {.name = "ksm"},
    [F_UFFD] = {.name = "userfaultfd"},
    [F_PAGEMAP] = {.name = "pagemap"},
    [F_SMAPS] = {.name = "smaps"},
    [F_CLEAR_REFS] = {.name = "clear_refs"},
    [F_MADV_COLD] = {.name = "madv-cold"},
    [F_MADV_PAGEOUT] = {.name = "madv-pageout"},
    [F_MADV_FREE] = {.name = "madv-free"},
    [F_MADV_DONTNEED] = {.name = "madv-dontneed"},
    [F_MREMAP_MOVE] = {.name = "mremap-move"},
    [F_MREMAP_GROW] = {.name = "mremap-grow"},
    [F_MPROTECT] = {.name = "mprotect"},
    [F_FORK] = {.name = "fork"},
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void feature_on(enum feature_id f)
{
	pthread_mutex_lock(&lock);
	if (features[f].state == UNSET)
		features[f].state = ON;
	pthread_mutex_unlock(&lock);
}

bool feature_is_on(enum feature_id f)
{
	bool on;

	pthread_mutex_lock(&lock);
	on = features[f].state == ON;
	pthread_mutex_unlock(&lock);
	return on;
}

static void set(enum feature_id f, enum state s, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&lock);
	/* The first failure is the one to read; later ones follow from it. */
	if (features[f].state != FAILED) {
		features[f].state = s;
		vsnprintf(features[f].why, sizeof(features[f].why), fmt, ap);
	}
	pthread_mutex_unlock(&lock);
}

void feature_skip(enum feature_id f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(f, SKIPPED, fmt, ap);
	va_end(ap);
}

void feature_fail(enum feature_id f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(f, FAILED, fmt, ap);
	va_end(ap);
	fprintf(stderr, "mmstress: %s failed: %s\n", features[f].name,
		features[f].why);
}

void feature_count(enum feature_id f, uint64_t n)
{
	__atomic_fetch_add(&features[f].count, n, __ATOMIC_RELAXED);
}

void feature_note(enum feature_id f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&lock);
	vsnprintf(features[f].note, sizeof(features[f].note), fmt, ap);
	pthread_mutex_unlock(&lock);
	va_end(ap);
}

bool feature_any_failed(void)
{
	bool any = false;
	int f;

	pthread_mutex_lock(&lock);
	for (f = 0; f < F_COUNT; f++)
		any |= features[f].state == FAILED;
	pthread_mutex_unlock(&lock);
	return any;
}

void feature_report(FILE *out)
{
	int f;

	pthread_mutex_lock(&lock);
	for (f = 0; f < F_COUNT; f++) {
		const struct feature *ft = &features[f];

		switch (ft->state) {
		case ON:
			fprintf(out,
				"mmstress: feature %s ran count=%llu%s%s\n",
				ft->name, (unsigned long long)ft->count,
				ft->note[0] ? " " : "", ft->note);
			break;
		case FAILED:
			fprintf(out, "mmstress: feature %s FAILED %s\n",
				ft->name, ft->why);
			break;
		case SKIPPED:
			fprintf(out, "mmstress: feature %s SKIPPED %s\n",
				ft->name, ft->why);
			break;
		case UNSET:
			fprintf(out,
				"mmstress: feature %s SKIPPED not probed\n",
				ft->name);
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

static void append(char *dst, size_t len, const char *name)
{
	size_t used = strlen(dst);

	snprintf(dst + used, len - used, "%s%s", used ? "," : "", name);
}

void feature_lists(char *ran, size_t ran_len, char *skipped, size_t skipped_len)
{
	int f;

	ran[0] = skipped[0] = '\0';
	pthread_mutex_lock(&lock);
	for (f = 0; f < F_COUNT; f++) {
		if (features[f].state == ON)
			append(ran, ran_len, features[f].name);
		else if (features[f].state != FAILED)
			append(skipped, skipped_len, features[f].name);
	}
	pthread_mutex_unlock(&lock);
	if (!ran[0])
		snprintf(ran, ran_len, "none");
	if (!skipped[0])
		snprintf(skipped, skipped_len, "none");
}

const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "unknown errno";
}

/* SPDX-License-Identifier: MIT */
/* Freestanding helpers: memory, strings, formatted output, time. */
#ifndef PVG_LIB_H
#define PVG_LIB_H

#include <stdarg.h>

#include "types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
u64 parse_u64(const char *s, const char **end);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define barrier() asm volatile("" ::: "memory")
#define mb() asm volatile("mfence" ::: "memory")

/* rdtsc with lfence on both sides so the measured code stays inside. */
static inline u64 rdtsc_ordered(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((u64)hi << 32) | lo;
}

#endif

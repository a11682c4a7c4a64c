/* SPDX-License-Identifier: MIT */
/* Fixed-width types for a freestanding build (no libc headers). */
#ifndef PVG_TYPES_H
#define PVG_TYPES_H

typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long u64;
typedef long s64;
typedef unsigned long size_t;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(sizeof(u64) == 8, "LP64 only");

#endif

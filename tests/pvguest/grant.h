/* SPDX-License-Identifier: MIT */
/* A page dom0 grants us (tests/tools/pvg-grant.c): grant.c, the fuzzer. */
#ifndef PVG_GRANT_H
#define PVG_GRANT_H

#include "types.h"

/* The reference dom0 wrote to ptswitch/grant-ref, or -1 after SECONDS. */
long grant_wait_ref(u64 seconds);
/* PAGE starts with pvg-grant's mark: it is dom0's granted page. */
bool grant_mark_ok(const volatile char *page);
/* attack grant-ad-bits (safety.c). */
void grant_ad_bits(const char *name);

#endif

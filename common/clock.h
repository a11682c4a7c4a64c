/* SPDX-License-Identifier: MIT */
#ifndef PTSWITCH_CLOCK_H
#define PTSWITCH_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: for intervals and deadlines only. */
uint64_t pt_monotonic_ms(void);
/* Microseconds on the same clock: for timing what a call took. */
uint64_t pt_monotonic_us(void);

#endif /* PTSWITCH_CLOCK_H */

/* SPDX-License-Identifier: MIT */
/* Helpers of the 2-vCPU BATCH attacks (smp_attack.c), for their other files. */
#ifndef PVG_SMP_ATTACK_H
#define PVG_SMP_ATTACK_H

#include "types.h"

/* Our L2 entry for l1[L1] reads unhooked (a batch is open on it). */
bool l1_unhooked(unsigned int l1);
/* Wait (10 s at most) until *FLAG is VAL; true if it is. */
bool wait_until(volatile unsigned int *flag, unsigned int val);
/* Store into l1[0][SLOT] until a batch opens on l1[0]; true once open. */
bool open_batch(unsigned int slot);

#endif

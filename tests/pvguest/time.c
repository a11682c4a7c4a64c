/* SPDX-License-Identifier: MIT */
/*
 * Xen system time (ns since boot) from vCPU 0's vcpu_time_info, for
 * timeouts and to convert TSC ticks to a frequency.
 */
#include "hypercall.h"
#include "pvg.h"

static u64 scale_delta(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (u64)(((unsigned __int128)delta * mul) >> 32);
}

u64 now_ns(void)
{
	volatile struct vcpu_time_info *t = &pvg_shared->vcpu_info[0].time;
	u32 version;
	u64 ns;

	do {
		version = t->version;
		barrier();
		ns = t->system_time +
		     scale_delta(rdtsc_ordered() - t->tsc_timestamp,
				 t->tsc_to_system_mul, t->tsc_shift);
		barrier();
	} while ((version & 1) || version != t->version);
	return ns;
}

/* ticks/ms = 10^6 ns / (ns per tick); ns per tick = mul * 2^shift / 2^32 */
u64 tsc_khz(void)
{
	volatile struct vcpu_time_info *t = &pvg_shared->vcpu_info[0].time;
	u64 khz = (1000000ul << 32) / t->tsc_to_system_mul;

	if (t->tsc_shift < 0)
		khz <<= -t->tsc_shift;
	else
		khz >>= t->tsc_shift;
	return khz;
}

/*
 * Block rather than spin, so that dom0 gets the CPU on a busy host:
 * SCHEDOP_poll on no port sleeps until the timeout (our events are masked,
 * so nothing else wakes us).  Yield if Xen refuses.
 */
void sleep_ms(u64 ms)
{
	u64 until = now_ns() + ms * 1000000ul;

	while (now_ns() < until) {
		struct sched_poll poll = {.timeout = until};

		if (hyp_sched_op(SCHEDOP_poll, &poll))
			hyp_sched_op(SCHEDOP_yield, NULL);
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Output through the domU console ring (xenconsoled logs it).  The
 * emergency console_io hypercall is refused to guests by a release build
 * of Xen, so it is only a fallback when there is no ring.
 */
#include "hypercall.h"
#include "pvg.h"

static struct xencons_interface *ring;

void con_init(void)
{
	if (pvg_si->console_mfn)
		ring = mfn_to_virt(pvg_si->console_mfn);
}

void con_write(const char *s, size_t len)
{
	if (!ring) {
		hyp_console_write(s, (unsigned int)len);
		return;
	}
	while (len) {
		u32 prod = ring->out_prod;

		barrier();
		if (prod - ring->out_cons >= sizeof(ring->out)) {
			hyp_evtchn_send(pvg_si->console_evtchn);
			hyp_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		ring->out[prod % sizeof(ring->out)] = *s++;
		len--;
		mb();
		ring->out_prod = prod + 1;
	}
	hyp_evtchn_send(pvg_si->console_evtchn);
}

/* Wait (bounded) until xenconsoled has consumed everything. */
void con_flush(void)
{
	u64 deadline = now_ns() + 10000000000ul;

	while (ring && ring->out_cons != ring->out_prod &&
	       now_ns() < deadline) {
		hyp_evtchn_send(pvg_si->console_evtchn);
		hyp_sched_op(SCHEDOP_yield, NULL);
	}
}

void pr(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	con_write(buf, (size_t)n);
}

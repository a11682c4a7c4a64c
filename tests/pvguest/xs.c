/* SPDX-License-Identifier: MIT */
/*
 * A minimal xenstore client over the domain's ring page: one request at a
 * time, polling with sched_op(yield), no watches, no transactions.  Paths
 * without a leading '/' are relative to /local/domain/<own id>.
 */
#include "hypercall.h"
#include "pvg.h"

#define XS_TIMEOUT_NS 30000000000ul

static struct xenstore_domain_interface *xs_ring(void)
{
	return mfn_to_virt(pvg_si->store_mfn);
}

static int ring_put(const void *data, u32 len, u64 deadline)
{
	struct xenstore_domain_interface *r = xs_ring();
	const char *p = data;

	while (len) {
		u32 prod = r->req_prod;

		barrier();
		if (prod - r->req_cons >= XENSTORE_RING_SIZE) {
			hyp_evtchn_send(pvg_si->store_evtchn);
			if (now_ns() > deadline)
				return -1;
			hyp_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		r->req[prod % XENSTORE_RING_SIZE] = *p++;
		len--;
		mb();
		r->req_prod = prod + 1;
	}
	hyp_evtchn_send(pvg_si->store_evtchn);
	return 0;
}

static int ring_get(void *data, u32 len, u64 deadline)
{
	struct xenstore_domain_interface *r = xs_ring();
	char *p = data;

	while (len) {
		u32 cons = r->rsp_cons;

		barrier();
		if (r->rsp_prod == cons) {
			if (now_ns() > deadline)
				return -1;
			hyp_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		mb();
		if (p)
			*p++ = r->rsp[cons % XENSTORE_RING_SIZE];
		len--;
		mb();
		r->rsp_cons = cons + 1;
	}
	hyp_evtchn_send(pvg_si->store_evtchn);
	return 0;
}

/* Send TYPE with payload; reply payload (NUL-terminated) into BUF. */
static int xs_talk(u32 type, const char *payload, u32 plen, char *buf,
		   size_t size)
{
	static u32 req_id;
	struct xsd_sockmsg msg = {type, ++req_id, 0, plen};
	u64 deadline = now_ns() + XS_TIMEOUT_NS;
	u32 keep;

	if (!pvg_si->store_mfn)
		return -1;
	if (ring_put(&msg, sizeof(msg), deadline) ||
	    ring_put(payload, plen, deadline))
		return -1;
	if (ring_get(&msg, sizeof(msg), deadline))
		return -1;
	keep = msg.len < size - 1 ? msg.len : (u32)size - 1;
	if (ring_get(buf, keep, deadline) ||
	    ring_get(NULL, msg.len - keep, deadline))
		return -1;
	buf[keep] = '\0';
	return msg.type == XS_ERROR ? -2 : (int)keep;
}

int xs_read(const char *path, char *buf, size_t size)
{
	return xs_talk(XS_READ, path, (u32)strlen(path) + 1, buf, size);
}

int xs_write(const char *path, const char *value)
{
	char req[256], rsp[32];
	size_t pl = strlen(path) + 1, vl = strlen(value);

	if (pl + vl > sizeof(req))
		return -1;
	memcpy(req, path, pl);
	memcpy(req + pl, value, vl);
	return xs_talk(XS_WRITE, req, (u32)(pl + vl), rsp, sizeof(rsp)) < 0 ? -1
									    : 0;
}

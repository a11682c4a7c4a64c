/* SPDX-License-Identifier: MIT */
/*
 * xslab: the layout of a lab directory and the event message shared by the
 * hypervisor shim (preloaded into xenstored), the guest bridges and the
 * toolstack helper.
 *
 *   <lab>/domtab        one byte per domid: the "hypervisor's" domain list
 *   <lab>/ring/<domid>  the domain's xenstore ring page (mmapped shared)
 *   <lab>/xsd_port      dom0's xenstore event channel (/proc/xen/xsd_port)
 *   <lab>/ev/xenstored  xenstored's event channel device (datagram socket)
 *   <lab>/ev/<domid>    a domain's event channel device, bound by its bridge
 */
#ifndef XSLAB_LAB_H
#define XSLAB_LAB_H

#include <stdint.h>

#define LAB_ENV "XSLAB_DIR"
#define LAB_NR_DOMIDS 0x7ff0 /* DOMID_FIRST_RESERVED */
#define LAB_DOMID_XEN 0x7ff2
#define LAB_PAGE_SIZE 4096
#define LAB_VIRQ_DOM_EXC 3
/* Every guest's xenstore event channel is port 1 in its own port space. */
#define LAB_GUEST_PORT 1
#define LAB_EVT_MAGIC 0x78736c62 /* "xslb" */

/* domtab states */
#define LAB_DOM_NONE 0
#define LAB_DOM_RUNNING 'r'
#define LAB_DOM_SHUTDOWN 's'
#define LAB_DOM_CRASHED 'c'
#define LAB_DOM_DYING 'd'

/*
 * One event: sent as one datagram. Interdomain: src_dom/src_port name the
 * sender's end, dst_port the receiver's. VIRQ: src_dom is LAB_DOMID_XEN.
 */
struct lab_evt {
	uint32_t magic;
	uint32_t src_dom;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t virq;
};

#endif

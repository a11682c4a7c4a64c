/* SPDX-License-Identifier: MIT */
/*
 * The slice of the Xen PV ABI (x86_64) this test kernel uses, written
 * from the public interface documentation.  Values are part of Xen's
 * stable guest ABI; only PVG_VMASST_PT_BATCH, PVG_MMUEXT_FLUSH_BATCH,
 * PVG_XENFEAT_PT_BATCH_OPEN and vcpu_info.pt_batch_open are ptswitch
 * additions (hv-patches/).
 */
#ifndef PVG_XEN_ABI_H
#define PVG_XEN_ABI_H

#include "types.h"

/* Hypercall numbers. */
#define HC_set_trap_table 0
#define HC_mmu_update 1
#define HC_memory_op 12
#define HC_multicall 13
#define HC_console_io 18
#define HC_grant_table_op 20
#define HC_update_va_mapping 14
#define HC_xen_version 17
#define HC_vm_assist 21
#define HC_iret 23
#define HC_vcpu_op 24
#define HC_mmuext_op 26
#define HC_sched_op 29
#define HC_callback_op 30
#define HC_event_channel_op 32

#define DOMID_SELF 0x7ff0u

/* vm_assist */
#define VMASST_CMD_enable 0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_writable_pagetables 2
#define PVG_VMASST_PT_BATCH 48 /* ptswitch: consent to BATCH */

/* mmu_update: ptr is the machine address of the entry; low bits = cmd. */
#define MMU_NORMAL_PT_UPDATE 0
struct mmu_update {
	u64 ptr;
	u64 val;
};

/* mmuext_op */
#define MMUEXT_PIN_L1_TABLE 0
#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_PIN_L3_TABLE 2
#define MMUEXT_PIN_L4_TABLE 3
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define MMUEXT_TLB_FLUSH_ALL 8
#define MMUEXT_INVLPG_ALL 9
#define PVG_MMUEXT_FLUSH_BATCH 0x7074 /* ptswitch: close the batch */
struct mmuext_op {
	u32 cmd;
	u32 pad;
	u64 arg1; /* mfn or linear address */
	u64 arg2;
};

/* update_va_mapping flags */
#define UVMF_NONE 0
#define UVMF_TLB_FLUSH 1
#define UVMF_INVLPG 2
#define UVMF_LOCAL 0
#define UVMF_ALL 4

/* multicall: each entry's result is written back into it. */
struct multicall_entry {
	u64 op;
	u64 result;
	u64 args[6];
};

/* memory_op */
#define XENMEM_maximum_ram_page 2

/* sched_op */
#define SCHEDOP_yield 0
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll 3
struct sched_poll {
	u64 ports; /* guest address of the port array */
	u32 nr_ports;
	u32 pad;
	u64 timeout; /* absolute Xen system time, ns */
};
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_crash 3

/* event_channel_op */
#define EVTCHNOP_send 4
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_close 3
#define EVTCHNOP_unmask 9
struct evtchn_bind_ipi {
	u32 vcpu;
	u32 port; /* out */
};

/* callback_op: where Xen delivers event upcalls (per vCPU). */
#define CALLBACKOP_register 0
#define CALLBACKTYPE_event 0
struct callback_register {
	u16 type;
	u16 flags;
	u32 pad;
	u64 address;
};

/* vcpu_op */
#define VCPUOP_initialise 0
#define VCPUOP_up 1
#define VGCF_in_kernel (1u << 2)
#define FLAT_KERNEL_SS64 0xe02b

/* console_io */
#define CONSOLEIO_write 0

/* xen_version */
#define XENVER_version 0
#define XENVER_get_features 6
struct xen_feature_info {
	u32 submap_idx;
	u32 submap;
};
#define PVG_XENFEAT_PT_BATCH_OPEN 31 /* ptswitch: vcpu_info.pt_batch_open */

/* Errors Xen returns (negated). */
#define XEN_EPERM 1
#define XEN_ENOENT 2
#define XEN_EFAULT 14
#define XEN_EBUSY 16
#define XEN_EINVAL 22
#define XEN_ENOSYS 38
#define XEN_EOPNOTSUPP 95

/* 64-bit PV: the kernel runs in ring 3 with these flat selectors. */
#define FLAT_KERNEL_CS64 0xe033

/* Read-only machine-to-phys table Xen maps into every 64-bit PV guest. */
#define M2P_VIRT_START 0xffff800000000000ul

struct trap_info {
	u8 vector;
	u8 flags; /* bits 0-1: DPL for software int; bit 2: mask events */
	u16 cs;
	u32 pad;
	u64 address;
};

struct cpu_user_regs {
	u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	u64 rax, rcx, rdx, rsi, rdi;
	u32 error_code, entry_vector;
	u64 rip;
	u16 cs, pad0;
	u8 saved_upcall_mask, pad1[3];
	u64 rflags, rsp;
	u64 ss, es, ds, fs, gs; /* selectors in the low 16 bits */
};

/* The initial state of a secondary vCPU (VCPUOP_initialise). */
struct vcpu_guest_context {
	u8 fpu_ctxt[512];
	u64 flags;
	struct cpu_user_regs user_regs;
	struct trap_info trap_ctxt[256];
	u64 ldt_base, ldt_ents;
	u64 gdt_frames[16], gdt_ents;
	u64 kernel_ss, kernel_sp;
	u64 ctrlreg[8];
	u64 debugreg[8];
	u64 event_callback_eip, failsafe_callback_eip, syscall_callback_eip;
	u64 vm_assist;
	u64 fs_base, gs_base_kernel, gs_base_user;
};
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs");
_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vcpu context");

struct start_info {
	char magic[32];
	u64 nr_pages;
	u64 shared_info; /* machine address */
	u32 flags;
	u32 pad0;
	u64 store_mfn;
	u32 store_evtchn;
	u32 pad1;
	u64 console_mfn;
	u32 console_evtchn;
	u32 pad2;
	u64 pt_base; /* virtual address of the L4 */
	u64 nr_pt_frames;
	u64 mfn_list; /* virtual address of the p2m array */
	u64 mod_start;
	u64 mod_len;
	char cmd_line[1024];
	u64 first_p2m_pfn;
	u64 nr_p2m_frames;
};

struct vcpu_time_info {
	u32 version;
	u32 pad0;
	u64 tsc_timestamp;
	u64 system_time; /* ns since boot at tsc_timestamp */
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags;
	u8 pad1[2];
};

struct vcpu_info {
	u8 evtchn_upcall_pending;
	u8 evtchn_upcall_mask;
	u8 pt_batch_open; /* ptswitch: a batch is open (Xen writes it) */
	u8 pad[5];
	u64 evtchn_pending_sel;
	u64 cr2; /* arch_vcpu_info: faulting address of the last #PF */
	u64 arch_pad;
	struct vcpu_time_info time;
};

struct shared_info_head {
	struct vcpu_info vcpu_info[32];
	u64 evtchn_pending[64]; /* 2-level event channels: a bit per port */
	u64 evtchn_mask[64];
};

struct xencons_interface {
	char in[1024];
	char out[2048];
	u32 in_cons, in_prod;
	u32 out_cons, out_prod;
};

#define XENSTORE_RING_SIZE 1024
struct xenstore_domain_interface {
	char req[XENSTORE_RING_SIZE];
	char rsp[XENSTORE_RING_SIZE];
	u32 req_cons, req_prod;
	u32 rsp_cons, rsp_prod;
};

#define XS_READ 2
#define XS_WRITE 11
#define XS_ERROR 16
struct xsd_sockmsg {
	u32 type;
	u32 req_id;
	u32 tx_id;
	u32 len;
};

/* Grant tables (public/grant_table.h): map another domain's page. */
#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTMAP_host_map (1u << 1)
struct gnttab_map_grant_ref {
	u64 host_addr;
	u32 flags;
	u32 ref;
	u16 dom;
	short status;
	u32 handle;
	u64 dev_bus_addr;
};
#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTMAP_readonly (1u << 2)
struct gnttab_unmap_grant_ref {
	u64 host_addr;
	u64 dev_bus_addr;
	u32 handle;
	short status;
};

/* x86 page-table entry bits. */
#define PTE_P 0x001ul
#define PTE_RW 0x002ul
#define PTE_US 0x004ul
#define PTE_A 0x020ul
#define PTE_D 0x040ul
#define PTE_ADDR_MASK 0x000ffffffffff000ul

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Entry point, ELF notes and the hypercall page of the ptswitch PV test
 * kernel.  Xen's PV domain builder starts a 64-bit guest here with %rsi
 * holding the virtual address of start_info and %rsp on a boot stack in
 * the initial mapping.
 */

/* One Xen ELF note: name "Xen", type, descriptor. */
#define NOTE_STR(type, str)						\
	.pushsection .note.Xen, "a", @note;				\
	.balign 4;							\
	.long 4;							\
	.long 2f - 1f;							\
	.long type;							\
	.asciz "Xen";							\
	.balign 4;							\
1:	.asciz str;							\
2:	.balign 4;							\
	.popsection

#define NOTE_QUAD(type, value)						\
	.pushsection .note.Xen, "a", @note;				\
	.balign 4;							\
	.long 4;							\
	.long 8;							\
	.long type;							\
	.asciz "Xen";							\
	.balign 4;							\
	.quad value;							\
	.popsection

/* Note types from public/elfnote.h. */
#define XEN_ELFNOTE_ENTRY 1
#define XEN_ELFNOTE_HYPERCALL_PAGE 2
#define XEN_ELFNOTE_VIRT_BASE 3
#define XEN_ELFNOTE_PADDR_OFFSET 4
#define XEN_ELFNOTE_XEN_VERSION 5
#define XEN_ELFNOTE_GUEST_OS 6
#define XEN_ELFNOTE_GUEST_VERSION 7
#define XEN_ELFNOTE_LOADER 8
#define XEN_ELFNOTE_FEATURES 10

/*
 * libelf (Xen 4.17) insists on LOADER "generic" (or GUEST_OS "linux") and
 * XEN_VERSION "xen-3.0"; VIRT_BASE and PADDR_OFFSET default to 0, which is
 * what the linker script assumes (virtual = pseudo-physical address).
 */
NOTE_STR(XEN_ELFNOTE_GUEST_OS, "ptswitch-pvguest")
NOTE_STR(XEN_ELFNOTE_GUEST_VERSION, "1")
NOTE_STR(XEN_ELFNOTE_XEN_VERSION, "xen-3.0")
NOTE_STR(XEN_ELFNOTE_LOADER, "generic")
NOTE_QUAD(XEN_ELFNOTE_VIRT_BASE, 0)
NOTE_QUAD(XEN_ELFNOTE_PADDR_OFFSET, 0)
NOTE_QUAD(XEN_ELFNOTE_ENTRY, _start)
NOTE_QUAD(XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page)
NOTE_STR(XEN_ELFNOTE_FEATURES, "writable_page_tables")

	.text
	.code64
	.globl _start
_start:
	mov %rsi, %rdi			/* start_info */
	mov %rsp, %rsi			/* top of Xen's boot stack */
	lea boot_stack_top(%rip), %rsp
	call pvg_main
1:	ud2				/* pvg_main never returns */
	jmp 1b

/* Secondary vCPU: Xen starts it on its own stack (VCPUOP_initialise). */
	.globl ap_entry
ap_entry:
	call pvg_ap_main
2:	ud2
	jmp 2b

/* vCPUs 2 and up (the fuzzer's), on their own stacks too. */
	.globl extra_entry
extra_entry:
	call pvg_extra_main
3:	ud2
	jmp 3b

/*
 * Exception entry.  Xen's bounce frame for a 64-bit PV guest holds, from
 * the top of the stack: rcx, r11, [error code], rip, cs, rflags, rsp, ss.
 * Each stub restores rcx/r11, makes the frame uniform (vector, error
 * code) and joins trap_common, which saves the other registers, calls
 * pvg_trap() and, if that returns, resumes the faulting instruction
 * through the iret hypercall.
 */
.macro trap_noerr vec
	.globl trap_\vec
trap_\vec:
	pop %rcx
	pop %r11
	pushq $0
	pushq $\vec
	jmp trap_common
.endm

.macro trap_err vec
	.globl trap_\vec
trap_\vec:
	pop %rcx
	pop %r11
	pushq $\vec
	jmp trap_common
.endm

	trap_noerr 0
	trap_noerr 3
	trap_noerr 6
	trap_noerr 7
	trap_err 8
	trap_err 10
	trap_err 11
	trap_err 12
	trap_err 13
	trap_err 14
	trap_noerr 16
	trap_err 17
	trap_noerr 19

/*
 * Event upcall (evtchn.c): Xen's frame is an exception's without an
 * error code; EVTCHN_VECTOR tells pvg_trap() what it is.
 */
	.globl event_entry
event_entry:
	pop %rcx
	pop %r11
	pushq $0
	pushq $32			/* EVTCHN_VECTOR */
	jmp trap_common

trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi			/* struct trap_frame * */
	mov %rsp, %rbx
	and $-16, %rsp
	call pvg_trap
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* vector, error code */
	/* iret hypercall: the page's stub pushes rax, r11, rcx itself. */
	pushq $0			/* flags: not returning from syscall */
	jmp hypercall_page + 23 * 32

	.section .bss.page, "aw", @nobits
	.balign 4096
boot_stack:
	.skip 16384
boot_stack_top:

	.section .text.hypercall_page, "ax", @progbits
	.balign 4096
	.globl hypercall_page
hypercall_page:
	.skip 4096, 0xcc

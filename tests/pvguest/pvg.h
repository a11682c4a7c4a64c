/* SPDX-License-Identifier: MIT */
/* State and services shared by the parts of the PV test kernel. */
#ifndef PVG_H
#define PVG_H

#include "lib.h"
#include "xen_abi.h"

extern struct start_info *pvg_si;
extern struct shared_info_head *pvg_shared;

/* console.c: the PV console ring that xenconsoled reads. */
void con_init(void);
void con_write(const char *s, size_t len);
void con_flush(void);
void pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* time.c */
u64 now_ns(void);
u64 tsc_khz(void);
void sleep_ms(u64 ms);

/* mm.c: pseudo-physical <-> machine, a page allocator, test tables. */
u64 virt_to_mfn(const void *va);
void *mfn_to_virt(u64 mfn);
void *alloc_page(void);
u64 pte_maddr(const u64 *table, unsigned int index);

/* xs.c: a minimal, polling xenstore client. */
int xs_read(const char *path, char *buf, size_t size);
int xs_write(const char *path, const char *value);

/* trap.c */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};
/* Return true to resume the faulting instruction, false for fatal. */
typedef bool (*trap_hook_t)(struct trap_frame *f, u64 cr2);
void trap_init(void);
void trap_copy(struct trap_info idt[256]);
void trap_set_hook(trap_hook_t hook);

__attribute__((noreturn)) void pvg_shutdown(unsigned int reason);
__attribute__((noreturn)) void pvg_panic(const char *msg);

#endif

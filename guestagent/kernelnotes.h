/* SPDX-License-Identifier: MIT */
/*
 * What a Linux kernel says about itself in its ELF notes
 * (/sys/kernel/notes): the Xen notes every PV-capable kernel carries, and
 * the ptswitch note by which a patched guest kernel declares that it copes
 * with BATCH mode.  See docs/protocol.md, "Guest kernel capability".
 */
#ifndef PTSWITCH_KERNELNOTES_H
#define PTSWITCH_KERNELNOTES_H

#include <stdbool.h>
#include <stddef.h>

/* The ptswitch note: owner "ptswitch", type 1, descriptor = caps tokens. */
#define PTSWITCH_NOTE_NAME "ptswitch"
#define PTSWITCH_NOTE_CAPS 1

/* Xen note types (Xen's public/elfnote.h) that the agent reports. */
#define XEN_NOTE_HYPERCALL_PAGE 2
#define XEN_NOTE_XEN_VERSION 5
#define XEN_NOTE_GUEST_OS 6
#define XEN_NOTE_GUEST_VERSION 7
#define XEN_NOTE_LOADER 8
#define XEN_NOTE_FEATURES 10

#define KNOTE_STR 64
#define KNOTE_FEATURES 256

struct kernel_notes {
	unsigned int notes;	/* notes seen, any owner */
	unsigned int xen_notes; /* notes owned by "Xen" */
	bool hypercall_page;
	char guest_os[KNOTE_STR];
	char guest_version[KNOTE_STR];
	char xen_version[KNOTE_STR];
	char loader[KNOTE_STR];
	char features[KNOTE_FEATURES]; /* e.g. "!writable_page_tables|..." */
	bool ptswitch;		       /* a ptswitch caps note is present */
	bool ptswitch_valid;	       /* ... and its descriptor parsed */
	unsigned int ptswitch_caps;    /* PROTO_CAP_* bits it declares */
};

/*
 * Parse a notes buffer.  Returns 0, or -EINVAL when the buffer is
 * malformed (what was decoded before the damage is kept in *kn).
 * Unparsable string notes are left empty rather than failing the whole.
 */
int kernel_notes_parse(const void *buf, size_t len, struct kernel_notes *kn);

#endif /* PTSWITCH_KERNELNOTES_H */

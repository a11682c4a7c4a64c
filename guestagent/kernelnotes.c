/* SPDX-License-Identifier: MIT */
/* Interpretation of the kernel's ELF notes: Xen notes and the ptswitch note. */
#include <errno.h>
#include <string.h>

#include "elfnote.h"
#include "kernelnotes.h"
#include "proto.h"

static void take_string(const struct elfnote *n, char *out, size_t size)
{
	/* The first note wins; a garbled one leaves the field empty. */
	if (out[0])
		return;
	if (elfnote_desc_string(n, out, size))
		out[0] = '\0';
}

static void take_xen_note(const struct elfnote *n, struct kernel_notes *kn)
{
	kn->xen_notes++;
	switch (n->type) {
	case XEN_NOTE_HYPERCALL_PAGE:
		kn->hypercall_page = true;
		break;
	case XEN_NOTE_XEN_VERSION:
		take_string(n, kn->xen_version, sizeof(kn->xen_version));
		break;
	case XEN_NOTE_GUEST_OS:
		take_string(n, kn->guest_os, sizeof(kn->guest_os));
		break;
	case XEN_NOTE_GUEST_VERSION:
		take_string(n, kn->guest_version, sizeof(kn->guest_version));
		break;
	case XEN_NOTE_LOADER:
		take_string(n, kn->loader, sizeof(kn->loader));
		break;
	case XEN_NOTE_FEATURES:
		take_string(n, kn->features, sizeof(kn->features));
		break;
	default:
		break;
	}
}

static void take_ptswitch_note(const struct elfnote *n, struct kernel_notes *kn)
{
	char caps[PROTO_MAX_VALUE + 1];
	unsigned int bits;

	if (n->type != PTSWITCH_NOTE_CAPS || kn->ptswitch)
		return;
	kn->ptswitch = true;
	if (elfnote_desc_string(n, caps, sizeof(caps)) ||
	    proto_parse_caps(caps, strlen(caps), &bits))
		return;
	kn->ptswitch_valid = true;
	kn->ptswitch_caps = bits;
}

int kernel_notes_parse(const void *buf, size_t len, struct kernel_notes *kn)
{
	struct elfnote n;
	size_t pos = 0;
	int r;

	memset(kn, 0, sizeof(*kn));
	while ((r = elfnote_next(buf, len, &pos, &n)) == 1) {
		kn->notes++;
		if (!strcmp(n.name, "Xen"))
			take_xen_note(&n, kn);
		else if (!strcmp(n.name, PTSWITCH_NOTE_NAME))
			take_ptswitch_note(&n, kn);
	}
	return r;
}

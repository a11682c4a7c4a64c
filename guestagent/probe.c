/* SPDX-License-Identifier: MIT */
/* The capability probe: facts from /sys, then one verdict with a reason. */
#include <errno.h>
#include <string.h>

#include "probe.h"
#include "proto.h"
#include "sysfile.h"

/*
 * Which of the note's tokens the kernel has in force.  A file that exists
 * but cannot be read or parsed counts as none in force: the kernel has the
 * file, so the note alone must not be believed.
 */
static void read_runtime_caps(const char *root, struct probe_result *r)
{
	char line[PROBE_RUNTIME_CAPS_MAX];
	int rc;

	r->runtime_caps = 0;
	rc = sysfile_read_line(root, PROBE_RUNTIME_CAPS, line, sizeof(line));
	if (rc == -ENOENT)
		r->runtime = PROBE_RUNTIME_ABSENT;
	else if (rc == -EINVAL) /* not one line, or not a regular file */
		r->runtime = PROBE_RUNTIME_MALFORMED;
	else if (rc)
		r->runtime = PROBE_RUNTIME_UNREADABLE;
	else if (proto_parse_caps(line, strlen(line), &r->runtime_caps))
		r->runtime = PROBE_RUNTIME_MALFORMED;
	else
		r->runtime = PROBE_RUNTIME_READ;
}

static void read_facts(const char *root, struct probe_result *r)
{
	unsigned char notes[PROBE_NOTES_MAX];
	char assist[8];
	size_t len;

	if (sysfile_read_line(root, PROBE_HV_TYPE, r->hv_type,
			      sizeof(r->hv_type)))
		r->hv_type[0] = '\0';
	if (sysfile_read_line(root, PROBE_GUEST_TYPE, r->guest_type,
			      sizeof(r->guest_type)))
		r->guest_type[0] = '\0';

	if (!sysfile_read(root, PROBE_NOTES, notes, sizeof(notes), &len)) {
		r->notes_read = true;
		r->notes_ok = !kernel_notes_parse(notes, len, &r->notes);
	}

	r->vm_assist = -1;
	if (!sysfile_read_line(root, PROBE_VM_ASSIST, assist, sizeof(assist)))
		r->vm_assist = !strcmp(assist, "1");

	read_runtime_caps(root, r);
}

static const char *verdict(const struct probe_result *r)
{
	if (strcmp(r->hv_type, "xen"))
		return "not-xen";
	if (strcmp(r->guest_type, "PV"))
		return "not-pv-guest";
	if (!r->notes_read)
		return "kernel-notes-unreadable";
	if (!r->notes_ok)
		return "kernel-notes-malformed";
	if (!r->notes.ptswitch)
		return "kernel-lacks-ptswitch-note";
	if (!r->notes.ptswitch_valid)
		return "kernel-ptswitch-note-malformed";
	if ((r->notes.ptswitch_caps & PROTO_CAPS_BATCH) != PROTO_CAPS_BATCH)
		return "kernel-caps-incomplete";
	if (r->vm_assist != 1)
		return "vm-assist-off";
	if (r->runtime == PROBE_RUNTIME_UNREADABLE)
		return "kernel-caps-unreadable";
	if (r->runtime == PROBE_RUNTIME_MALFORMED)
		return "kernel-caps-malformed";
	if (r->runtime == PROBE_RUNTIME_READ &&
	    (r->runtime_caps & PROTO_CAPS_BATCH) != PROTO_CAPS_BATCH)
		return "kernel-caps-off";
	return NULL;
}

void probe_run(const char *root, struct probe_result *r)
{
	memset(r, 0, sizeof(*r));
	read_facts(root, r);
	r->reason = verdict(r);
	r->batch_ok = !r->reason;
	/*
	 * Publish only what the kernel declares and has switched on: a
	 * kernel with the note but without the opt-in must not look able.
	 */
	if (!strcmp(r->hv_type, "xen") && !strcmp(r->guest_type, "PV") &&
	    r->notes_ok && r->notes.ptswitch_valid && r->vm_assist == 1)
		r->caps = r->notes.ptswitch_caps & PROTO_CAPS_BATCH;
	/* ... and where the kernel lists those in force now, only those. */
	if (r->runtime != PROBE_RUNTIME_ABSENT)
		r->caps &= r->runtime_caps;
}

/* SPDX-License-Identifier: MIT */
/* Human and machine readable snapshots of what the agent would publish. */
#include <inttypes.h>

#include "proto.h"
#include "report.h"

static const char *or_unknown(const char *s)
{
	return s[0] ? s : "(unknown)";
}

static const char *assist_name(int v)
{
	return v < 0 ? "absent" : v ? "on" : "off";
}

/* The kernel's own list of the note's tokens in force, as the probe read it. */
static const char *in_force(const struct probe_result *p, char *buf,
			    size_t size)
{
	if (p->runtime == PROBE_RUNTIME_ABSENT)
		return "absent";
	if (p->runtime == PROBE_RUNTIME_MALFORMED)
		return "malformed";
	if (p->runtime == PROBE_RUNTIME_UNREADABLE)
		return "unreadable";
	proto_format_caps(p->runtime_caps, buf, size);
	return buf;
}

void report_text(FILE *f, const struct probe_result *p, const struct metrics *m)
{
	const struct kernel_notes *kn = &p->notes;
	char caps[PROTO_MAX_VALUE + 1], runtime[PROTO_MAX_VALUE + 1];
	unsigned int i;

	proto_format_caps(p->caps, caps, sizeof(caps));
	fprintf(f, "agent: ptswitch-agent %s\n", PTSWITCH_VERSION);
	fprintf(f, "hypervisor: %s\n", or_unknown(p->hv_type));
	fprintf(f, "guest-type: %s\n", or_unknown(p->guest_type));
	if (!p->notes_read)
		fprintf(f, "kernel-notes: unreadable\n");
	else
		fprintf(f, "kernel-notes: %u notes, %u Xen%s\n", kn->notes,
			kn->xen_notes, p->notes_ok ? "" : ", malformed");
	fprintf(f, "xen-guest-os: %s %s\n", or_unknown(kn->guest_os),
		kn->guest_version);
	fprintf(f, "xen-loader: %s\n", or_unknown(kn->loader));
	fprintf(f, "xen-version-note: %s\n", or_unknown(kn->xen_version));
	fprintf(f, "xen-features: %s\n", or_unknown(kn->features));
	fprintf(f, "ptswitch-note: %s\n",
		!kn->ptswitch	     ? "absent"
		: kn->ptswitch_valid ? "present"
				     : "malformed");
	fprintf(f, "vm-assist: %s\n", assist_name(p->vm_assist));
	fprintf(f, "kernel-caps-in-force: %s\n",
		in_force(p, runtime, sizeof(runtime)));
	fprintf(f, "caps: %s\n", caps);
	if (p->batch_ok)
		fprintf(f, "batch: yes\n");
	else
		fprintf(f, "batch: no (%s)\n", p->reason);
	for (i = 0; i < metric_count; i++)
		if (m->present[i])
			fprintf(f, "metric %s: %" PRIu64 "\n",
				metric_defs[i].name, m->value[i]);
}

/*
 * The strings come from the kernel's notes and /sys: anything but
 * printable ASCII is escaped, so the output is always valid JSON (bytes
 * above 0x7e as \u00XX: the notes declare no encoding).
 */
void report_json_string(FILE *f, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;

	fputc('"', f);
	for (; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", f);
		else if (*c == '\t')
			fputs("\\t", f);
		else if (*c < 0x20 || *c > 0x7e)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

void report_json(FILE *f, const struct probe_result *p, const struct metrics *m)
{
	const struct kernel_notes *kn = &p->notes;
	char caps[PROTO_MAX_VALUE + 1], runtime[PROTO_MAX_VALUE + 1];
	const char *sep = "";
	unsigned int i;

	proto_format_caps(p->caps, caps, sizeof(caps));
	fprintf(f, "{\"agent\":\"ptswitch-agent %s\",\"hypervisor\":",
		PTSWITCH_VERSION);
	report_json_string(f, p->hv_type);
	fputs(",\"guest_type\":", f);
	report_json_string(f, p->guest_type);
	fprintf(f,
		",\"kernel_notes\":{\"readable\":%s,\"well_formed\":%s,"
		"\"notes\":%u,\"xen_notes\":%u,\"guest_os\":",
		p->notes_read ? "true" : "false",
		p->notes_ok ? "true" : "false", kn->notes, kn->xen_notes);
	report_json_string(f, kn->guest_os);
	fputs(",\"guest_version\":", f);
	report_json_string(f, kn->guest_version);
	fputs(",\"xen_version\":", f);
	report_json_string(f, kn->xen_version);
	fputs(",\"loader\":", f);
	report_json_string(f, kn->loader);
	fputs(",\"features\":", f);
	report_json_string(f, kn->features);
	fprintf(f, ",\"hypercall_page\":%s,\"ptswitch_note\":\"%s\"}",
		kn->hypercall_page ? "true" : "false",
		!kn->ptswitch	     ? "absent"
		: kn->ptswitch_valid ? "present"
				     : "malformed");
	fprintf(f, ",\"vm_assist\":\"%s\",\"caps_in_force\":",
		assist_name(p->vm_assist));
	report_json_string(f, in_force(p, runtime, sizeof(runtime)));
	fputs(",\"caps\":", f);
	report_json_string(f, caps);
	fprintf(f, ",\"batch\":%s,\"reason\":", p->batch_ok ? "true" : "false");
	if (p->reason)
		report_json_string(f, p->reason);
	else
		fputs("null", f);
	fputs(",\"metrics\":{", f);
	for (i = 0; i < metric_count; i++) {
		if (!m->present[i])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, sep, metric_defs[i].name,
			m->value[i]);
		sep = ",";
	}
	fputs("}}\n", f);
}

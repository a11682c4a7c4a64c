/* SPDX-License-Identifier: MIT */
/*
 * pt-domctl: issue the ptswitch domctl (XEN_DOMCTL_pt_mode) directly,
 * bypassing ptswitchd, so tests can show what the hypervisor itself
 * allows.  In dom0:
 *
 *   pt-domctl get-mode DOMID
 *   pt-domctl set-mode DOMID emulate|batch
 *   pt-domctl get-stats DOMID
 *
 * and, to probe the hypervisor's argument checks (no stats buffer):
 *
 *   pt-domctl raw DOMID OP MODE FLAGS [SIZE]   (prints "op mode flags size")
 *
 * and, on a debug hypervisor built with CONFIG_PT_BATCH_AUDIT, an audit of
 * the domain's page tables against BATCH's invariants (Xen pauses the
 * domain for it; hv-patches 0017):
 *
 *   pt-domctl audit DOMID   (prints "key value" lines, violations last)
 *
 * and what a save or migration would record of the guest's consent (the
 * vm_assist word of vCPU 0's context, XEN_DOMCTL_getvcpucontext):
 *
 *   pt-domctl saved-vm-assist DOMID   (prints "vm_assist 0x... pt_batch 0|1")
 *
 * and a live context change of vCPU 0 (the domain paused, vCPU 0's context
 * read, the vCPU reset and given that context back, each through
 * XEN_DOMCTL_setvcpucontext), which must not take the running guest's
 * consent away:
 *
 *   pt-domctl rewrite-context DOMID   (prints "context rewritten")
 *
 * and the host's free memory in pages (XEN_SYSCTL_physinfo), exact where
 * `xl info` rounds to MB, so that a test can tell whether a destroyed
 * domain gave every page back:
 *
 *   pt-domctl free-pages   (prints the number)
 *
 * Inside a guest (root), to give or withdraw the guest's consent to BATCH
 * (VMASST_TYPE_pt_batch) the way an opted-in kernel would:
 *
 *   pt-domctl vm-assist enable|disable
 *
 * get-mode prints the mode alone ("emulate" or "batch"); get-stats prints
 * "key value" lines (mode, opted_in, then every counter).  On failure the
 * hypervisor's errno is printed as "error NAME" on stdout plus a message
 * on stderr; exit status 1.  Usage errors exit with 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xencall.h>
#include <xenctrl.h>

#include "pt_domctl.h"
#include "pt_xc.h"
#include "ptswitch.h"

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: pt-domctl get-mode DOMID\n"
	    "       pt-domctl set-mode DOMID emulate|batch\n"
	    "       pt-domctl get-stats DOMID\n"
	    "       pt-domctl audit DOMID\n"
	    "       pt-domctl saved-vm-assist DOMID\n"
	    "       pt-domctl rewrite-context DOMID\n"
	    "       pt-domctl free-pages\n"
	    "       pt-domctl vm-assist enable|disable   (inside a guest)\n");
	exit(2);
}

static unsigned int parse_domid(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v >= 0x7ff0)
		usage();
	return (unsigned int)v;
}

static int fail(const char *what, int err)
{
	const char *name = strerrorname_np(-err);

	printf("error %s\n", name ? name : "unknown");
	fprintf(stderr, "pt-domctl: %s: %s\n", what, strerror(-err));
	return 1;
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case PT_DOMCTL_MODE_EMULATE:
		return "emulate";
	case PT_DOMCTL_MODE_BATCH:
		return "batch";
	default:
		return "unknown";
	}
}

static void print_stats(const struct pt_stats *st)
{
	unsigned int i;

	printf("emulated_writes %" PRIu64 "\n", st->emulated_writes);
	for (i = 0; i < PT_HIST_BUCKETS; i++)
		printf("emul_runs.%s %" PRIu64 "\n", pt_hist_label[i],
		       st->emul_runs[i]);
	printf("batches %" PRIu64 "\n", st->batches);
	printf("batch_ptes %" PRIu64 "\n", st->batch_ptes);
	for (i = 0; i < PT_HIST_BUCKETS; i++)
		printf("batch_hist.%s %" PRIu64 "\n", pt_hist_label[i],
		       st->batch_hist[i]);
	for (i = 0; i < PT_FLUSH_REASONS; i++)
		printf("flush.%s %" PRIu64 "\n", pt_flush_reason_name(i),
		       st->flush_reason[i]);
	printf("spurious_faults %" PRIu64 "\n", st->spurious_faults);
	printf("unhook_refused %" PRIu64 "\n", st->unhook_refused);
	printf("revalidation_failures %" PRIu64 "\n",
	       st->revalidation_failures);
}

static uint32_t parse_u32(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX)
		usage();
	return (uint32_t)v;
}

/* Any field values, a NULL stats handle: Xen's checks, not ours. */
static int raw(xc_interface *xch, unsigned int domid, int argc, char **argv)
{
	struct pt_domctl_op op = {
	    .op = parse_u32(argv[3]),
	    .mode = parse_u32(argv[4]),
	    .flags = parse_u32(argv[5]),
	    .size = argc > 6 ? parse_u32(argv[6]) : 0,
	};
	char what[32];
	int err;

	snprintf(what, sizeof(what), "raw dom%u", domid);
	err = pt_xc_op(xch, domid, &op);
	if (err)
		return fail(what, err);
	printf("%u %u %u %u\n", op.op, op.mode, op.flags, op.size);
	return 0;
}

/*
 * XEN_DOMCTL_PT_MODE_OP_audit and struct xen_domctl_pt_audit: a test
 * interface of debug builds only (hv-patches 0017), so it is kept here
 * rather than in common/pt_domctl.h with the ABI the daemon uses.
 */
#define PT_DOMCTL_OP_AUDIT 3
struct pt_domctl_audit {
	uint64_t pages, tables[4], partial_tables, entries;
	uint64_t writable_tables, wrong_type, count_mismatch, writable_short;
	uint64_t batch_state, foreign_maps, first_bad_mfn, counts_skipped;
	uint64_t refs_short; /* since stop 21: absent from older builds */
};

static int audit(xc_interface *xch, unsigned int domid, const char *what)
{
	DECLARE_HYPERCALL_BUFFER(struct pt_domctl_audit, a);
	struct pt_domctl_op op = {.op = PT_DOMCTL_OP_AUDIT};
	uint64_t bad;
	int err;

	a = xc_hypercall_buffer_alloc(xch, a, sizeof(*a));
	if (!a)
		return fail(what, -ENOMEM);
	memset(a, 0, sizeof(*a));
	op.size = sizeof(*a);
	op.stats = HYPERCALL_BUFFER_AS_ARG(a);
	err = pt_xc_op(xch, domid, &op);
	if (err) {
		xc_hypercall_buffer_free(xch, a);
		return fail(what, err);
	}
	bad = a->writable_tables + a->wrong_type + a->count_mismatch +
	      a->writable_short + a->batch_state + a->foreign_maps +
	      a->refs_short;
	printf("pages %" PRIu64 "\ntables.l1 %" PRIu64 "\ntables.l2 %" PRIu64
	       "\ntables.l3 %" PRIu64 "\ntables.l4 %" PRIu64
	       "\npartial_tables %" PRIu64 "\nentries %" PRIu64
	       "\nwritable_tables %" PRIu64 "\nwrong_type %" PRIu64
	       "\ncount_mismatch %" PRIu64 "\nwritable_short %" PRIu64
	       "\nbatch_state %" PRIu64 "\nforeign_maps %" PRIu64
	       "\ncounts_skipped %" PRIu64 "\nfirst_bad_mfn 0x%" PRIx64
	       "\nviolations %" PRIu64 "\n",
	       a->pages, a->tables[0], a->tables[1], a->tables[2], a->tables[3],
	       a->partial_tables, a->entries, a->writable_tables, a->wrong_type,
	       a->count_mismatch, a->writable_short, a->batch_state,
	       a->foreign_maps, a->counts_skipped, a->first_bad_mfn, bad);
	/* A hypervisor that does not check it says so by its size. */
	if (op.size >= sizeof(*a))
		printf("refs_short %" PRIu64 "\n", a->refs_short);
	else
		printf("refs_short unchecked\n");
	xc_hypercall_buffer_free(xch, a);
	return 0;
}

/* The guest's own vm_assist hypercall, through privcmd. */
static int vm_assist(const char *how)
{
	unsigned int cmd;
	xencall_handle *xcall;
	long rc;

	if (!strcmp(how, "enable"))
		cmd = 0; /* VMASST_CMD_enable */
	else if (!strcmp(how, "disable"))
		cmd = 1; /* VMASST_CMD_disable */
	else
		usage();
	xcall = xencall_open(NULL, 0);
	if (!xcall)
		return fail("open privcmd", errno ? -errno : -ENODEV);
	errno = 0;
	rc = xencall2(xcall, __HYPERVISOR_vm_assist, cmd,
		      PT_VMASST_TYPE_PT_BATCH);
	xencall_close(xcall);
	if (rc < 0)
		return fail("vm_assist", errno ? -errno : -EIO);
	printf("vm_assist %s %d\n", how, PT_VMASST_TYPE_PT_BATCH);
	return 0;
}

/* vCPU 0's vm_assist as xl save / migrate would record it. */
static int saved_vm_assist(xc_interface *xch, unsigned int domid)
{
	vcpu_guest_context_any_t ctx;
	uint64_t va;

	if (xc_vcpu_getcontext(xch, domid, 0, &ctx))
		return fail("getvcpucontext", errno ? -errno : -EIO);
	va = ctx.x64.vm_assist;
	printf("vm_assist 0x%" PRIx64 " pt_batch %d\n", va,
	       (int)((va >> PT_VMASST_TYPE_PT_BATCH) & 1));
	return 0;
}

/*
 * vCPU 0 reset and given back the context it had, with the domain paused
 * so that nothing runs in between: a no-op for the guest, except for what
 * Xen does with the domain-wide vm_assist word.  Xen only takes a
 * context's vm_assist for a vCPU 0 that is not initialised, hence the
 * reset (a NULL context).
 */
static int rewrite_context(xc_interface *xch, unsigned int domid)
{
	vcpu_guest_context_any_t ctx;
	int err = 0;

	if (xc_domain_pause(xch, domid))
		return fail("pause", errno ? -errno : -EIO);
	if (xc_vcpu_getcontext(xch, domid, 0, &ctx))
		err = fail("getvcpucontext", errno ? -errno : -EIO);
	else if (xc_vcpu_setcontext(xch, domid, 0, NULL))
		err = fail("reset vcpu", errno ? -errno : -EIO);
	else if (xc_vcpu_setcontext(xch, domid, 0, &ctx))
		err = fail("setvcpucontext", errno ? -errno : -EIO);
	if (xc_domain_unpause(xch, domid) && !err)
		err = fail("unpause", errno ? -errno : -EIO);
	if (!err)
		printf("context rewritten\n");
	return err;
}

static int free_pages(void)
{
	xc_interface *xch = xc_interface_open(NULL, NULL, 0);
	xc_physinfo_t info;
	int err = 0;

	if (!xch)
		return fail("open libxenctrl", errno ? -errno : -ENODEV);
	memset(&info, 0, sizeof(info));
	if (xc_physinfo(xch, &info))
		err = fail("physinfo", errno ? -errno : -EIO);
	else
		printf("%" PRIu64 "\n", (uint64_t)info.free_pages);
	xc_interface_close(xch);
	return err;
}

int main(int argc, char **argv)
{
	xc_interface *xch;
	struct pt_stats st;
	uint32_t mode, flags;
	unsigned int domid;
	char what[64];
	int err, ret = 0;

	if (argc == 3 && !strcmp(argv[1], "vm-assist"))
		return vm_assist(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "free-pages"))
		return free_pages();
	if (argc < 3)
		usage();
	domid = parse_domid(argv[2]);
	snprintf(what, sizeof(what), "%s dom%u", argv[1], domid);

	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch)
		return fail("open libxenctrl", errno ? -errno : -ENODEV);

	if (!strcmp(argv[1], "get-mode") && argc == 3) {
		err = pt_xc_get_mode(xch, domid, &mode, &flags);
		if (err)
			ret = fail(what, err);
		else
			printf("%s\n", mode_name(mode));
	} else if (!strcmp(argv[1], "set-mode") && argc == 4) {
		if (!strcmp(argv[3], "emulate"))
			mode = PT_DOMCTL_MODE_EMULATE;
		else if (!strcmp(argv[3], "batch"))
			mode = PT_DOMCTL_MODE_BATCH;
		else
			usage();
		err = pt_xc_set_mode(xch, domid, mode);
		if (err)
			ret = fail(what, err);
		else
			printf("%s\n", mode_name(mode));
	} else if (!strcmp(argv[1], "raw") && (argc == 6 || argc == 7)) {
		ret = raw(xch, domid, argc, argv);
	} else if (!strcmp(argv[1], "audit") && argc == 3) {
		ret = audit(xch, domid, what);
	} else if (!strcmp(argv[1], "saved-vm-assist") && argc == 3) {
		ret = saved_vm_assist(xch, domid);
	} else if (!strcmp(argv[1], "rewrite-context") && argc == 3) {
		ret = rewrite_context(xch, domid);
	} else if (!strcmp(argv[1], "get-stats") && argc == 3) {
		err = pt_xc_get_stats(xch, domid, &st, &mode, &flags);
		if (err) {
			ret = fail(what, err);
		} else {
			printf("mode %s\nopted_in %d\n", mode_name(mode),
			       !!(flags & PT_DOMCTL_F_OPTED_IN));
			print_stats(&st);
		}
	} else {
		xc_interface_close(xch);
		usage();
	}
	xc_interface_close(xch);
	return ret;
}

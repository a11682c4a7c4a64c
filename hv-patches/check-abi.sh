#!/bin/sh
# SPDX-License-Identifier: MIT
# Check that common/pt_domctl.h matches the public headers of a patched
# build exactly (constants, sizes, every field offset).
#
#   hv-patches/check-abi.sh OUTDIR     (OUTDIR from build-xen.sh)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
inc=$(cd "$1" && pwd)/include
[ -f "$inc/xen/domctl.h" ] || {
	echo "check-abi: no patched headers in $inc" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/abi.c" <<'EOC'
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/domctl.h>

#include "pt_domctl.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " == " #b)
#define FIELD(f)                                                        \
	SAME(offsetof(struct xen_domctl_pt_stats, f),                   \
	     offsetof(struct pt_domctl_stats, f));                      \
	SAME(sizeof(((struct xen_domctl_pt_stats *)0)->f),              \
	     sizeof(((struct pt_domctl_stats *)0)->f))
#define OPFIELD(f)                                                      \
	SAME(offsetof(struct xen_domctl_pt_mode, f),                    \
	     offsetof(struct pt_domctl_op, f));                         \
	SAME(sizeof(((struct xen_domctl_pt_mode *)0)->f),               \
	     sizeof(((struct pt_domctl_op *)0)->f))

SAME(XEN_DOMCTL_pt_mode, PT_DOMCTL_CMD);
SAME(XEN_DOMCTL_INTERFACE_VERSION, 0x15);
SAME(VMASST_TYPE_pt_batch, PT_VMASST_TYPE_PT_BATCH);
SAME(XEN_DOMCTL_PT_MODE_OP_get, PT_DOMCTL_OP_GET);
SAME(XEN_DOMCTL_PT_MODE_OP_set, PT_DOMCTL_OP_SET);
SAME(XEN_DOMCTL_PT_MODE_OP_get_stats, PT_DOMCTL_OP_GET_STATS);
SAME(XEN_DOMCTL_PT_MODE_EMULATE, PT_DOMCTL_MODE_EMULATE);
SAME(XEN_DOMCTL_PT_MODE_BATCH, PT_DOMCTL_MODE_BATCH);
SAME(XEN_DOMCTL_PT_MODE_F_opted_in, PT_DOMCTL_F_OPTED_IN);
SAME(XEN_DOMCTL_PT_HIST_BUCKETS, PT_DOMCTL_HIST_BUCKETS);
SAME(XEN_DOMCTL_PT_FLUSH_REASONS, PT_DOMCTL_FLUSH_REASONS);

SAME(sizeof(struct xen_domctl_pt_mode), sizeof(struct pt_domctl_op));
OPFIELD(op);
OPFIELD(mode);
OPFIELD(flags);
OPFIELD(size);
OPFIELD(stats);

SAME(sizeof(struct xen_domctl_pt_stats), sizeof(struct pt_domctl_stats));
FIELD(emulated_writes);
FIELD(emul_runs);
FIELD(batches);
FIELD(batch_ptes);
FIELD(batch_hist);
FIELD(flush_reason);
FIELD(spurious_faults);
FIELD(unhook_refused);
FIELD(revalidation_failures);

int main(void)
{
	return 0;
}
EOC

if ! cc -std=gnu11 -Wall -Wextra -Werror -D__XEN_TOOLS__ -I"$inc" \
	-I"$repo/common" -o "$tmp/abi" "$tmp/abi.c" 2>"$tmp/err"; then
	grep 'error' "$tmp/err" | head -n 20 >&2
	echo "check-abi: common/pt_domctl.h does NOT match $inc/xen" >&2
	exit 1
fi
echo "check-abi: common/pt_domctl.h matches $inc/xen/domctl.h"

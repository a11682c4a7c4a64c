#!/bin/sh
# SPDX-License-Identifier: MIT
# Check that common/pt_domctl.h matches the public headers of a patched
# build exactly (constants, sizes, every field offset), and that the
# series' four numbers (the domctl, the VM-assist type, the mmuext op, the
# feature flag)
# collide with nothing else in those headers or, given --upstream, in the
# public headers of a Xen checkout (upstream staging, a stable branch):
#
#   hv-patches/check-abi.sh OUTDIR           (OUTDIR from build-xen.sh)
#   hv-patches/check-abi.sh --upstream XEN   (a Xen source checkout)
#
# The numbers are out of tree, so nothing stops upstream from taking them
# one day; this is how a port finds out (hv-patches/README.md, "ABI").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

# The series' numbers, from the header the tools use.
ours() {
	awk -v n="$1" '$1 == "#define" && $2 == n { print $3 }' \
		"$repo/common/pt_domctl.h"
}
pt_domctl=$(ours PT_DOMCTL_CMD)
pt_vmasst=$(ours PT_VMASST_TYPE_PT_BATCH)
pt_mmuext=$(ours PT_MMUEXT_FLUSH_PT_BATCH)
pt_xenfeat=$(ours PT_XENFEAT_PT_BATCH_OPEN)

# collisions DIR: other defines of DIR/{domctl,xen}.h that take one of our
# numbers in the same namespace (domctl commands are the lower-case
# XEN_DOMCTL_* names; mmuext commands MMUEXT_*; VM-assists VMASST_TYPE_*;
# feature flags XENFEAT_* of features.h).
collisions() {
	awk -v dc="$pt_domctl" -v va="$pt_vmasst" -v mx="$pt_mmuext" \
		-v xf="$pt_xenfeat" '
	function num(s,  v, i) {
		if (s !~ /^0[xX]/)
			return s + 0
		v = 0
		for (i = 3; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef",
					   tolower(substr(s, i, 1))) - 1
		return v
	}
	$1 != "#define" || $3 !~ /^(0[xX][0-9a-fA-F]+|[0-9]+)$/ { next }
	$2 ~ /^XEN_DOMCTL_[a-z][a-z0-9_]*$/ && $2 != "XEN_DOMCTL_pt_mode" &&
		num($3) == num(dc) { print FILENAME ": " $2 " " $3; bad = 1 }
	$2 ~ /^VMASST_TYPE_/ && $2 != "VMASST_TYPE_pt_batch" &&
		num($3) == num(va) { print FILENAME ": " $2 " " $3; bad = 1 }
	$2 ~ /^MMUEXT_[A-Z0-9_]*$/ && $2 != "MMUEXT_FLUSH_PT_BATCH" &&
		num($3) == num(mx) { print FILENAME ": " $2 " " $3; bad = 1 }
	$2 ~ /^XENFEAT_/ && $2 != "XENFEAT_pt_batch_open" &&
		$2 != "XENFEAT_NR_SUBMAPS" &&
		num($3) == num(xf) { print FILENAME ": " $2 " " $3; bad = 1 }
	END { exit bad }' "$1/domctl.h" "$1/xen.h" "$1/features.h"
}

if [ $# -eq 2 ] && [ "$1" = --upstream ]; then
	pub=$2/xen/include/public
	[ -f "$pub/domctl.h" ] || {
		echo "check-abi: no $pub/domctl.h: not a Xen checkout" >&2
		exit 2
	}
	if ! collisions "$pub" >&2; then
		echo "check-abi: $2 takes a number of the series (above)" >&2
		exit 1
	fi
	echo "check-abi: $2 ($(git -C "$2" describe --always 2>/dev/null ||
		echo "no git")) leaves domctl $pt_domctl, VM-assist" \
		"$pt_vmasst, mmuext $pt_mmuext and feature $pt_xenfeat free"
	exit 0
fi
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR | --upstream XEN" >&2; exit 2; }
inc=$(cd "$1" && pwd)/include
[ -f "$inc/xen/domctl.h" ] || {
	echo "check-abi: no patched headers in $inc" >&2
	exit 1
}

# The release the headers are of (build-info, from build-xen.sh; 4.17
# before it said), and the domctl interface version that release keeps.
release=$(sed -n 's/^release=//p' "$1/build-info" 2>/dev/null)
release=${release:-4.17}
iface=$(awk -v n="PT_DOMCTL_INTERFACE_$(echo "$release" | tr . _)" \
	'$1 == "#define" && $2 == n { print $3 }' "$repo/common/pt_domctl.h")
[ -n "$iface" ] || {
	echo "check-abi: common/pt_domctl.h has no interface for Xen $release" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/abi.c" <<'EOC'
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/features.h>

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
SAME(XEN_DOMCTL_INTERFACE_VERSION, PT_TEST_INTERFACE);
_Static_assert(PT_DOMCTL_HAS_SERIES(XEN_DOMCTL_INTERFACE_VERSION),
	       "the tools would not issue the op for these headers");
SAME(VMASST_TYPE_pt_batch, PT_VMASST_TYPE_PT_BATCH);
SAME(MMUEXT_FLUSH_PT_BATCH, PT_MMUEXT_FLUSH_PT_BATCH);
SAME(XENFEAT_pt_batch_open, PT_XENFEAT_PT_BATCH_OPEN);
/* In the padding after evtchn_upcall_mask, where the guests read it. */
SAME(offsetof(struct vcpu_info, pt_batch_open), 2);
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
	-DPT_TEST_INTERFACE="$iface" \
	-I"$repo/common" -o "$tmp/abi" "$tmp/abi.c" 2>"$tmp/err"; then
	grep 'error' "$tmp/err" | head -n 20 >&2
	echo "check-abi: common/pt_domctl.h does NOT match $inc/xen" >&2
	exit 1
fi
echo "check-abi: common/pt_domctl.h matches $inc/xen/domctl.h" \
	"(Xen $release, domctl interface $iface)"
if ! collisions "$inc/xen" >&2; then
	echo "check-abi: another op of $inc/xen takes a number of the series" >&2
	exit 1
fi
echo "check-abi: domctl $pt_domctl, VM-assist $pt_vmasst, mmuext" \
	"$pt_mmuext and feature $pt_xenfeat are the series' alone in $inc/xen"

#!/bin/bash
# SPDX-License-Identifier: MIT
# The series' guest- and tool-visible numbers (the domctl, the VM-assist
# type, the mmuext op, and since hv-patches 0018 the feature flag) are
# written in up to eight places: the public headers of the Xen 4.17
# series and of its 4.20 port (hv-patches/xen-4.20), common/pt_domctl.h
# (the tools), the Linux series for 6.1, for 6.12 and for mainline, and
# the PV test kernel.  They must agree, and check-abi.sh must notice when
# an upstream header takes one of them (hv-patches/README.md, "ABI").
# The mainline form has no feature flag yet.
. "$(dirname "$0")/lib.sh"

num() { echo $(($1)); } # decimal, from decimal or hex

# added NAME FILE...: the value a "+#define NAME" line of the patches gives.
added() {
	local n=$1
	shift
	awk -v n="$n" '$1 == "+#define" && $2 == n { print $3; exit }' "$@"
}
defined() {
	awk -v n="$1" '$1 == "#define" && $2 == n { print $3; exit }' "$2"
}

hv=("$TOP"/hv-patches/0*.patch)
hv420=("$TOP"/hv-patches/xen-4.20/0*.patch)
lx=("$TOP"/guestagent/linux-patches/0*.patch)
lx612=("$TOP"/guestagent/linux-patches/linux-6.12/0*.patch)
lxml=("$TOP"/guestagent/linux-patches/mainline/0*.patch)
pd=$TOP/common/pt_domctl.h
pv=$TOP/tests/pvguest/xen_abi.h

domctl=$(defined PT_DOMCTL_CMD "$pd")
vmasst=$(defined PT_VMASST_TYPE_PT_BATCH "$pd")
mmuext=$(defined PT_MMUEXT_FLUSH_PT_BATCH "$pd")
xenfeat=$(defined PT_XENFEAT_PT_BATCH_OPEN "$pd")
check "pt_domctl.h names the feature flag ($xenfeat)" test -n "$xenfeat"
check "pt_domctl.h names all three ($domctl, $vmasst, $mmuext)" \
	test -n "$domctl" -a -n "$vmasst" -a -n "$mmuext"

same() { # same WHAT VALUE WANT
	check "$1 is $3 (got '${2:-none}')" \
		test -n "$2" -a "$(num "${2:-0}")" = "$(num "$3")"
}
same "hv-patches' XEN_DOMCTL_pt_mode" \
	"$(added XEN_DOMCTL_pt_mode "${hv[@]}")" "$domctl"
same "hv-patches' VMASST_TYPE_pt_batch" \
	"$(added VMASST_TYPE_pt_batch "${hv[@]}")" "$vmasst"
same "hv-patches' MMUEXT_FLUSH_PT_BATCH" \
	"$(added MMUEXT_FLUSH_PT_BATCH "${hv[@]}")" "$mmuext"
same "hv-patches/xen-4.20's XEN_DOMCTL_pt_mode" \
	"$(added XEN_DOMCTL_pt_mode "${hv420[@]}")" "$domctl"
same "hv-patches/xen-4.20's VMASST_TYPE_pt_batch" \
	"$(added VMASST_TYPE_pt_batch "${hv420[@]}")" "$vmasst"
same "hv-patches/xen-4.20's MMUEXT_FLUSH_PT_BATCH" \
	"$(added MMUEXT_FLUSH_PT_BATCH "${hv420[@]}")" "$mmuext"
same "the Linux series' VMASST_TYPE_pt_batch" \
	"$(added VMASST_TYPE_pt_batch "${lx[@]}")" "$vmasst"
same "the Linux series' MMUEXT_FLUSH_PT_BATCH" \
	"$(added MMUEXT_FLUSH_PT_BATCH "${lx[@]}")" "$mmuext"
same "the Linux 6.12 series' VMASST_TYPE_pt_batch" \
	"$(added VMASST_TYPE_pt_batch "${lx612[@]}")" "$vmasst"
same "the Linux 6.12 series' MMUEXT_FLUSH_PT_BATCH" \
	"$(added MMUEXT_FLUSH_PT_BATCH "${lx612[@]}")" "$mmuext"
same "the Linux mainline series' VMASST_TYPE_pt_batch" \
	"$(added VMASST_TYPE_pt_batch "${lxml[@]}")" "$vmasst"
same "the Linux mainline series' MMUEXT_FLUSH_PT_BATCH" \
	"$(added MMUEXT_FLUSH_PT_BATCH "${lxml[@]}")" "$mmuext"
same "the PV test kernel's PVG_VMASST_PT_BATCH" \
	"$(defined PVG_VMASST_PT_BATCH "$pv")" "$vmasst"
same "the PV test kernel's PVG_MMUEXT_FLUSH_BATCH" \
	"$(defined PVG_MMUEXT_FLUSH_BATCH "$pv")" "$mmuext"
same "hv-patches' XENFEAT_pt_batch_open" \
	"$(added XENFEAT_pt_batch_open "${hv[@]}")" "$xenfeat"
same "hv-patches/xen-4.20's XENFEAT_pt_batch_open" \
	"$(added XENFEAT_pt_batch_open "${hv420[@]}")" "$xenfeat"
same "the Linux series' XENFEAT_pt_batch_open" \
	"$(added XENFEAT_pt_batch_open "${lx[@]}")" "$xenfeat"
same "the Linux 6.12 series' XENFEAT_pt_batch_open" \
	"$(added XENFEAT_pt_batch_open "${lx612[@]}")" "$xenfeat"
same "the PV test kernel's PVG_XENFEAT_PT_BATCH_OPEN" \
	"$(defined PVG_XENFEAT_PT_BATCH_OPEN "$pv")" "$xenfeat"

# check-abi.sh --upstream on a made-up checkout: clean, then with each
# number taken by a new upstream op, written in the other base.
work=$(mktemp -d "${TMPDIR:-/tmp}/ptswitch-abi.XXXXXX")
trap 'rm -rf "$work"' EXIT
up=$work/xen/xen/include/public
mkdir -p "$up"
upstream() { # upstream EXTRA_DOMCTL EXTRA_XEN [EXTRA_FEATURES]
	printf '#define XEN_DOMCTL_dt_overlay 87\n%s\n' "$1" >"$up/domctl.h"
	printf '#define VMASST_TYPE_m2p_strict 32\n#define MMUEXT_UNMARK_SUPER 20\n%s\n' \
		"$2" >"$up/xen.h"
	printf '#define XENFEAT_dm_msix_all_writes 20\n#define XENFEAT_NR_SUBMAPS 1\n%s\n' \
		"${3:-}" >"$up/features.h"
}
abi() { "$TOP/hv-patches/check-abi.sh" --upstream "$work/xen" >/dev/null 2>&1; }
upstream "" ""
check "check-abi.sh passes a checkout that leaves the numbers free" abi
upstream "#define XEN_DOMCTL_new_op $(num "$domctl")" ""
check "check-abi.sh fails when upstream takes domctl $domctl" eval '! abi'
upstream "" "#define VMASST_TYPE_new $(printf '0x%x' "$(num "$vmasst")")"
check "check-abi.sh fails when upstream takes VM-assist $vmasst" eval '! abi'
upstream "" "#define MMUEXT_NEW_OP $(num "$mmuext")"
check "check-abi.sh fails when upstream takes mmuext $mmuext" eval '! abi'
upstream "" "" "#define XENFEAT_new_feature $(num "$xenfeat")"
check "check-abi.sh fails when upstream takes feature $xenfeat" eval '! abi'
upstream "" "#define MMUEXT_FLUSH_PT_BATCH $(num "$mmuext")"
check "check-abi.sh accepts the series' own name for its number" abi
upstream "" "" "#define XENFEAT_pt_batch_open $(num "$xenfeat")"
check "check-abi.sh accepts the series' own name for its feature" abi

echo "$T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]

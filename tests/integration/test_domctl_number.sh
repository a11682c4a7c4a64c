#!/bin/bash
# SPDX-License-Identifier: MIT
# The ptswitch domctl's number (common/pt_domctl.h) against the Xen
# headers the build uses.  Where the build may issue the op (the headers'
# XEN_DOMCTL_INTERFACE_VERSION is PT_DOMCTL_INTERFACE_VERSION), no domctl
# of those headers may have the number.  Elsewhere (trixie's Xen 4.20)
# the op is compiled out: daemon/pt_xc.o must not call xc_domctl (and
# unit/test_pt_domctl checks every call fails without a hypercall).
. "$(dirname "$0")/lib.sh"

hdr=$(pkg-config --variable=includedir xencontrol 2>/dev/null)/xen/domctl.h
[ -f "$hdr" ] || hdr=/usr/include/xen/domctl.h
check "the build's Xen domctl.h exists ($hdr)" test -f "$hdr"

def() { # def NAME FILE: the value of #define NAME
	awk -v n="$1" '$1 == "#define" && $2 == n { print $3; exit }' "$2"
}
cmd=$(def PT_DOMCTL_CMD "$TOP/common/pt_domctl.h")
want=$(def PT_DOMCTL_INTERFACE_VERSION "$TOP/common/pt_domctl.h")
have=$(def XEN_DOMCTL_INTERFACE_VERSION "$hdr")
check "pt_domctl.h gives a number ($cmd) and an interface ($want)" \
	test -n "$cmd" -a -n "$want"
check "domctl.h gives its interface version ($have)" test -n "$have"

# Compared as numbers: the headers write decimal, pt_domctl.h hex.
owner=
while read -r name val; do
	[ $((val)) -eq $((cmd)) ] && owner=$name && break
done < <(awk '$1 == "#define" && $2 ~ /^XEN_DOMCTL_[a-z]/ &&
	$3 ~ /^(0x[0-9a-fA-F]+|[0-9]+)$/ { print $2, $3 }' "$hdr")
if [ -n "$have" ] && [ $((have)) -eq $((want)) ]; then
	check "domctl $cmd is free in these headers${owner:+ (it is $owner)}" \
		test -z "$owner"
else
	echo "# interface $have has no ptswitch series; domctl $cmd is" \
		"${owner:-free} there, and never issued"
	# The one place that issues it has no domctl call in this build.
	obj=$PTSWITCH_BUILD/obj/daemon/pt_xc.o
	check "$obj is built" test -f "$obj"
	check "pt_xc.o calls no xc_domctl here" \
		eval "! nm '$obj' | grep -q ' U xc_domctl\$'"
fi
echo "$T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]

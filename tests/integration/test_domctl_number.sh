#!/bin/bash
# SPDX-License-Identifier: MIT
# The ptswitch domctl's number (common/pt_domctl.h) against the Xen
# headers the build uses.  hv-patches/ has a series for the domctl
# interfaces pt_domctl.h lists (PT_DOMCTL_INTERFACE_*: 4.17's 0x15 and
# 4.20's 0x17).  Built against one of them, the build issues the op
# (daemon/pt_xc.o calls xc_domctl) and no domctl of those headers may
# have the number.  Built against any other, the op is compiled out: shown
# here by building pt_xc.c against a copy of the headers whose interface
# version is one no series exists for (and unit/test_pt_domctl checks
# that every call then fails without a hypercall).
. "$(dirname "$0")/lib.sh"

hdr=$(pkg-config --variable=includedir xencontrol 2>/dev/null)/xen/domctl.h
[ -f "$hdr" ] || hdr=/usr/include/xen/domctl.h
check "the build's Xen domctl.h exists ($hdr)" test -f "$hdr"

def() { # def NAME FILE: the value of #define NAME
	awk -v n="$1" '$1 == "#define" && $2 == n { print $3; exit }' "$2"
}
cmd=$(def PT_DOMCTL_CMD "$TOP/common/pt_domctl.h")
series=$(awk '$1 == "#define" && $2 ~ /^PT_DOMCTL_INTERFACE_[0-9_]+$/ {
	print $3 }' "$TOP/common/pt_domctl.h")
have=$(def XEN_DOMCTL_INTERFACE_VERSION "$hdr")
check "pt_domctl.h gives a number ($cmd) and interfaces ($(echo $series))" \
	test -n "$cmd" -a -n "$series"
check "domctl.h gives its interface version ($have)" test -n "$have"

has_series() { # has_series VERSION: pt_domctl.h lists it
	local v
	for v in $series; do
		[ $((v)) -eq $(($1)) ] && return 0
	done
	return 1
}
calls_domctl() { nm "$1" | grep -q ' U xc_domctl$'; }

# Compared as numbers: the headers write decimal, pt_domctl.h hex.
owner=
while read -r name val; do
	[ $((val)) -eq $((cmd)) ] && owner=$name && break
done < <(awk '$1 == "#define" && $2 ~ /^XEN_DOMCTL_[a-z]/ &&
	$3 ~ /^(0x[0-9a-fA-F]+|[0-9]+)$/ { print $2, $3 }' "$hdr")
obj=$PTSWITCH_BUILD/obj/daemon/pt_xc.o
check "$obj is built" test -f "$obj"
if [ -n "$have" ] && has_series "$have"; then
	check "domctl $cmd is free in these headers${owner:+ (it is $owner)}" \
		test -z "$owner"
	check "interface $have has a series: pt_xc.o issues the op" \
		calls_domctl "$obj"
else
	echo "# interface $have has no ptswitch series; domctl $cmd is" \
		"${owner:-free} there, and never issued"
	check "pt_xc.o calls no xc_domctl here" eval "! calls_domctl '$obj'"
fi

# The gate stays for an interface with no series: the largest listed + 1.
max=0
for v in $series; do [ $((v)) -gt $max ] && max=$((v)); done
none=$(printf '0x%08x' $((max + 1)))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$(dirname "$hdr")" "$tmp/xen"
sed -i "s/^#define XEN_DOMCTL_INTERFACE_VERSION .*/#define XEN_DOMCTL_INTERFACE_VERSION $none/" \
	"$tmp/xen/domctl.h"
check "a copy of the headers claims interface $none" \
	grep -q "XEN_DOMCTL_INTERFACE_VERSION $none" "$tmp/xen/domctl.h"
check "pt_xc.c builds for interface $none" \
	cc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$tmp" \
	-I"$TOP/common" -I"$TOP/daemon" -c -o "$tmp/pt_xc.o" \
	"$TOP/daemon/pt_xc.c"
check "built for interface $none, pt_xc.o calls no xc_domctl" \
	eval "! calls_domctl '$tmp/pt_xc.o'"
check "built for interface $none, it says why (\"never issued\")" \
	grep -aq "never issued" "$tmp/pt_xc.o"
echo "$T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]

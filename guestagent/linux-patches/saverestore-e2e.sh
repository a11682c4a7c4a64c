#!/bin/sh
# SPDX-License-Identifier: MIT
# Save, restore and live migration end-to-end: the ptswitch guest kernel
# on the BATCH hypervisor (Xen under QEMU TCG), moved with xl save +
# xl restore (opted in, in EMULATE, idle; then in BATCH under a fork
# load) and with xl migrate to localhost (in BATCH under a fork load).
# lab/dom0-saverestore.sh has the checks; boot-test.sh --saverestore
# builds and boots.
#
#   saverestore-e2e.sh [--mib MIB] [--xen XEN_GZ] [--kernel DIR]
#                      [--timeout SECS] [--log FILE]
#
# --mib      the fork load's parent size (default 16)
# --xen      a hypervisor with BATCH (default: hv-patches/build-xen.sh,
#            cached)
# --kernel   a build-kernel.sh OUTDIR (default: build-kernel.sh, cached)
# --log      console log (default build/kguest/console-sr-patched.log)
#
# Ends with "N passed, N failed"; exits 0 only if every check passed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

mib=16
timeout_s=1500
xen=
kdir=
log=
while [ $# -gt 0 ]; do
	case $1 in
	--mib) mib=$2; shift 2 ;;
	--xen) xen=$2; shift 2 ;;
	--kernel) kdir=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	-h | --help) sed -n '2,19p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
[ -n "$xen" ] || xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
e2e_log "save/restore end-to-end, load of $mib MiB, hypervisor built in" \
	"$(($(date +%s) - t0)) s"
"$HERE/boot-test.sh" --xen "$xen" --expect patched --saverestore "$mib" \
	--timeout "$timeout_s" ${kdir:+--kernel "$kdir"} ${log:+--log "$log"}

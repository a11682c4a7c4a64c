#!/bin/sh
# SPDX-License-Identifier: MIT
# Save, restore and live migration end-to-end: the ptswitch guest kernel
# on the BATCH hypervisor (Xen under QEMU TCG), moved with xl save +
# xl restore (opted in, in EMULATE, idle; then in BATCH under a fork
# load) and with xl migrate to localhost (in BATCH under a fork load).
# lab/dom0-saverestore.sh has the checks; boot-test.sh --saverestore
# builds and boots.
#
#   saverestore-e2e.sh [--mib MIB] [BOOT-TEST OPTIONS]
#
# --mib      the fork load's parent size (default 16)
# The rest go to boot-test.sh (--xen, --kernel, --timeout, --log, ...);
# without --xen, the hypervisor is hv-patches/build-xen.sh's (cached).
#
# Ends with "N passed, N failed"; exits 0 only if every check passed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

mib=16
if [ "${1:-}" = --mib ]; then
	mib=$2
	shift 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
case " $* " in
*" --xen "*) ;;
*)
	xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
	set -- --xen "$xen" "$@"
	;;
esac
e2e_log "save/restore end-to-end, load of $mib MiB"
"$HERE/boot-test.sh" --expect patched --saverestore "$mib" --timeout 1500 "$@"

#!/bin/sh
# SPDX-License-Identifier: MIT
# SMP end-to-end: the ptswitch guest kernel with two vCPUs on the BATCH
# hypervisor (Xen under QEMU TCG), put in BATCH by ptswitchd (a pin, after
# the agent's ack), under a page-table stress on both vCPUs at once:
# several forkbench -t (tests/forkbench) forking re-dirtied parents while
# other threads of each parent read its buffer and churn the mappings
# next to it.  The same stress runs in EMULATE first, as the control.
# Then, still in BATCH, mmstress (tests/mmstress: the kernel's mm walkers
# on checksummed memory from two threads) and its self-test.
# lab/dom0-smp.sh has the checks; boot-test.sh --smp builds and boots.
#
#   smp-e2e.sh [--size PROCS,MIB,FORKS] [--xen XEN_GZ] [--kernel DIR]
#              [--release R] [--timeout SECS] [--log FILE]
#              [--dom0-image DIR] [--mm SECONDS]
#
# --size     forkbench runs at once, each parent's MiB, forks per run
#            (default: the CI size, see README.md)
# --xen      a hypervisor with SMP BATCH (default: hv-patches/build-xen.sh,
#            cached)
# --kernel   a build-kernel.sh OUTDIR (default: build-kernel.sh, cached)
# --release  the guest's Linux release for build-kernel.sh: 6.1 (default)
#            or 6.12; the same as KERNEL_RELEASE=R in the environment
# --log      console log (default build/kguest/console-smp-patched.log)
# --dom0-image  the trixie lab's images (build/trixie/lab, made by
#            tests/trixie/lab.sh) instead of the bookworm ones, for a Xen
#            4.20 that --xen names (boot-test.sh --dom0-image)
# --mm       seconds of mmstress in BATCH (default 30, the CI size; 0:
#            none); above 300 it runs as mmstress --duration, with a
#            progress line a minute, and the QEMU timeout grows by as
#            much (make e2e-linux-mmstress, the long run)
#
# Ends with "N passed, N failed"; exits 0 only if every check passed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

size=2,32,10
timeout_s=1800
xen=
kdir=
log=
dom0_image=
mm=30
timeout_given=
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift 2 ;;
	--xen) xen=$2; shift 2 ;;
	--kernel) kdir=$2; shift 2 ;;
	--release) export KERNEL_RELEASE="$2"; shift 2 ;;
	--timeout) timeout_s=$2; timeout_given=1; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--dom0-image) dom0_image=$2; shift 2 ;;
	--mm) mm=$2; shift 2 ;;
	-h | --help) sed -n '2,32p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done

# The bookworm lab's hypervisor is 4.17; a trixie image wants a 4.20.
[ -z "$dom0_image" ] || [ -n "$xen" ] ||
	e2e_die "--dom0-image needs --xen (a Xen 4.20 with BATCH)"

case $mm in
'' | *[!0-9]*) e2e_die "--mm takes a number of seconds" ;;
esac
# A long mmstress run: the lab's time grows by as much.
[ -n "$timeout_given" ] || timeout_s=$((timeout_s + mm))

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
[ -n "$xen" ] || xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
e2e_log "SMP end-to-end, sizes $size, hypervisor built in" \
	"$(($(date +%s) - t0)) s"
"$HERE/boot-test.sh" --xen "$xen" --expect patched --smp "$size" \
	--timeout "$timeout_s" --mm "$mm" ${kdir:+--kernel "$kdir"} \
	${log:+--log "$log"} \
		${dom0_image:+--dom0-image "$dom0_image"}

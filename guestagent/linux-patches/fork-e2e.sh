#!/bin/sh
# SPDX-License-Identifier: MIT
# Fork end-to-end of issue 8 (items 3): the ptswitch guest kernel and
# Debian's stock kernel side by side on the BATCH hypervisor (Xen under
# QEMU TCG), both running ptswitch-agent and forkbench, dom0 running
# ptswitchd.  The patched guest's fork latency is measured in EMULATE,
# then ptswitchd must switch it to BATCH from the counters, and it is
# measured again; the stock guest must stay in EMULATE throughout.
# lab/dom0-fork.sh has the checks; boot-test.sh --fork builds and boots.
#
#   fork-e2e.sh [--bench] [--size MIB,FORKS,LOAD,STOCK_MIB,STOCK_FORKS]
#               [--xen XEN_GZ] [--kernel DIR] [--compare DIR]
#               [--timeout SECS] [--log FILE]
#
# default    the CI configuration (small, see README.md)
# --bench    the benchmark configuration: a 1 GiB parent
# --size     any other: parent MiB, measured forks per mode, forks per
#            load run, the stock guest's MiB and forks
# --xen      a hypervisor with BATCH (default: hv-patches/build-xen.sh,
#            cached)
# --kernel   a build-kernel.sh OUTDIR (default: build-kernel.sh, cached)
# --compare  another kernel's OUTDIR: it runs the same EMULATE bench in
#            the same boot, and the ratio is printed (before/after)
# --log      console log (default build/kguest/console-fork-patched.log)
#
# Ends with "N passed, N failed"; exits 0 only if every check passed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

CI_SIZE=128,20,4,32,5
BENCH_SIZE=1024,30,2,64,5
size=$CI_SIZE
timeout_s=
xen=
kdir=
cmpdir=
log=
while [ $# -gt 0 ]; do
	case $1 in
	--bench) size=$BENCH_SIZE; shift ;;
	--size) size=$2; shift 2 ;;
	--xen) xen=$2; shift 2 ;;
	--kernel) kdir=$2; shift 2 ;;
	--compare) cmpdir=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	-h | --help) sed -n '2,25p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
if [ -z "$timeout_s" ]; then
	timeout_s=2400
	[ "$size" = "$BENCH_SIZE" ] && timeout_s=14400
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
[ -n "$xen" ] || xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
e2e_log "fork end-to-end, sizes $size, hypervisor built in" \
	"$(($(date +%s) - t0)) s"
"$HERE/boot-test.sh" --xen "$xen" --expect patched --fork "$size" \
	--timeout "$timeout_s" ${kdir:+--kernel "$kdir"} \
	${cmpdir:+--compare "$cmpdir"} ${log:+--log "$log"}

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
#               [--release R | --releases R1,R2] [--timeout SECS] [--log FILE]
#               [--dom0-image DIR]
#
# default    the CI configuration (small, see README.md)
# --bench    the benchmark configuration: a 1 GiB parent
# --size     any other: parent MiB, measured forks per mode, forks per
#            load run, the stock guest's MiB and forks
# --xen      a hypervisor with BATCH (default: hv-patches/build-xen.sh,
#            cached)
# --kernel   a build-kernel.sh OUTDIR (default: build-kernel.sh, cached)
# --release  the patched guest's Linux release for build-kernel.sh: 6.1
#            (default, Debian bookworm's) or 6.12 (trixie's); the same as
#            KERNEL_RELEASE=R in the environment
# --releases run the whole end-to-end once per release, in turn, on the
#            same hypervisor, and print their fork figures side by side
#            (e.g. 6.1,6.12); each run's console log gets the release in
#            its name
# --compare  another kernel's OUTDIR: it runs the same EMULATE bench in
#            the same boot, and the ratio is printed (before/after)
# --log      console log (default build/kguest/console-fork-patched.log)
# --dom0-image  the trixie lab's images (build/trixie/lab, made by
#            tests/trixie/lab.sh) instead of the bookworm ones: dom0, the
#            stock guest and the tools from trixie, for a Xen 4.20 that
#            --xen names (boot-test.sh --dom0-image)
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
releases=
dom0_image=
while [ $# -gt 0 ]; do
	case $1 in
	--bench) size=$BENCH_SIZE; shift ;;
	--size) size=$2; shift 2 ;;
	--xen) xen=$2; shift 2 ;;
	--kernel) kdir=$2; shift 2 ;;
	--release) export KERNEL_RELEASE="$2"; shift 2 ;;
	--releases) releases=$(echo "$2" | tr ',' ' '); shift 2 ;;
	--compare) cmpdir=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--dom0-image) dom0_image=$2; shift 2 ;;
	-h | --help) sed -n '2,37p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
if [ -z "$timeout_s" ]; then
	timeout_s=2400
	[ "$size" = "$BENCH_SIZE" ] && timeout_s=14400
fi

# The bookworm lab's hypervisor is 4.17; a trixie image wants a 4.20.
[ -z "$dom0_image" ] || [ -n "$xen" ] ||
	e2e_die "--dom0-image needs --xen (a Xen 4.20 with BATCH)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
[ -n "$xen" ] || xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
e2e_log "fork end-to-end, sizes $size, hypervisor built in" \
	"$(($(date +%s) - t0)) s"
if [ -z "$releases" ]; then
	exec "$HERE/boot-test.sh" --xen "$xen" --expect patched \
		--fork "$size" --timeout "$timeout_s" ${kdir:+--kernel "$kdir"} \
		${cmpdir:+--compare "$cmpdir"} ${log:+--log "$log"} \
		${dom0_image:+--dom0-image "$dom0_image"}
fi

# One run per release, then the figures side by side.
[ -z "$kdir" ] || e2e_die "--releases builds its kernels: no --kernel"
for r in $releases; do
	t1=$(date +%s)
	KERNEL_RELEASE=$r "$HERE/build-kernel.sh" "$work/kernel-$r" ||
		e2e_die "build-kernel.sh failed for $r"
	e2e_log "release $r: kernel" \
		"$(sed -n 's/^source=//p' "$work/kernel-$r/build-info")," \
		"built in $(($(date +%s) - t1)) s"
	t1=$(date +%s)
	rlog=${log:-$TOP/build/kguest/console-fork-patched.log}
	rlog=${rlog%.log}-$r.log
	"$HERE/boot-test.sh" --xen "$xen" --expect patched --fork "$size" \
		--timeout "$timeout_s" --kernel "$work/kernel-$r" \
		${cmpdir:+--compare "$cmpdir"} --log "$rlog" \
		${dom0_image:+--dom0-image "$dom0_image"} |
		tee "$work/out-$r" || true
	echo "$(($(date +%s) - t1))" >"$work/secs-$r"
done
passed=0
failed=0
echo "E2E: RESULT fork figures by release (same hypervisor, QEMU TCG):"
for r in $releases; do
	out=$work/out-$r
	src=$(sed -n 's/^source=//p' "$work/kernel-$r/build-info")
	tally=$(grep -a '^[0-9]* passed, [0-9]* failed' "$out" | tail -n1)
	p=$(echo "$tally" | awk '{ print $1 + 0 }')
	f=$(echo "$tally" | awk '{ print $3 + 0 }')
	[ -n "$tally" ] || f=1
	passed=$((passed + p))
	failed=$((failed + f))
	med() {
		grep -a "^E2E: RESULT $1 " "$out" | tail -n1 |
			sed -n 's/.*fork_us_median=\([0-9]*\).*/\1/p'
	}
	ratio=$(grep -a '^E2E: RESULT ratio emulate/batch' "$out" |
		tail -n1 | awk '{ print $7 }')
	echo "E2E: RESULT release $r ($src): EMULATE fork median" \
		"$(med emulate) us, BATCH $(med batch) us," \
		"EMULATE/BATCH ${ratio:-?}; checks ${tally:-none}," \
		"$(cat "$work/secs-$r") s"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

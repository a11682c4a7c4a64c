#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the pvguest kernel, boot Xen under QEMU (TCG) with the e2e lab's
# dom0 image, run the kernel as a PV domU (`xl create`) and print its
# table of cycles per PTE write.  See README.md.
#
#   run.sh [--patched | --xen XEN_GZ_OR_ELF] [--expect stock|patched]
#          [--repeats N] [--timeout SECS] [--log FILE]
#          [--calibration FILE] [--no-smp] [--no-attacks] [--no-build]
#          [--cases all|races|xen-access] [--widen-races]
#          [--dom0-image DIR]
#          [--fuzz [--seed N] [--ops N] [--fuzz-iret 1|2] [--no-dom0-actions]
#          [--fuzz-destroy] [--fuzz-vcpus 2|3|4]]
#
# --patched      build the hypervisor with hv-patches/build-xen.sh (cached)
#                and boot that
# --baseline     build the same Xen source and configuration without the
#                series (the unpatched baseline for --patched) and boot that
# --xen          hypervisor to boot (default: Debian's stock
#                /boot/xen-4.17-amd64.gz), e.g. OUTDIR/xen.gz of
#                hv-patches/build-xen.sh
# --expect       stock, patched or baseline (default: stock for a file
#                under /boot, patched otherwise)
# --repeats      timed runs per (mode, k); the median is reported (15)
# --timeout      seconds before QEMU is killed (default 900)
# --log          console log (default BUILD/pvguest/console-FLAVOUR.log)
# --calibration  calibration file to write (default
#                BUILD/pvguest/calibration-FLAVOUR.txt), see
#                docs/calibration.md
# --no-smp       skip the second guest (two vCPUs writing at once)
# --no-attacks   skip the BATCH safety tests (a guest each, about 14 s
#                each under TCG; they run only when BATCH is on)
# --no-build     use BUILD/pvguest.elf and BUILD/pt-domctl as they are
# --cases        all (default), or races: no benchmark, only the 2-vCPU
#                cases written against BATCH's races (safety-close-l2-race,
#                safety-foreign-probe-*), about 2 min under TCG; or
#                xen-access: only Xen's own accesses to an unhooked range
#                (safety-xen-*-unhooked, smp_xen_access.c)
# --dom0-image   boot DIR/vmlinuz with DIR/dom0.cpio.gz and run
#                DIR/pvguest/{pvguest.elf,pvg-grant} instead of building
#                the bookworm image here: the trixie lab's images
#                (tests/trixie/lab.sh leaves them in build/trixie/lab), so
#                that a Xen 4.20 is driven by 4.20's tools
# --widen-races  --patched --cases races, with the hypervisor built as a
#                debug build (CONFIG_DEBUG=y, assertions live) with
#                CONFIG_PT_BATCH_WIDEN_RACES=y, which holds those race
#                windows open for milliseconds (hv-patches/BATCH.md), and
#                CONFIG_PT_BATCH_AUDIT=y (0017's audit, for --fuzz)
# --fuzz         no benchmark: one guest of 2-4 vCPUs in fuzz mode (README.md,
#                "Fuzz mode"), seeded by --seed (default: the time, printed),
#                --ops operations per vCPU (10000); --fuzz-iret 2 (the
#                default) includes iret frames in a batchable range (issue
#                14 item 3, hv-patches 0016; a hypervisor without it
#                crashes the guest), 1 leaves them out; --no-dom0-actions
#                keeps dom0 from switching modes and pausing the guest
#                meanwhile;
#                --fuzz-destroy has dom0 destroy the guest at a moment
#                drawn from the seed (no audit then);
#                --fuzz-vcpus runs the operations on that many vCPUs
#                (default: 2 + seed % 3, so that runs cover 2 to 4).  Ends
#                with a "FUZZ:" summary line.  With --widen-races it runs
#                on that debug build instead of the race cases.
#
# Ends with "N passed, N failed" (the E2E: PASS and FAIL lines) and exits
# 0 when the guests ran the benchmark to the end and no check failed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
E2E=$TOP/tests/e2e
# shellcheck source=../e2e/lib.sh
. "$E2E/lib.sh"

xen=/boot/xen-4.17-amd64.gz
flavour=
repeats=15
timeout_s=900
build=$TOP/build
log=
calib=
do_build=1
smp=1
attacks=1
build_xen=
cases=all
kconfig=
dom0_image=
fuzz=0
seed=
ops=10000
fuzz_iret=2
dom0_actions=1
fuzz_destroy=0
fuzz_vcpus=
while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--expect) flavour=$2; shift 2 ;;
	--repeats) repeats=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--calibration) calib=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--no-smp) smp=0; shift ;;
	--no-attacks) attacks=0; shift ;;
	--patched) build_xen=patched; shift ;;
	--baseline) build_xen=baseline; shift ;;
	--cases) cases=$2; shift 2 ;;
	--dom0-image) dom0_image=$(cd "$2" && pwd); do_build=0; shift 2 ;;
	--widen-races)
		build_xen=patched
		cases=races
		kconfig="CONFIG_DEBUG=y
CONFIG_PT_BATCH_WIDEN_RACES=y
CONFIG_PT_BATCH_AUDIT=y"
		shift
		;;
	--fuzz) fuzz=1; shift ;;
	--seed) seed=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--fuzz-iret) fuzz_iret=$2; shift 2 ;;
	--no-dom0-actions) dom0_actions=0; shift ;;
	--fuzz-destroy) fuzz_destroy=1; shift ;;
	--fuzz-vcpus) fuzz_vcpus=$2; shift 2 ;;
	-h | --help) sed -n '2,50p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
case $repeats in
'' | *[!0-9]*) e2e_die "--repeats takes a number" ;;
esac
case $cases in
all | races | xen-access) ;;
*) e2e_die "--cases takes all, races or xen-access" ;;
esac
if [ "$fuzz" = 1 ]; then
	cases=fuzz
	[ -n "$seed" ] || seed=$(date +%s)
	case $seed$ops$fuzz_iret in
	'' | *[!0-9]*) e2e_die "--seed, --ops and --fuzz-iret take numbers" ;;
	esac
	[ -n "$fuzz_vcpus" ] || fuzz_vcpus=$((2 + seed % 3))
	case $fuzz_vcpus in
	2 | 3 | 4) ;;
	*) e2e_die "--fuzz-vcpus takes 2, 3 or 4" ;;
	esac
fi

t_start=$(date +%s)
e2e_workdir

case $build_xen in
patched)
	e2e_log "building the patched hypervisor (hv-patches/build-xen.sh)"
	XEN_KCONFIG_EXTRA=$kconfig "$TOP/hv-patches/build-xen.sh" \
		"$work/xen" >&2
	xen=$work/xen/xen.gz
	[ -n "$flavour" ] || flavour=patched
	;;
baseline)
	# The build script with an empty series next to it: same source,
	# same configuration, no ptswitch patches (cached under its own key).
	e2e_log "building the unpatched baseline (build-xen.sh, empty series)"
	mkdir "$work/hv"
	cp "$TOP/hv-patches/build-xen.sh" "$work/hv/"
	: >"$work/hv/series"
	"$work/hv/build-xen.sh" "$work/xen" >&2
	xen=$work/xen/xen.gz
	[ -n "$flavour" ] || flavour=baseline
	;;
esac
flavour=$(e2e_flavour "$xen" "$flavour" "stock patched baseline") || exit 1
# What the calibration file names as its hypervisor (no temp paths).
xen_label=$xen
[ -r "$work/xen/build-info" ] && xen_label="hv-patches/build-xen.sh $(
	awk -F= '$1 == "series-key" { print "series-key=" $2 }' \
		"$work/xen/build-info")"
dom0_flavour=$flavour
# The unpatched baseline has no ptswitch domctl: dom0 expects stock.
[ "$flavour" = baseline ] && dom0_flavour=stock
if [ -z "$log" ]; then
	log=$build/pvguest/console-$flavour.log
	[ "$cases" = all ] || log=$build/pvguest/console-$flavour-$cases.log
fi
[ -n "$calib" ] || calib=$build/pvguest/calibration-$flavour.txt
mkdir -p "$(dirname "$log")" "$(dirname "$calib")"

"$E2E/install-deps.sh" >&2
if [ "$do_build" = 1 ]; then
	make -C "$TOP" -s BUILD="$build" pvguest >&2
	# pt-domctl needs libxen-dev; the run goes on without it.
	make -C "$TOP" -s BUILD="$build" "$build/pt-domctl" >&2 ||
		e2e_log "no pt-domctl: BATCH and the counter check are skipped"
fi
[ -z "$dom0_image" ] || build=$dom0_image/pvguest
[ -r "$build/pvguest.elf" ] || e2e_die "no $build/pvguest.elf"
domctl=
[ -x "$build/pt-domctl" ] && domctl=$build/pt-domctl

# The dom0 kernel: the lab's cached unpacked linux-image package, fetched
# as the lab does when it is not there yet.
if [ -n "$dom0_image" ]; then
	vmlinuz=$dom0_image/vmlinuz
else
	cache=$(e2e_cache_dir "$work")
	e2e_kernel_tree "$cache"
	for vmlinuz in "$ktree"/boot/vmlinuz-*; do break; done
fi
[ -r "$vmlinuz" ] || e2e_die "no dom0 kernel ($vmlinuz)"

e2e_xen_elf "$xen" "$work/xen.elf"

# The lab's dom0 image (its guests are not used: an empty guest initrd),
# then our overlay archive appended: the kernel loads both, in order.
if [ -n "$dom0_image" ]; then
	e2e_log "dom0 image: $dom0_image/dom0.cpio.gz"
	cp "$dom0_image/dom0.cpio.gz" "$work/dom0.cpio.gz"
else
	e2e_log "building the dom0 image"
	: >"$work/unused-guest.cpio.gz"
	"$E2E/mkinitrd-dom0.sh" --out "$work/dom0.cpio.gz" \
		--kernel-tree "$ktree" \
		--guest-initrd "$work/unused-guest.cpio.gz" \
		${domctl:+--domctl "$domctl"} >&2
fi
overlay=$work/overlay
mkdir -p "$overlay/e2e/pvguest"
cp "$build/pvguest.elf" "$overlay/e2e/pvguest/pvguest.elf"
install -m 0755 "$build/pvg-grant" "$overlay/e2e/pvguest/pvg-grant"
install -m 0755 "$HERE/dom0/bench.sh" "$HERE/dom0/init" \
	"$HERE/dom0/smp-attacks.sh" "$HERE/dom0/foreign-probe.sh" \
	"$HERE/dom0/fuzz.sh" "$HERE/dom0/grant.sh" \
	"$overlay/e2e/pvguest/"
e2e_pack "$overlay" "$work/overlay.cpio.gz" /bin/busybox
cat "$work/dom0.cpio.gz" "$work/overlay.cpio.gz" >"$work/initrd.cpio.gz"

dom0_cmdline="console=hvc0 earlyprintk=xen rdinit=/e2e/pvguest/init"
dom0_cmdline="$dom0_cmdline e2e.xen=$dom0_flavour pvguest.repeats=$repeats"
dom0_cmdline="$dom0_cmdline pvguest.timeout=$timeout_s pvguest.smp=$smp"
dom0_cmdline="$dom0_cmdline pvguest.attacks=$attacks pvguest.cases=$cases"
[ "$cases" = fuzz ] && dom0_cmdline="$dom0_cmdline pvguest.checks=fuzz \
pvguest.seed=$seed pvguest.ops=$ops pvguest.fuzz_iret=$fuzz_iret \
pvguest.dom0_actions=$dom0_actions pvguest.fuzz_destroy=$fuzz_destroy \
pvguest.fuzz_vcpus=$fuzz_vcpus"

t_boot=$(date +%s)
e2e_log "booting $xen ($flavour) under QEMU (TCG), console log: $log"
e2e_boot "$work/xen.elf" "$vmlinuz" "$dom0_cmdline" "$work/initrd.cpio.gz" \
	"$log" "$timeout_s" 1024
t_end=$(date +%s)

strip() { sed 's/^\[ *[0-9.]*\] //' "$log"; }
strip | grep -a '^PVGUEST: \(TABLE\|CROSSOVER\|NA\|ERROR\|FATAL\|INFO\)' ||
	true
strip | grep -a '^E2E: \(PASS\|FAIL\|SKIP\|INFO spurious\)' || true

if strip | grep -aq '^PVGUEST: ROW '; then
	strip | "$HERE/calibrate.sh" --xen "$xen_label" --flavour "$flavour" \
		>"$calib" && e2e_log "calibration written to $calib"
fi

at() {
	grep -a -m1 "$1" "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
e2e_log "timings (s since QEMU start): dom0 ready" \
	"$(at 'E2E: TIME dom0-ready'), guest created" \
	"$(at 'E2E: TIME pvguest-create'), guest ended" \
	"$(at 'E2E: TIME pvguest-end'), 2-vCPU guest ended" \
	"$(at 'E2E: TIME pvguest-smp-end'), QEMU off $((t_end - t_boot));" \
	"build+image $((t_boot - t_start)) s, total $((t_end - t_start)) s"

# dom0 must have reached its end: a hypervisor crash would stop it early.
failed=0
if ! strip | grep -aq '^E2E: DONE'; then
	echo "E2E: FAIL pvguest-run dom0 never reached the end (timeout or" \
		"crash); last console lines:"
	tail -n 30 "$log"
	failed=1
elif [ "$cases" = all ] && ! strip | grep -aq '^E2E: PASS pvguest-bench'; then
	echo "E2E: FAIL pvguest-run the first guest did not finish"
	failed=1
fi
# Fuzz mode: the hypervisor's own console (QEMU's serial log) must show
# no assertion, BUG, panic or domain_crash, and one replayable summary.
if [ "$cases" = fuzz ]; then
	xen_bad=$(grep -a '(XEN)' "$log" |
		grep -ac 'Assertion\|BUG\|FATAL\|Panic\|domain_crash' || true)
	if [ "$xen_bad" = 0 ]; then
		echo "E2E: PASS fuzz-xen-console no assertion, BUG, panic or" \
			"domain_crash on the hypervisor's console"
	else
		echo "E2E: FAIL fuzz-xen-console $xen_bad lines:"
		grep -a '(XEN)' "$log" |
			grep -a 'Assertion\|BUG\|FATAL\|Panic\|domain_crash' |
			head -n 20
	fi
	strip | grep -a '^PVGUEST: FUZZ \(ops\|refusals\|other\|note\|audit\|upcalls\|grants\)' ||
		true
	strip | grep -a '^E2E: INFO fuzz' || true
	res=$(strip | sed -n 's/^PVGUEST: FUZZ result //p' | head -n 1)
	echo "FUZZ: seed=$seed vcpus=$fuzz_vcpus ops_per_vcpu=$ops" \
		"flavour=$flavour" \
		"${res:-no result (the guest did not finish)}" \
		"xen_console_bad_lines=$xen_bad wall_s=$((t_end - t_start))"
fi
# One summary line for CI (.ci/run sums them); non-zero on any failure.
passed=$(strip | grep -ac '^E2E: PASS' || true)
failed=$((failed + $(strip | grep -ac '^E2E: FAIL' || true)))
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

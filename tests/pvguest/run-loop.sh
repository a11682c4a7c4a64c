#!/bin/sh
# SPDX-License-Identifier: MIT
# The full ptswitch loop with our PV test kernel: boot Xen under QEMU (TCG)
# with the e2e lab's dom0 image, ptswitchd installed in it from its .deb
# (tests/e2e/lab-debs.sh: LAB_DEBS=DIR, or built once per tree), start
# it (xenctrl backend, enforce, dom0/loop-policy.yaml), create the
# pvguest in loop mode, and check from dom0 that the daemon switches it
# to BATCH and back to EMULATE.  See README.md, "Loop mode".
#
#   run-loop.sh [--patched | --xen XEN_GZ_OR_ELF] [--expect stock|patched]
#               [--calibration FILE] [--loop-timeout SECS] [--hold SECS]
#               [--timeout SECS] [--log FILE] [--no-build]
#
# --patched       build the hypervisor with hv-patches/build-xen.sh
#                 (cached) and boot that
# --xen           hypervisor to boot (default: Debian's stock
#                 /boot/xen-4.17-amd64.gz)
# --expect        stock or patched (default: stock for a file under /boot,
#                 patched otherwise); on stock Xen the daemon only advises
#                 and the BATCH checks SKIP
# --calibration   a calibration file (docs/calibration.md, written by
#                 run.sh): its measured cost.* values replace the policy's
# --loop-timeout  how long the guest waits for each switch (300)
# --hold          seconds the guest keeps each phase going after its
#                 switch (15; well over the policy's window)
# --timeout       seconds before QEMU is killed (default 1500)
# --log           console log (default BUILD/pvguest/loop-FLAVOUR.log)
# --no-build      use BUILD/pvguest.elf and pt-domctl as they are
#
# Ends with "N passed, N failed"; exits non-zero when a check failed or
# dom0 did not reach its end.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
E2E=$TOP/tests/e2e
# shellcheck source=../e2e/lib.sh
. "$E2E/lib.sh"

xen=/boot/xen-4.17-amd64.gz
flavour=
timeout_s=1500
loop_timeout=300
hold=15
build=$TOP/build
log=
calib=
do_build=1
patched=0
while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--expect) flavour=$2; shift 2 ;;
	--calibration) calib=$2; shift 2 ;;
	--loop-timeout) loop_timeout=$2; shift 2 ;;
	--hold) hold=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--patched) patched=1; shift ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
for n in "$timeout_s" "$loop_timeout" "$hold"; do
	case $n in
	'' | *[!0-9]*) e2e_die "--timeout, --loop-timeout, --hold take numbers" ;;
	esac
done

t_start=$(date +%s)
e2e_workdir

if [ $patched = 1 ]; then
	e2e_log "building the patched hypervisor (hv-patches/build-xen.sh)"
	"$TOP/hv-patches/build-xen.sh" "$work/xen" >&2
	xen=$work/xen/xen.gz
	[ -n "$flavour" ] || flavour=patched
fi
flavour=$(e2e_flavour "$xen" "$flavour") || exit 1
[ -n "$log" ] || log=$build/pvguest/loop-$flavour.log
mkdir -p "$(dirname "$log")"
t_xen=$(date +%s)

"$E2E/install-deps.sh" >&2
if [ "$do_build" = 1 ]; then
	make -C "$TOP" -s BUILD="$build" pvguest "$build/pt-domctl" >&2
fi
for f in pvguest.elf pt-domctl; do
	[ -r "$build/$f" ] || e2e_die "no $build/$f"
done
debs=$("$E2E/lab-debs.sh")
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
daemon_deb=$debs/ptswitchd_${version}_amd64.deb
# The packaged daemon, unpacked here only to check the policy.
dpkg-deb -x "$daemon_deb" "$work/pkg"

# The policy, with measured costs when a calibration file is given.
cp "$HERE/dom0/loop-policy.yaml" "$work/loop-policy.yaml"
if [ -n "$calib" ]; then
	[ -r "$calib" ] || e2e_die "no calibration file $calib"
	awk '
		$1 ~ /^cost\.(emulated-write|batch|batch-entry)$/ &&
		$2 ~ /^[0-9]+$/ { costs[substr($1, 6)] = $2 }
		FILENAME == ARGV[2] && /^  (emulated-write|batch|batch-entry):/ {
			key = $1; sub(/:$/, "", key)
			if (key in costs) { print "  " key ": " costs[key]; next }
		}
		FILENAME == ARGV[2] { print }
	' "$calib" "$HERE/dom0/loop-policy.yaml" >"$work/loop-policy.yaml"
	e2e_log "costs from $calib:" \
		"$(grep -A3 '^cost:' "$work/loop-policy.yaml" | tail -n 3 | tr -s ' \n' ' ')"
fi
"$work/pkg/usr/sbin/ptswitchd" --check-config "$work/loop-policy.yaml" \
	>/dev/null ||
	e2e_die "the loop policy does not pass ptswitchd --check-config"

cache=$(e2e_cache_dir "$work")
e2e_kernel_tree "$cache"
# shellcheck disable=SC2154 # ktree is set by e2e_kernel_tree (lib.sh)
for vmlinuz in "$ktree"/boot/vmlinuz-*; do break; done
[ -r "$vmlinuz" ] || e2e_die "no kernel in $ktree/boot"

e2e_xen_elf "$xen" "$work/xen.elf"

# The lab's dom0 image with the ptswitchd package and pt-domctl (no Linux
# guests: an empty guest initrd), then our overlay archive appended.
e2e_log "building the dom0 image"
: >"$work/unused-guest.cpio.gz"
"$E2E/mkinitrd-dom0.sh" --out "$work/dom0.cpio.gz" --kernel-tree "$ktree" \
	--guest-initrd "$work/unused-guest.cpio.gz" \
	--deb "$daemon_deb" --domctl "$build/pt-domctl" >&2
overlay=$work/overlay
mkdir -p "$overlay/e2e/pvguest"
cp "$build/pvguest.elf" "$work/loop-policy.yaml" "$overlay/e2e/pvguest/"
install -m 0755 "$HERE/dom0/loop.sh" "$HERE/dom0/bench.sh" "$HERE/dom0/init" \
	"$overlay/e2e/pvguest/"
e2e_pack "$overlay" "$work/overlay.cpio.gz" /bin/busybox
cat "$work/dom0.cpio.gz" "$work/overlay.cpio.gz" >"$work/initrd.cpio.gz"

dom0_cmdline="console=hvc0 earlyprintk=xen rdinit=/e2e/pvguest/init"
dom0_cmdline="$dom0_cmdline pvguest.checks=loop e2e.xen=$flavour"
dom0_cmdline="$dom0_cmdline pvguest.loop_timeout=$loop_timeout"
dom0_cmdline="$dom0_cmdline pvguest.loop_hold=$hold"

t_boot=$(date +%s)
e2e_log "booting $xen ($flavour) under QEMU (TCG), console log: $log"
e2e_boot "$work/xen.elf" "$vmlinuz" "$dom0_cmdline" "$work/initrd.cpio.gz" \
	"$log" "$timeout_s" 1024
t_end=$(date +%s)

strip() { sed 's/^\[ *[0-9.]*\] //' "$log"; }
strip | grep -a '^PVGUEST: \(LOOP\|OPTIN\|ERROR\|FATAL\|WARN\)' || true
strip | grep -a '^E2E: \(INFO\|TIME\)' || true
strip | grep -a '^E2E: \(PASS\|FAIL\|SKIP\)' || true

at() { strip | sed -n "s/^E2E: TIME $1 //p" | head -n 1; }
e2e_log "timings: dom0 uptime at guest create $(at pvguest-loop-create)," \
	"BATCH $(at pvguest-loop-batch), EMULATE again" \
	"$(at pvguest-loop-emulate-again), guest end $(at pvguest-loop-end);" \
	"hypervisor $((t_xen - t_start)) s, build+image $((t_boot - t_xen)) s," \
	"QEMU $((t_end - t_boot)) s, total $((t_end - t_start)) s"

npass=$(strip | grep -ac '^E2E: PASS ' || true)
nfail=$(strip | grep -ac '^E2E: FAIL ' || true)
nskip=$(strip | grep -ac '^E2E: SKIP ' || true)
if ! strip | grep -aq '^E2E: DONE'; then
	nfail=$((nfail + 1))
	echo "E2E: FAIL pvguest-loop dom0 never reached the end (timeout or" \
		"crash); last console lines:"
	tail -n 40 "$log"
fi
echo "$npass passed, $nfail failed, $nskip skipped ($flavour Xen, loop)"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]

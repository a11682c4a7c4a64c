#!/bin/sh
# SPDX-License-Identifier: MIT
# Record page-table workload traces from real workloads in PV guests:
# boot the patched Xen (hv-patches/) under QEMU (TCG) with one Debian
# 6.1 PV guest per workload, record every guest at once with pt-record in
# dom0, and collect the traces from the console.
# See tests/traces/recorded/README.md.
#
#   record.sh [--out DIR] [--duration SECS] [--interval MS]
#             [--workloads "idle forkloop compile web db mix"]
#             [--timeout SECS] [--log FILE] [--no-build] [--xen XEN_GZ]
#             [--guest-kernel DIR|patched] [--batch "pfork"]
#   record.sh --rounds N --guest-kernel DIR|patched [--out DIR]
#             [--workloads "python pyupdate redis db kbuild"] [...]
#
# --out       where the traces go (default tests/traces/recorded)
# --duration  seconds recorded (default 600), --interval ms per row
#             (default 1000)
# --timeout   QEMU is killed after this (default: duration + 1500)
# --xen       a hypervisor hv-patches/build-xen.sh built already (its
#             OUTDIR/xen.gz, next to build-info); default: build (cached)
# --guest-kernel  every guest boots this kernel instead of Debian's: a
#             guestagent/linux-patches/build-kernel.sh OUTDIR, or
#             "patched" to build it (cached).  It opts in to BATCH; the
#             guests stay in EMULATE all the same (no ptswitchd runs)
# --batch     also record each of these workloads in a second guest,
#             <w>-batch, put in BATCH before the recording starts (needs
#             --guest-kernel); its trace and Xen's counters go to OUT/batch
# --rounds    wall time per mode instead (dom0-rounds.sh, rounds.sh): one
#             guest at a time runs N timed rounds of a fixed amount of
#             work, in EMULATE and BATCH alternately (E B B E ...), in one
#             boot; each round is recorded as a trace of its own.  The
#             traces and table.md (rounds-table.sh) go to OUT/rounds
#             (default OUT: build/record).  Workloads: python,
#             pyupdate, redis, db, kbuild (default: all five, in that
#             order)
#
# Not part of CI: it takes about half an hour under TCG and needs about
# 3.5 GiB of RAM for QEMU.  Exits 0 when every trace arrived intact and
# parses.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
. "$TOP/tests/e2e/lib.sh"

out=$TOP/tests/traces/recorded
duration=600
interval=1000
workloads="idle forkloop compile web db mix"
timeout_s=
log=
do_build=1
build=$TOP/build
xen=
guest_kernel_opt=
batch=
rounds=
out_set=0
workloads_set=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; out_set=1; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--workloads) workloads=$2; workloads_set=1; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--xen) xen=$2; shift 2 ;;
	--guest-kernel) guest_kernel_opt=$2; shift 2 ;;
	--batch) batch=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	-h | --help) sed -n '2,40p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
[ -z "$batch" ] || [ -n "$guest_kernel_opt" ] ||
	e2e_die "--batch needs --guest-kernel (Debian's kernel cannot batch)"
if [ -n "$rounds" ]; then
	[ -n "$guest_kernel_opt" ] ||
		e2e_die "--rounds needs --guest-kernel (BATCH needs its opt-in)"
	[ -z "$batch" ] || e2e_die "--rounds and --batch do not mix"
	[ "$workloads_set" = 1 ] || workloads="python pyupdate redis db kbuild"
	[ "$out_set" = 1 ] || out=$build/record
	[ -n "$timeout_s" ] || timeout_s=9000
fi
batch_names=
for b in $batch; do
	batch_names="$batch_names $b-batch"
done
[ -n "$timeout_s" ] || timeout_s=$((duration + 1500))
[ -n "$log" ] || log=$build/record/console.log
mkdir -p "$(dirname "$log")" "$out"

work=$(mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TOP/scripts/install-deps.sh" record

if [ -z "$xen" ]; then
	e2e_log "building the patched hypervisor (hv-patches/build-xen.sh)"
	"$TOP/hv-patches/build-xen.sh" "$work/xen" >&2
	xen=$work/xen/xen.gz
fi
xen_key=$(sed -n 's/^series-key[ =:]*//p' "$(dirname "$xen")/build-info" \
	2>/dev/null | head -n 1)
gzip -dc "$xen" >"$work/xen.elf"

if [ "$do_build" = 1 ]; then
	make -C "$TOP" -s BUILD="$build" all tools >&2
fi
for bin in ptswitch-agent pt-domctl pt-record ptswitch-eval forkbench; do
	[ -x "$build/$bin" ] || e2e_die "missing $build/$bin"
done

cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}/e2e
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	cache=$work/cache
	mkdir -p "$cache"
fi
e2e_kernel_tree "$cache"
set -- "$ktree"/boot/vmlinuz-*
vmlinuz=$1
guest_kernel=$ktree/vmlinux
if [ ! -s "$guest_kernel" ] &&
	! e2e_extract_vmlinux "$vmlinuz" "$guest_kernel"; then
	guest_kernel=$vmlinuz
fi
guest_desc="Debian $(basename "$vmlinuz" | sed 's/vmlinuz-//')"
case $guest_kernel_opt in
'') ;;
patched)
	e2e_log "building the ptswitch guest kernel (build-kernel.sh)"
	"$TOP/guestagent/linux-patches/build-kernel.sh" "$work/kernel" >&2
	guest_kernel_opt=$work/kernel ;;
esac
if [ -n "$guest_kernel_opt" ]; then
	[ -s "$guest_kernel_opt/vmlinux" ] ||
		e2e_die "no vmlinux in $guest_kernel_opt"
	guest_kernel=$guest_kernel_opt/vmlinux
	kinfo=$guest_kernel_opt/build-info
	guest_desc="ptswitch Linux $(sed -n 's/^kernelrelease=//p' "$kinfo")"
	guest_desc="$guest_desc (guestagent/linux-patches, series-key"
	guest_desc="$guest_desc $(sed -n 's/^series-key=//p' "$kinfo"))"
fi

e2e_log "building guest images: $workloads$batch_names"
# The overlay must keep the base image's usr-merged links, or its lib/
# directory would hide /usr/lib (and the kernel modules) in dom0.
mkdir -p "$work/overlay/e2e/images" "$work/overlay/usr/bin" \
	"$work/overlay/usr/sbin" "$work/overlay/usr/lib" \
	"$work/overlay/usr/lib64"
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$work/overlay/$d"
done
for w in $workloads $batch_names; do
	"$HERE/mkimage-guest.sh" --out "$work/overlay/e2e/images/$w.cpio.gz" \
		--agent "$build/ptswitch-agent" --workload "${w%-batch}" \
		--forkbench "$build/forkbench" ${rounds:+--rounds}
done
# The e2e dom0 image, then an overlay archive on top (the kernel unpacks
# both, later files win): the recording replaces the checks.
# (Its own guest image is unused here: give it the smallest.)
"$HERE/mkimage-guest.sh" --out "$work/unused.cpio.gz" \
	--agent "$build/ptswitch-agent" --workload idle
"$TOP/tests/e2e/mkinitrd-dom0.sh" --out "$work/dom0.cpio.gz" \
	--kernel-tree "$ktree" --guest-initrd "$work/unused.cpio.gz" \
	--guest-kernel "$guest_kernel" --domctl "$build/pt-domctl"
install -m 0644 "$HERE/dom0-reclib.sh" "$work/overlay/e2e/reclib.sh"
if [ -n "$rounds" ]; then
	install -m 0755 "$HERE/dom0-rounds.sh" "$work/overlay/e2e/checks.sh"
else
	install -m 0755 "$HERE/dom0-record.sh" "$work/overlay/e2e/checks.sh"
fi
e2e_install_bin "$work/overlay" "$build/pt-record" /usr/sbin/pt-record
(cd "$work/overlay" && find . | LC_ALL=C sort |
	/bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) |
	gzip -1 >>"$work/dom0.cpio.gz"

dom0_cmdline="console=hvc0 earlyprintk=xen rdinit=/init e2e.xen=patched"
dom0_cmdline="$dom0_cmdline rec.duration=$duration rec.interval=$interval"
if [ -n "$rounds" ]; then
	# dom0-rounds.sh runs the workloads in this order (no commas: QEMU's
	# multiboot -initrd splits its modules at commas).
	# shellcheck disable=SC2086 # one word per workload
	wl_list=$(echo $workloads | tr ' ' :)
	dom0_cmdline="$dom0_cmdline rec.rounds=$rounds rec.workloads=$wl_list"
fi
if [ -n "$rounds" ]; then
	e2e_log "booting under QEMU (TCG) for $rounds rounds of each of" \
		"$workloads, console log: $log"
else
	e2e_log "booting under QEMU (TCG) for ${duration}s of recording," \
		"console log: $log"
fi
t0=$(date +%s)
# dom0 holds the compressed guest images (about 100 MB) in its initramfs.
E2E_DOM0_MEM=1024M e2e_boot "$work/xen.elf" "$vmlinuz" "$dom0_cmdline" \
	"$work/dom0.cpio.gz" "$log" "$timeout_s" 3584
e2e_log "QEMU ran $(($(date +%s) - t0)) s"

# Collect: every trace must arrive whole (checksum) and parse.
grep -a 'REC: \(INFO\|FAIL\)' "$log" | sed 's/^\[ *[0-9.]*\] //' >&2 || true
if [ -n "$rounds" ]; then
	status=0
	mkdir -p "$out/rounds"
	"$HERE/rounds-table.sh" --eval "$build/ptswitch-eval" --header \
		"recorded by tests/traces/record/record.sh --rounds $rounds on $(date -u +%Y-%m-%d): Xen 4.17 + hv-patches (series-key ${xen_key:-?}) under QEMU TCG, guest $guest_desc PV" \
		"$log" "$out/rounds" >"$out/rounds/table.md" || status=1
	cat "$out/rounds/table.md"
	grep -a 'REC: GUEST ' "$log" | sed 's/^\[ *[0-9.]*\] REC: GUEST //' |
		tr -d '\r' >"$out/rounds/guests.console" || true
	grep -aq 'E2E: DONE' "$log" || { e2e_log "dom0 never finished"; status=1; }
	exit $status
fi
status=0
[ -z "$batch" ] || mkdir -p "$out/batch"
for w in $workloads $batch_names; do
	dest=$out
	case $w in *-batch) dest=$out/batch ;; esac
	f=$work/$w.trace
	grep -a "REC: LINE $w " "$log" | sed "s/^\[ *[0-9.]*\] REC: LINE $w //" \
		>"$f" || true
	want=$(grep -a "REC: SUM $w " "$log" |
		sed "s/^\[ *[0-9.]*\] REC: SUM $w //" | tr -d '\r')
	got=$(md5sum <"$f" | cut -d' ' -f1)
	if [ -z "$want" ] || [ "$want" != "$got" ]; then
		e2e_log "$w: trace incomplete or damaged (md5 '$got'," \
			"dom0 said '$want')"
		status=1
		continue
	fi
	if ! "$build/ptswitch-eval" --duration 10s "$f" >/dev/null; then
		e2e_log "$w: trace does not parse"
		status=1
		continue
	fi
	{
		echo "# workload $w, recorded by tests/traces/record/record.sh" \
			"--duration $duration --interval $interval"
		echo "# on $(date -u +%Y-%m-%d): Xen 4.17 + hv-patches" \
			"(series-key ${xen_key:-?}) under QEMU TCG, guest" \
			"$guest_desc PV, 1 vCPU"
		case $w in
		*-batch) echo "# in BATCH (pt-domctl set-mode) throughout" ;;
		esac
		cat "$f"
	} >"$dest/$w.trace"
	grep -a "REC: GUEST $w " "$log" |
		sed "s/^\[ *[0-9.]*\] REC: GUEST $w //" >"$dest/$w.console" ||
		true
	# Xen's counters at the start and the end (the BATCH ones too).
	if grep -aq "REC: HV rec-$w " "$log"; then
		grep -a "REC: HV rec-$w " "$log" |
			sed "s/^\[ *[0-9.]*\] REC: HV rec-$w //" | tr -d '\r' \
			>"$dest/$w.hv"
	fi
	e2e_log "$w: $(grep -c '^[0-9]' "$f") rows -> $dest/$w.trace"
done
grep -aq 'E2E: DONE' "$log" || { e2e_log "dom0 never finished"; status=1; }
exit $status

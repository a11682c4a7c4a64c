#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # work, ktree: set by lib.sh's e2e_workdir, e2e_kernel_tree
# The packaged units under systemd as PID 1 on Xen (make e2e-systemd):
# the patched Xen 4.17 (hv-patches/build-xen.sh) under QEMU TCG, its dom0
# a copy of the bookworm root of tests/systemd/mkroot.sh booted as an
# initramfs with systemd as PID 1, the ptswitchd .deb installed in it with
# dpkg -i and enabled.  Debian's xen init script (xen.service, generated
# from /etc/init.d/xen) loads the modules, mounts xenfs and starts
# xenstored; ptswitchd runs as packaged: the shipped unit, its sandbox,
# the xenctrl backend.  Two PV guests: g1, the patched Linux guest
# (guestagent/linux-patches/build-kernel.sh) with the lab's busybox init
# and the agent .deb, which ptswitchd takes to BATCH; sd-guest, Debian's
# kernel with the same root as an initramfs, systemd as PID 1 and the
# agent .deb's unit as shipped.  qemu/dom0-checks.sh runs the checks in
# dom0 (tests/systemd/README.md).  Ends with "N passed, N failed".
#
#   tests/systemd/e2e.sh [--dropin FILE] [--kernel DIR] [--timeout SECS]
#                        [--log FILE]
#
# --dropin  install FILE as a drop-in of ptswitchd.service in dom0: a
#           deliberately broken unit, to see the checks fail (e.g.
#           qemu/break-privcmd.conf)
# --kernel  g1's kernel: a build-kernel.sh OUTDIR (default: run
#           build-kernel.sh, cached; it waits for another build's lock)
# --timeout seconds before QEMU is killed (default 1200)
# --log     console log (default build/e2e-systemd/console.log)
#
# LAB_DEBS=DIR uses the .debs built there (tests/e2e/lab-debs.sh).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
E2E=$TOP/tests/e2e
# shellcheck source=../e2e/lib.sh
. "$E2E/lib.sh"
QEMU_DIR=$HERE/qemu
OUT=$TOP/build/e2e-systemd
LABDIR=/usr/local/lib/ptswitch-e2e

dropin=
kdir=
timeout_s=1200
log=
while [ $# -gt 0 ]; do
	case $1 in
	--dropin) dropin=$(realpath "$2"); shift 2 ;;
	--kernel) kdir=$(realpath "$2"); shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	-h | --help) sed -n '4,29p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
[ -n "$log" ] || log=$OUT/console.log
[ "$(id -u)" -eq 0 ] || e2e_die "run as root (chroot, dpkg -i into the root)"
mkdir -p "$OUT" "$(dirname "$log")"

t_start=$(date +%s)
e2e_workdir
"$TOP/scripts/install-deps.sh"
"$E2E/install-deps.sh"

xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
if [ -z "$kdir" ]; then
	kdir=$work/kernel
	"$TOP/guestagent/linux-patches/build-kernel.sh" "$kdir" >&2 ||
		e2e_die "build-kernel.sh failed"
fi
[ -s "$kdir/vmlinux" ] || e2e_die "no vmlinux in $kdir"
make -C "$TOP" -s BUILD="$OUT/tools" tools >&2
debs=$("$E2E/lab-debs.sh")
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
daemon_deb=$debs/ptswitchd_${version}_amd64.deb
agent_deb=$debs/ptswitch-agent_${version}_amd64.deb
base=$("$HERE/mkroot.sh") || e2e_die "no bookworm root"
cache=$(e2e_cache_dir "$work")
e2e_kernel_tree "$cache"
set -- "$ktree"/boot/vmlinuz-*
vmlinuz=$1
kver=${vmlinuz##*/vmlinuz-}
stock_elf=$ktree/vmlinux
[ -s "$stock_elf" ] || e2e_extract_vmlinux "$vmlinuz" "$stock_elf" ||
	e2e_die "no ELF kernel in $vmlinuz"
t_parts=$(date +%s)
e2e_log "parts ready in $((t_parts - t_start)) s: xen $xen, root $base"

# slim ROOT: what a lab boot never reads, so that the image fits in RAM;
# the ptswitch packages' files all stay (dpkg --verify in the images).
slim() {
	find "$1"/usr/share/doc -mindepth 1 -maxdepth 1 ! -name 'ptswitch*' \
		-exec rm -rf {} +
	find "$1"/usr/share/man -type f ! -name 'ptswitch*' -delete
	rm -rf "$1"/usr/share/locale/* "$1"/usr/share/info/* \
		"$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* \
		"$1"/usr/lib/udev/hwdb.bin "$1"/usr/lib/udev/hwdb.d/* \
		"$1"/usr/lib/python3* "$1"/usr/share/perl \
		"$1"/usr/lib/x86_64-linux-gnu/perl
}

# sdroot DIR: a fresh copy of the cached root with the lab's basics: a
# console on hvc0 (Xen's), no login prompt in the way, and the report
# unit run by systemd (its output on the console).
sdroot() {
	rm -rf "$1"
	cp -a "$base" "$1"
	echo "$2" >"$1/etc/hostname"
	mkdir -p "$1$LABDIR"
	ln -sf /dev/null "$1/etc/systemd/system/serial-getty@hvc0.service"
	ln -sf /dev/null "$1/etc/systemd/system/getty@tty1.service"
}

e2e_log "building the images"
# The systemd guest: Debian's kernel, the agent .deb installed with
# dpkg -i (its postinst enables the unit), and no xen-utils (a domU).
groot=$work/groot
sdroot "$groot" sd-guest
chroot "$groot" dpkg --purge xen-utils-4.17 xen-utils-common >&2
cp "$agent_deb" "$groot/tmp/"
chroot "$groot" dpkg -i "/tmp/${agent_deb##*/}" >&2 ||
	e2e_die "dpkg -i the agent into the guest root failed"
rm -f "$groot/tmp/${agent_deb##*/}"
install -m 0755 "$QEMU_DIR/guest-report" "$groot$LABDIR/"
install -m 0644 "$QEMU_DIR/ptswitch-e2e-report.service" \
	"$groot/etc/systemd/system/"
chroot "$groot" systemctl enable ptswitch-e2e-report.service >&2
slim "$groot"
e2e_pack "$groot" "$work/sd-guest.cpio.gz" /bin/busybox
rm -rf "$groot"

# The busybox guest of tests/e2e with the agent .deb, for the patched
# kernel (a tinyconfig: no cgroups, no systemd).
"$E2E/mkinitrd-guest.sh" --out "$work/g1.cpio.gz" --deb "$agent_deb"

# dom0: the root, ptswitchd installed with dpkg -i and enabled by the
# admin, the lab's policy in the conffile, the Xen modules of Debian's
# kernel, the guests' kernels and images, the checks as a unit.
droot=$work/droot
sdroot "$droot" dom0
cp "$daemon_deb" "$droot/tmp/"
chroot "$droot" dpkg -i "/tmp/${daemon_deb##*/}" >&2 ||
	e2e_die "dpkg -i ptswitchd into the dom0 root failed"
rm -f "$droot/tmp/${daemon_deb##*/}"
chroot "$droot" systemctl enable ptswitchd.service >&2
cp "$HERE/lab/policy-keep.yaml" "$droot/etc/ptswitch/ptswitch.yaml"
if [ -n "$dropin" ]; then
	install -D -m 0644 "$dropin" \
		"$droot/etc/systemd/system/ptswitchd.service.d/e2e-break.conf"
fi
mkdir -p "$droot/lib/modules/$kver"
cp -a "$ktree/lib/modules/$kver/kernel" "$droot/lib/modules/$kver/"
chroot "$droot" depmod "$kver" || e2e_die "depmod failed"
# xenconsoled keeps the guests' consoles in files, printed at the end.
echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' \
	>>"$droot/etc/default/xen"
mkdir -p "$droot/var/log/xen/console"
install -m 0755 "$OUT/tools/pt-domctl" "$droot/usr/local/sbin/"
install -m 0755 "$QEMU_DIR/dom0-checks.sh" "$droot$LABDIR/"
cp "$HERE"/lab/policy-*.yaml "$droot$LABDIR/"
cp "$work/sd-guest.cpio.gz" "$work/g1.cpio.gz" "$droot$LABDIR/"
cp "$stock_elf" "$droot$LABDIR/stock-vmlinux"
cp "$kdir/vmlinux" "$droot$LABDIR/patched-vmlinux"
install -m 0644 "$QEMU_DIR/ptswitch-e2e.service" "$droot/etc/systemd/system/"
chroot "$droot" systemctl enable ptswitch-e2e.service >&2
slim "$droot"
e2e_pack "$droot" "$work/dom0.cpio.gz" /bin/busybox
rm -rf "$droot"
e2e_xen_elf "$xen" "$work/xen.elf"
t_images=$(date +%s)
e2e_log "images in $((t_images - t_parts)) s: dom0 $(du -h "$work/dom0.cpio.gz" | cut -f1)," \
	"sd-guest $(du -h "$work/sd-guest.cpio.gz" | cut -f1)"

e2e_log "booting under QEMU (TCG), console log: $log"
E2E_DOM0_MEM=1024M e2e_boot "$work/xen.elf" "$vmlinuz" \
	"console=hvc0 earlyprintk=xen rdinit=/sbin/init" \
	"$work/dom0.cpio.gz" "$log" "$timeout_s" 2560
t_end=$(date +%s)

strip() { sed 's/^\[ *[0-9.]*\] //' "$log"; }
strip | grep -a '^E2E: \(PASS\|FAIL\|SKIP\|INFO\|TIME\)' || true
npass=$(strip | grep -ac '^E2E: PASS ' || true)
nfail=$(strip | grep -ac '^E2E: FAIL ' || true)
if ! strip | grep -aq '^E2E: DONE'; then
	nfail=$((nfail + 1))
	echo "E2E: FAIL run dom0 never reached the end; last console lines:"
	tail -n 60 "$log"
fi
e2e_log "parts $((t_parts - t_start)) s, images $((t_images - t_parts)) s," \
	"boot+checks $((t_end - t_images)) s, total $((t_end - t_start)) s"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]

#!/bin/sh
# SPDX-License-Identifier: MIT
# The packaged guest kernel end-to-end (issue 17 item 3): the linux-image
# .deb of build-kernel-deb.sh installed with dpkg into a PV guest image
# of the e2e lab (with the ptswitch-agent .deb), the guest booted from
# the /boot/vmlinuz-* the package installed, on the BATCH hypervisor
# (Xen under QEMU TCG), dom0 running ptswitchd from its .deb.
# lab/dom0-kdeb.sh has the checks; boot-test.sh --kdeb builds the images
# and boots.
#
#   kdeb-e2e.sh [--debs DIR] [--release 6.1|6.12] [--xen XEN_GZ]
#               [--size MIB,FORKS,LOAD] [--timeout SECS] [--log FILE]
#               [--mm SECONDS]
#
# --debs     a build-kernel-deb.sh OUTDIR (default: run it, cached, for
#            the release)
# --release  the kernel's Debian release for build-kernel-deb.sh: 6.12
#            (default, trixie's) or 6.1 (bookworm's)
# --xen      a hypervisor with BATCH (default: hv-patches/build-xen.sh,
#            cached)
# --size     forkbench: parent MiB, forks per measured run, forks per
#            load run (default 32,10,4)
# --mm       seconds of mmstress (tests/mmstress) in BATCH on the guest's
#            two vCPUs (default 60; 0: none)
# KDEB_MODULES  the modules the guest loads from the package
#            (default: the Xen frontends and devices of a PV guest)
#
# Ends with "N passed, N failed"; exits 0 only if every check passed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

size=32,10,4
release=6.12
debs=
xen=
timeout_s=2400
log=
mm=60
while [ $# -gt 0 ]; do
	case $1 in
	--debs) debs=$2; shift 2 ;;
	--release) release=$2; shift 2 ;;
	--xen) xen=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--mm) mm=$2; shift 2 ;;
	-h | --help) sed -n '2,28p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done
case $size in
*,*,*) ;;
*) e2e_die "--size takes three numbers" ;;
esac
# Xen's block, network, PCI and SCSI frontends, its event channel,
# privcmd and xenfs devices: what a PV guest loads at boot.
export KDEB_MODULES="${KDEB_MODULES:-xen-blkfront,xen-netfront,xen-pcifront,xen-scsifront,xen-evtchn,xen-privcmd,xenfs,xen-gntdev}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
if [ -z "$debs" ]; then
	debs=$work/debs
	KERNEL_RELEASE=$release "$HERE/build-kernel-deb.sh" "$debs" ||
		e2e_die "build-kernel-deb.sh failed"
fi
e2e_log "kernel packages: $(sed -n 's/^kernelrelease=//p' \
	"$debs/build-info") $(sed -n 's/^package-version=//p' \
	"$debs/build-info") ($(sed -n 's/^source=//p' "$debs/build-info")," \
	"built in $(sed -n 's/^build-seconds=//p' "$debs/build-info") s" \
	"when first built), ready in $(($(date +%s) - t0)) s"
t0=$(date +%s)
[ -n "$xen" ] || xen=$(e2e_batch_xen "$TOP" "$work") || exit 1
e2e_log "hypervisor ready in $(($(date +%s) - t0)) s"
# The fork sizes; the last two (the stock guest's) are unused here.
exec "$HERE/boot-test.sh" --xen "$xen" --expect patched --kdeb "$debs" \
	--fork "$size,0,0" --timeout "$timeout_s" --mm "$mm" \
	${log:+--log "$log"}

#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside the trixie lab root (tests/trixie/lab.sh runs it there): the QEMU
# lab's images made from trixie alone.  ptswitchd and ptswitch-agent are
# installed with dpkg from the trixie .debs in DEBDIR (built in the
# trixie build root: lab-debs.sh --release trixie), the daemon's into
# dom0, the agent's into the guests; pt-domctl and the test tools are
# built here with trixie's gcc and Xen 4.20 libraries; the kernel is
# trixie's linux-image-amd64 (6.12), the dom0 tools those of
# xen-utils-4.20, the hypervisor Debian's stock xen-hypervisor-4.20-amd64.
# The images are packed by tests/e2e's own scripts.
#
#   tests/trixie/mkimages.sh OUTDIR DEBDIR
#
# OUTDIR gets xen-4.20-amd64.gz, vmlinuz, dom0.cpio.gz, guest.cpio.gz,
# VERSIONS (what went in), pvguest/ (the PV test kernel and dom0's
# pvg-grant, for tests/pvguest/run.sh --dom0-image OUTDIR) and kguest/
# (the Linux guest lab's guest tools forkbench, stuckpmd, zapfault and
# 4.20's xenctx, for guestagent/linux-patches/boot-test.sh --dom0-image).
set -eu # not pipefail: tests/e2e/lib.sh is written for POSIX sh
cd "$(dirname "$0")/../.."
# shellcheck source=../e2e/lib.sh
. tests/e2e/lib.sh

out=${1:?usage: mkimages.sh OUTDIR DEBDIR}
debs=${2:?usage: mkimages.sh OUTDIR DEBDIR}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
daemon_deb=$debs/ptswitchd_${version}_amd64.deb
agent_deb=$debs/ptswitch-agent_${version}_amd64.deb
if [ ! -f "$daemon_deb" ] || [ ! -f "$agent_deb" ]; then
	e2e_die "no ptswitchd and ptswitch-agent $version .debs in $debs"
fi
mkdir -p "$out"
build=build/trixie/lab-bin
xenbin=/usr/lib/xen-4.20/bin

e2e_log "building pt-domctl and the test tools (trixie, Xen 4.20)"
make -s -j"$(nproc)" BUILD=$build "$build/pt-domctl" pvguest \
	"$build/forkbench" "$build/stuckpmd" "$build/zapfault"
mkdir -p "$out/pvguest" "$out/kguest"
cp $build/pvguest.elf $build/pvg-grant "$out/pvguest/"
cp $build/forkbench $build/stuckpmd $build/zapfault $xenbin/xenctx \
	"$out/kguest/"

# The kernel package, unpacked under the root's own cache (lib.sh).
cache=$(e2e_cache_dir "$(mktemp -d)")
e2e_kernel_tree "$cache"
set -- "$ktree"/boot/vmlinuz-*
vmlinuz=$1
guest_kernel=$ktree/vmlinux
[ -s "$guest_kernel" ] || e2e_extract_vmlinux "$vmlinuz" "$guest_kernel" ||
	guest_kernel=$vmlinuz

e2e_log "packing the guest and dom0 images"
tests/e2e/mkinitrd-guest.sh --out "$out/guest.cpio.gz" \
	--deb "$agent_deb" --kernel-tree "$ktree" \
	--domctl $build/pt-domctl
E2E_XENBIN=$xenbin tests/e2e/mkinitrd-dom0.sh --out "$out/dom0.cpio.gz" \
	--kernel-tree "$ktree" --guest-initrd "$out/guest.cpio.gz" \
	--guest-kernel "$guest_kernel" --deb "$daemon_deb" \
	--domctl $build/pt-domctl
cp "$vmlinuz" "$out/vmlinuz"
cp /boot/xen-4.20-amd64.gz "$out/xen-4.20-amd64.gz"
{
	echo "debian $(cat /etc/debian_version)"
	echo "kernel ${vmlinuz##*/vmlinuz-}"
	dpkg-query -W -f='${Package} ${Version}\n' xen-hypervisor-4.20-amd64 \
		xen-utils-4.20 libxen-dev busybox-static
	for deb in "$daemon_deb" "$agent_deb"; do
		echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" \
			"(.deb, Depends: $(dpkg-deb -f "$deb" Depends))"
	done
} >"$out/VERSIONS"
ls -l "$out"

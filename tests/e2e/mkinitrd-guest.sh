#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the initramfs of an e2e PV guest: busybox, the xenstore CLI and
# ptswitch-agent (with their shared libraries), and guest/init.
#
#   mkinitrd-guest.sh --out FILE [--deb FILE]... [--agent BIN]
#                     [--domctl BIN --kernel-tree DIR] [--busybox BIN]
#                     [--kmod]
#
# --deb installs a package (the ptswitch-agent .deb) with dpkg into the
# image, dpkg's database beside it (pkgcheck.sh, in the image as
# /e2e/pkgcheck.sh, tells the guest whether its agent is the packaged
# one).  --agent copies a binary to /usr/sbin/ptswitch-agent instead:
# only for a release with no .debs (tests/trixie).  Without either the
# image has no agent (the checks then report SKIP).
# --domctl adds pt-domctl (for the guest's vm-assist opt-in) and the
# privcmd module it needs from DIR, an unpacked linux-image package.
# --kmod adds this host's kmod as /usr/sbin/modprobe and lsmod, with its
# libraries: busybox's cannot load a packaged kernel's xz-compressed
# modules (guestagent/linux-patches/kdeb-e2e.sh).  Copied, not installed
# from kmod's .deb, whose postinst needs update-rc.d.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

out=
agent=
debs=
domctl=
ktree=
busybox=/bin/busybox
kmod=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--agent) agent=$2; shift 2 ;;
	--deb) debs="$debs $2"; shift 2 ;;
	--domctl) domctl=$2; shift 2 ;;
	--kernel-tree) ktree=$2; shift 2 ;;
	--busybox) busybox=$2; shift 2 ;;
	--kmod) kmod=1; shift ;;
	*) e2e_die "mkinitrd-guest: unknown argument $1" ;;
	esac
done
[ -n "$out" ] || e2e_die "mkinitrd-guest: --out FILE is required"
[ -z "$agent" ] || [ -z "$debs" ] ||
	e2e_die "mkinitrd-guest: --agent and --deb: one agent, not two"
[ -x "$busybox" ] || e2e_die "no static busybox at $busybox"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT INT TERM

e2e_skeleton "$root" "$busybox"
# xenstore-read/write/ls/... are one binary dispatching on argv[0].
e2e_copy_with_libs "$root" /usr/bin/xenstore
for tool in read write ls list rm exists chmod watch; do
	ln -s xenstore "$root/usr/bin/xenstore-$tool"
done
if [ -n "$agent" ]; then
	e2e_install_bin "$root" "$agent" /usr/sbin/ptswitch-agent
fi
if [ -n "$domctl" ]; then
	[ -n "$ktree" ] || e2e_die "mkinitrd-guest: --domctl needs --kernel-tree"
	e2e_install_bin "$root" "$domctl" /usr/sbin/pt-domctl
	ko=$(find "$ktree"/lib/modules/*/kernel -name xen-privcmd.ko | head -n 1)
	[ -n "$ko" ] || e2e_die "xen-privcmd.ko not found under $ktree"
	kver=${ko#"$ktree"/lib/modules/}
	kver=${kver%%/*}
	e2e_copy_file "$root" "$ko" "/lib/modules/$kver/xen-privcmd.ko"
fi
if [ "$kmod" = 1 ]; then
	e2e_install_bin "$root" "$(command -v kmod || echo /bin/kmod)" \
		/usr/sbin/kmod
	ln -sf kmod "$root/usr/sbin/modprobe"
	ln -sf kmod "$root/usr/sbin/lsmod"
fi
install -m 0755 "$HERE/guest/init" "$root/init"
mkdir -p "$root/e2e"
cp "$HERE/pkgcheck.sh" "$root/e2e/pkgcheck.sh"
# shellcheck disable=SC2086 # one word per .deb
[ -z "$debs" ] || e2e_dpkg_install "$root" $debs
e2e_dpkg_verify "$root"

e2e_pack "$root" "$out" "$busybox"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the dom0 initramfs of the e2e lab: busybox, Debian's Xen tools
# (xenstored, xenconsoled, xen-init-dom0, xl, the xenstore CLI) with their
# libraries, the Xen kernel modules of the kernel, the guest kernel and
# initramfs, ptswitchd, the lab's tools, dom0/init and the checks.
#
#   mkinitrd-dom0.sh --out FILE --kernel-tree DIR --guest-initrd FILE
#                    [--guest-kernel FILE] [--deb FILE]... [--ptswitchd BIN]
#                    [--domctl BIN] [--busybox BIN]
#
# DIR is an unpacked linux-image package (boot/vmlinuz-*, lib/modules/*).
# The guests boot DIR's kernel, or --guest-kernel (the same kernel as an
# uncompressed ELF: xl then skips an xz decompression that costs seconds
# per guest under TCG).
# --deb installs a package (the ptswitchd .deb) with dpkg into the image:
# its files at its paths, dpkg's database beside them, which the checks
# use to tell that the daemon they run is the packaged one.  --ptswitchd
# copies a binary to /usr/sbin/ptswitchd instead: only for a release
# with no .debs (tests/trixie builds its own in the trixie root).
# Missing ptswitchd/--domctl make the checks that need them SKIP.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

# E2E_XENBIN: another release's tools (tests/trixie: /usr/lib/xen-4.20/bin).
XENBIN=${E2E_XENBIN:-/usr/lib/xen-4.17/bin}
MODULES="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs"

out=
ktree=
guest_initrd=
guest_kernel=
ptswitchd=
domctl=
debs=
busybox=/bin/busybox
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--kernel-tree) ktree=$2; shift 2 ;;
	--guest-initrd) guest_initrd=$2; shift 2 ;;
	--guest-kernel) guest_kernel=$2; shift 2 ;;
	--ptswitchd) ptswitchd=$2; shift 2 ;;
	--deb) debs="$debs $2"; shift 2 ;;
	--domctl) domctl=$2; shift 2 ;;
	--busybox) busybox=$2; shift 2 ;;
	*) e2e_die "mkinitrd-dom0: unknown argument $1" ;;
	esac
done
if [ -z "$out" ] || [ -z "$ktree" ] || [ -z "$guest_initrd" ]; then
	e2e_die "mkinitrd-dom0: --out, --kernel-tree, --guest-initrd needed"
fi
[ -x "$busybox" ] || e2e_die "no static busybox at $busybox"
[ -z "$ptswitchd" ] || [ -z "$debs" ] ||
	e2e_die "mkinitrd-dom0: --ptswitchd and --deb: one daemon, not two"

set -- "$ktree"/boot/vmlinuz-*
vmlinuz=$1
[ -f "$vmlinuz" ] || e2e_die "no boot/vmlinuz-* in $ktree"
kver=${vmlinuz##*/vmlinuz-}
moddir=$ktree/lib/modules/$kver

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT INT TERM

e2e_skeleton "$root" "$busybox"

for bin in xenstored xenconsoled xen-init-dom0 xl; do
	e2e_copy_with_libs "$root" "$XENBIN/$bin"
	ln -s "$XENBIN/$bin" "$root/usr/sbin/$bin"
done
# glibc's pthread_cancel (used by libxl) dlopens libgcc_s.
libgcc=$(ldconfig -p | awk '/libgcc_s\.so\.1 .*x86-64/ { print $NF; exit }')
[ -n "$libgcc" ] || e2e_die "libgcc_s.so.1 not found"
e2e_copy_file "$root" "$libgcc"
e2e_copy_with_libs "$root" /usr/bin/xenstore
for tool in read write ls list rm exists chmod watch; do
	ln -s xenstore "$root/usr/bin/xenstore-$tool"
done

# The Xen device modules Debian builds as modules (xenfs needs privcmd).
for m in $MODULES; do
	ko=$(find "$moddir/kernel" -name "$m.ko" | head -n 1)
	[ -n "$ko" ] || e2e_die "module $m not found under $moddir"
	e2e_copy_file "$root" "$ko" "/lib/modules/$kver/$m.ko"
done
echo "$MODULES" >"$root/etc/e2e-modules"

# xl only complains when its global config is missing; defaults suit us.
mkdir -p "$root/etc/xen"
printf '# e2e: xl defaults\n' >"$root/etc/xen/xl.conf"

mkdir -p "$root/e2e"
cp "${guest_kernel:-$vmlinuz}" "$root/e2e/guest-kernel"
cp "$guest_initrd" "$root/e2e/guest.cpio.gz"
cp "$HERE/dom0/checks.sh" "$HERE/dom0/checklib.sh" "$HERE/dom0/policy.yaml" \
	"$HERE/pkgcheck.sh" "$root/e2e/"
install -m 0755 "$HERE/dom0/init" "$root/init"

[ -n "$ptswitchd" ] &&
	e2e_install_bin "$root" "$ptswitchd" /usr/sbin/ptswitchd
[ -n "$domctl" ] &&
	e2e_install_bin "$root" "$domctl" /usr/sbin/pt-domctl
# shellcheck disable=SC2086 # one word per .deb
[ -z "$debs" ] || e2e_dpkg_install "$root" $debs
e2e_dpkg_verify "$root"

e2e_pack "$root" "$out" "$busybox"

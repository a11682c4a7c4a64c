#!/bin/sh
# Build the initramfs of an e2e PV guest: busybox, the xenstore CLI and
# ptswitch-agent (with their shared libraries), and guest/init.
#
#   mkinitrd-guest.sh --out FILE [--agent BIN] [--busybox BIN]
#
# Without --agent the image has no agent (the checks then report SKIP).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

out=
agent=
busybox=/bin/busybox
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--agent) agent=$2; shift 2 ;;
	--busybox) busybox=$2; shift 2 ;;
	*) e2e_die "mkinitrd-guest: unknown argument $1" ;;
	esac
done
[ -n "$out" ] || e2e_die "mkinitrd-guest: --out FILE is required"
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
install -m 0755 "$HERE/guest/init" "$root/init"

e2e_pack "$root" "$out" "$busybox"

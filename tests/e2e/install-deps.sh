#!/bin/sh
# Install the Debian packages the end-to-end lab needs on top of
# scripts/install-deps.sh (which covers the build and the fast tests).
# Idempotent and quick when everything is present.
#
# The guest/dom0 kernel is not installed: run-e2e.sh unpacks it from the
# downloaded linux-image package, so the host's /boot is left alone.
set -eu

PKGS="qemu-system-x86 busybox-static xen-hypervisor-4.17-amd64
xen-utils-4.17 xenstore-utils xz-utils"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "e2e install-deps: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	--no-install-recommends $missing

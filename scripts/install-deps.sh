#!/bin/sh
# Install the Debian packages ptswitch needs to build, test and run its demo.
# Idempotent and quick when everything is present.
set -eu

PKGS="build-essential pkg-config libxen-dev libyaml-dev libsystemd-dev
libcmocka-dev xenstore-utils xen-utils-4.17 python3"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing

#!/bin/bash
# SPDX-License-Identifier: MIT
# Make (or reuse) a Debian trixie build root: the -dev packages of Xen 4.20
# and trixie's xenstored, so ptswitch is built and tested inside it against
# trixie's own libraries.  Nothing built on the host goes in.
#
#   tests/trixie/mkroot.sh          print the root's path, building it first
#                                   when the cache has none
#   tests/trixie/mkroot.sh --force  rebuild it
#   tests/trixie/mkroot.sh --lab    the root for the QEMU lab's images:
#                                   also busybox-static and trixie's Xen
#                                   hypervisor (a root of its own)
#
# Environment: PTSWITCH_CACHE, PTSWITCH_TRIXIE_MIRROR, PTSWITCH_ROOT_MAX_DAYS.
#
# The root is a cache, never a dependency: it lives under
# $PTSWITCH_CACHE (default /var/cache/ptswitch) keyed by a hash of the
# suite and package list below, and is rebuilt from the registry when it is
# absent or incomplete.  The host's apt setup is not touched: mmdebstrap
# keeps its own sources and state inside the root.  The mirror is the one
# the host's apt uses (override: PTSWITCH_TRIXIE_MIRROR).
set -euo pipefail

SUITE=trixie
# Build and test dependencies, as scripts/install-deps.sh lists them for
# bookworm, with trixie's Xen (4.20); procps for ps, used by tests/xslab.
PKGS="build-essential pkg-config libxen-dev libyaml-dev libsystemd-dev
libcmocka-dev xenstore-utils xen-utils-4.20 python3 groff-base man-db
procps file"
# The build root only: what make deb-check-trixie needs to build the
# .debs with dpkg-buildpackage and check them with trixie's lintian.  Not
# in the lab root (--lab), which makes images and builds no package.
DEB_PKGS="debhelper lintian"

cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
force=0
name=trixie-root
lab=0
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	--lab) lab=1 ;;
	*) echo "usage: $0 [--force] [--lab]" >&2; exit 2 ;;
	esac
done
if [ "$lab" = 1 ]; then
	name=trixie-lab
	PKGS="$PKGS busybox-static xen-hypervisor-4.20-amd64 xz-utils"
else
	PKGS="$PKGS $DEB_PKGS"
fi

# host_uris, debroot
# shellcheck source=tests/debroot.sh disable=SC2034 # cache and PKGS are its inputs
. "$(dirname "$0")/../debroot.sh"
# The first Debian archive URI the host's apt is configured with (not the
# security one): the registry this machine may reach.
mirror=${PTSWITCH_TRIXIE_MIRROR:-$(host_uris | grep -v security | head -n 1)}
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources (set PTSWITCH_TRIXIE_MIRROR)"

debroot "$name" "$SUITE" "$force" "libxen-dev xen-utils-4.20 xenstore-utils" \
	"deb $mirror $SUITE main"

#!/bin/bash
# SPDX-License-Identifier: MIT
# Make (or reuse) the Debian bookworm root that tests/systemd/run.sh boots
# with systemd as PID 1: systemd, Debian's xen-utils (its init script and
# xenstored) and the shared libraries the ptswitch packages depend on.
# The packages themselves are not in it: run.sh installs them with dpkg -i
# into a fresh copy at every run.
#
#   tests/systemd/mkroot.sh          print the root's path, building it first
#                                    when the cache has none
#   tests/systemd/mkroot.sh --force  rebuild it
#   tests/systemd/mkroot.sh --release trixie
#                                    the trixie root of check-trixie
#                                    (tests/trixie/mkroot.sh): it holds
#                                    systemd 257, xen-utils-4.20 with the
#                                    xen.service trixie ships, and the
#                                    packages' libraries
#
# Environment: PTSWITCH_CACHE (default /var/cache/ptswitch),
# PTSWITCH_BOOKWORM_MIRROR, PTSWITCH_ROOT_MAX_DAYS (default 7).
#
# The root is a cache keyed by a hash of the suite and package list, made
# by mmdebstrap from the mirror the host's apt uses; the host's apt state
# is not touched (mmdebstrap keeps its own inside the root).
set -euo pipefail

SUITE=bookworm
# systemd-sysv: systemd as /sbin/init.  xen-utils-4.17: xenstored and the
# xen init script (xen-utils-common), from which systemd-sysv-generator
# makes xen.service, as on a bookworm dom0.  libyaml, libsystemd0: what
# ptswitchd's package depends on besides the Xen libraries.  kmod: the
# init script loads xenfs and the Xen device modules with modprobe, as
# on a Debian dom0 (tests/systemd/e2e.sh boots this root under Xen).
PKGS="systemd systemd-sysv dbus xen-utils-4.17 xenstore-utils libyaml-0-2
libsystemd0 procps kmod"

cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
force=0
release=bookworm
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--release) release=${2:-}; shift ;;
	*) echo "usage: $0 [--force] [--release bookworm|trixie]" >&2; exit 2 ;;
	esac
	shift
done
case $release in
bookworm) ;;
trixie)
	if [ "$force" = 1 ]; then
		exec "$(dirname "$0")/../trixie/mkroot.sh" --force
	fi
	exec "$(dirname "$0")/../trixie/mkroot.sh"
	;;
*) echo "mkroot: no systemd root for release '$release'" >&2; exit 2 ;;
esac

# host_uris, debroot
# shellcheck source=tests/debroot.sh disable=SC2034 # cache and PKGS are its inputs
. "$(dirname "$0")/../debroot.sh"
mirror=${PTSWITCH_BOOKWORM_MIRROR:-$(host_uris | grep -v security | head -n 1)}
security=$(host_uris | grep security | head -n 1)
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources (set PTSWITCH_BOOKWORM_MIRROR)"

sources=("deb $mirror $SUITE main" "deb $mirror $SUITE-updates main")
[ -z "$security" ] || sources+=("deb $security $SUITE-security main")
debroot systemd-root "$SUITE" "$force" \
	"systemd xen-utils-4.17 xen-utils-common" "${sources[@]}"

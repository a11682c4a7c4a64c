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

cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
force=0
name=trixie-root
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	--lab)
		name=trixie-lab
		PKGS="$PKGS busybox-static xen-hypervisor-4.20-amd64 xz-utils"
		;;
	*) echo "usage: $0 [--force] [--lab]" >&2; exit 2 ;;
	esac
done

die() {
	echo "mkroot: $*" >&2
	exit 1
}

# The first Debian archive URI the host's apt is configured with (not the
# security one): the registry this machine may reach.
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+' "$f" |
			grep -oE '[a-z]+://[^[:space:]]+' | grep -v security || true
	done | head -n 1
}

mirror=${PTSWITCH_TRIXIE_MIRROR:-$(host_mirror)}
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources (set PTSWITCH_TRIXIE_MIRROR)"

# The key covers what goes into the root, not where it came from.
key=$(printf '%s\n' "$SUITE" $PKGS | sha256sum | cut -c1-16)
root=$cache/$name-$key
stamp=$root/.ptswitch-root-complete

mkdir -p "$cache"
exec 9>"$cache/$name.lock"
flock 9

# A root older than PTSWITCH_ROOT_MAX_DAYS (default 7) is rebuilt, so the
# tests follow trixie's point and security releases.
max_days=${PTSWITCH_ROOT_MAX_DAYS:-7}
if [ "$force" = 0 ] && [ -e "$stamp" ] &&
	[ -z "$(find "$stamp" -mtime +"$max_days")" ]; then
	echo "$root"
	exit 0
fi

install_mmdebstrap() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends mmdebstrap >&2
}
command -v mmdebstrap >/dev/null || install_mmdebstrap ||
	{ apt-get update -qq >&2 && install_mmdebstrap; } ||
	die "cannot install mmdebstrap"

echo "mkroot: building the $SUITE root in $root from $mirror" >&2
start=$(date +%s)
tmp=$root.tmp.$$
rm -rf --one-file-system "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
# shellcheck disable=SC2086 # one word per package
mmdebstrap --mode=root --variant=apt --format=directory \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(echo $PKGS | tr ' ' ',')" \
	"$SUITE" "$tmp" "deb $mirror $SUITE main" >&2 ||
	die "mmdebstrap failed"
# What the root holds, for the logs and for anyone comparing two roots.
chroot "$tmp" dpkg-query -W -f='${Package} ${Version}\n' \
	libxen-dev xen-utils-4.20 xenstore-utils >"$tmp/.ptswitch-versions"
rm -rf "$root"
mv "$tmp" "$root"
trap - EXIT
date -u +%FT%TZ >"$stamp"
echo "mkroot: built in $(($(date +%s) - start)) s:" $(cat "$root/.ptswitch-versions") >&2
echo "$root"

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
# ptswitchd's package depends on besides the Xen libraries.
PKGS="systemd systemd-sysv dbus xen-utils-4.17 xenstore-utils libyaml-0-2
libsystemd0 procps"

cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
force=0
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	*) echo "usage: $0 [--force]" >&2; exit 2 ;;
	esac
done

die() {
	echo "mkroot: $*" >&2
	exit 1
}

# The host's apt URIs: the first archive one and the first security one.
host_uris() {
	local f
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		grep -hoE '(URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+' "$f" |
			grep -oE '[a-z]+://[^[:space:]]+' | grep -i debian || true
	done
}
mirror=${PTSWITCH_BOOKWORM_MIRROR:-$(host_uris | grep -v security | head -n 1)}
security=$(host_uris | grep security | head -n 1)
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources (set PTSWITCH_BOOKWORM_MIRROR)"

key=$(printf '%s\n' "$SUITE" $PKGS | sha256sum | cut -c1-16)
root=$cache/systemd-root-$key
stamp=$root/.ptswitch-root-complete

mkdir -p "$cache"
exec 9>"$cache/systemd-root.lock"
flock 9

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

sources=("deb $mirror $SUITE main" "deb $mirror $SUITE-updates main")
[ -z "$security" ] || sources+=("deb $security $SUITE-security main")

echo "mkroot: building the $SUITE systemd root in $root from $mirror" >&2
start=$(date +%s)
tmp=$root.tmp.$$
rm -rf --one-file-system "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
# shellcheck disable=SC2086 # one word per package
mmdebstrap --mode=root --variant=apt --format=directory \
	--aptopt='APT::Install-Recommends "false"' \
	--include="$(echo $PKGS | tr ' ' ',')" \
	"$SUITE" "$tmp" "${sources[@]}" >&2 || die "mmdebstrap failed"
chroot "$tmp" dpkg-query -W -f='${Package} ${Version}\n' \
	systemd xen-utils-4.17 xen-utils-common >"$tmp/.ptswitch-versions"
rm -rf "$root"
mv "$tmp" "$root"
trap - EXIT
date -u +%FT%TZ >"$stamp"
echo "mkroot: built in $(($(date +%s) - start)) s: $(tr '\n' ' ' <"$root/.ptswitch-versions")" >&2
echo "$root"

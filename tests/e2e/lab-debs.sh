#!/bin/sh
# SPDX-License-Identifier: MIT
# The ptswitchd and ptswitch-agent .debs the bookworm QEMU labs install
# into their images (mkinitrd-dom0.sh / mkinitrd-guest.sh --deb).  Prints
# the directory that holds them.
#
#   tests/e2e/lab-debs.sh [--release trixie]
#
# LAB_DEBS=DIR: use the .debs already built there (CI passes the ones
# `make deb-check` left in build/deb-check; the same run, the same tree).
# They must be this tree's version; .debs whose OUT/tree-key names
# another tree are used all the same, with a warning.
# Without LAB_DEBS: build them once into build/lab-debs with
# scripts/build-deb.sh, and again only when the tree changes (its
# scripts/tree-key.sh).  Concurrent labs take turns under a lock.
# --release trixie: the trixie lab's (tests/trixie/lab.sh): TRIXIE_LAB_DEBS
# (CI: build/trixie/deb-check, from make deb-check-trixie), else built
# in the trixie root (tests/trixie/indeb.sh) into build/trixie/lab-debs;
# .debs whose ptswitchd is not linked against Xen 4.20 (bookworm's) are
# refused.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

release=bookworm
if [ "${1:-}" = --release ]; then
	release=${2:-}
fi
case $release in
bookworm) var=LAB_DEBS dir=$TOP/build/lab-debs ;;
trixie) var=TRIXIE_LAB_DEBS dir=$TOP/build/trixie/lab-debs ;;
*) e2e_die "lab-debs: no .debs for release '$release'" ;;
esac
given=$(eval "echo \"\${$var:-}\"")

version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
key=$("$TOP/scripts/tree-key.sh")

# has_debs DIR: both binary packages of this version are there.
has_debs() {
	[ -f "$1/ptswitchd_${version}_amd64.deb" ] &&
		[ -f "$1/ptswitch-agent_${version}_amd64.deb" ]
}

# for_release DIR: the daemon's Depends name trixie's libxenctrl package
# (libxenmisc4.20) when the lab is trixie's: the versions are the same.
for_release() {
	[ "$release" = trixie ] || return 0
	dpkg-deb -f "$1/ptswitchd_${version}_amd64.deb" Depends |
		grep -q 'libxenmisc4\.20' ||
		e2e_die "$1: ptswitchd is not built for Xen 4.20 (Depends:" \
			"$(dpkg-deb -f "$1/ptswitchd_${version}_amd64.deb" Depends))"
}

if [ -n "$given" ]; then
	dir=$(cd "$given" 2>/dev/null && pwd) ||
		e2e_die "$var=$given: no such directory"
	has_debs "$dir" ||
		e2e_die "$var=$given has no ptswitchd_${version}_amd64.deb" \
			"and ptswitch-agent_${version}_amd64.deb"
	for_release "$dir"
	if [ "$(cat "$dir/tree-key" 2>/dev/null)" != "$key" ]; then
		e2e_log "warning: the .debs in $given were not built from" \
			"this tree (tree-key $(cat "$dir/tree-key" 2>/dev/null ||
				echo missing), this tree $key)"
	fi
	echo "$dir"
	exit 0
fi

mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
if has_debs "$dir" && [ "$(cat "$dir/tree-key" 2>/dev/null)" = "$key" ]; then
	e2e_log "the .debs of this tree: $dir"
	echo "$dir"
	exit 0
fi
e2e_log "building the $release .debs (scripts/build-deb.sh $dir)"
t0=$(date +%s)
rm -rf "$dir"
if [ "$release" = trixie ]; then
	(cd "$TOP" && tests/trixie/indeb.sh nice -n 19 scripts/build-deb.sh \
		"${dir#"$TOP"/}")
else
	"$TOP/scripts/install-deps.sh" deb >&2
	nice -n 10 "$TOP/scripts/build-deb.sh" "$dir"
fi >"$dir.log" 2>&1 || {
	tail -n 40 "$dir.log" >&2
	e2e_die "building the .debs failed (log: $dir.log)"
}
has_debs "$dir" || e2e_die "scripts/build-deb.sh left no .debs in $dir"
for_release "$dir"
e2e_log "built the .debs in $(($(date +%s) - t0)) s"
echo "$dir"

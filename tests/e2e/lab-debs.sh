#!/bin/sh
# SPDX-License-Identifier: MIT
# The ptswitchd and ptswitch-agent .debs the bookworm QEMU labs install
# into their images (mkinitrd-dom0.sh / mkinitrd-guest.sh --deb).  Prints
# the directory that holds them.
#
#   tests/e2e/lab-debs.sh
#
# LAB_DEBS=DIR: use the .debs already built there (CI passes the ones
# `make deb-check` left in build/deb-check; the same run, the same tree).
# They must be this tree's version; .debs whose OUT/tree-key names
# another tree are used all the same, with a warning.
# Without LAB_DEBS: build them once into build/lab-debs with
# scripts/build-deb.sh, and again only when the tree changes (its
# scripts/tree-key.sh).  Concurrent labs take turns under a lock.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
key=$("$TOP/scripts/tree-key.sh")

# has_debs DIR: both binary packages of this version are there.
has_debs() {
	[ -f "$1/ptswitchd_${version}_amd64.deb" ] &&
		[ -f "$1/ptswitch-agent_${version}_amd64.deb" ]
}

if [ -n "${LAB_DEBS:-}" ]; then
	dir=$(cd "$LAB_DEBS" 2>/dev/null && pwd) ||
		e2e_die "LAB_DEBS=$LAB_DEBS: no such directory"
	has_debs "$dir" ||
		e2e_die "LAB_DEBS=$LAB_DEBS has no ptswitchd_${version}_amd64.deb" \
			"and ptswitch-agent_${version}_amd64.deb"
	if [ "$(cat "$dir/tree-key" 2>/dev/null)" != "$key" ]; then
		e2e_log "warning: the .debs in $LAB_DEBS were not built from" \
			"this tree (tree-key $(cat "$dir/tree-key" 2>/dev/null ||
				echo missing), this tree $key)"
	fi
	echo "$dir"
	exit 0
fi

dir=$TOP/build/lab-debs
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
if has_debs "$dir" && [ "$(cat "$dir/tree-key" 2>/dev/null)" = "$key" ]; then
	e2e_log "the .debs of this tree: $dir"
	echo "$dir"
	exit 0
fi
e2e_log "building the .debs (scripts/build-deb.sh $dir)"
"$TOP/scripts/install-deps.sh" deb >&2
t0=$(date +%s)
rm -rf "$dir"
if ! nice -n 10 "$TOP/scripts/build-deb.sh" "$dir" >"$dir.log" 2>&1; then
	tail -n 40 "$dir.log" >&2
	e2e_die "building the .debs failed (log: $dir.log)"
fi
has_debs "$dir" || e2e_die "scripts/build-deb.sh left no .debs in $dir"
e2e_log "built the .debs in $(($(date +%s) - t0)) s"
echo "$dir"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian packages from the committed-or-staged tree in a copy,
# so that dpkg-buildpackage's outputs (written to the parent of the
# source directory) land in OUT and not beside the clone.
#   scripts/build-deb.sh OUT [dpkg-buildpackage options...]
# DEB_BUILD_PROFILES=pkg.ptswitch.agent-only builds the agent alone.
# OUT/tree-key names the tree they came from (scripts/tree-key.sh), so
# that the QEMU labs can tell .debs of this tree from older ones.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUT [dpkg-buildpackage options]}
shift
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src="$out/ptswitch-$version"
rm -rf "$src" "$out/tree-key"
key=$("$top/scripts/tree-key.sh")
mkdir -p "$src"
# The files git knows, as they are in the work tree: no build/ outputs.
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}" || :' |
	tar --null -T - -cf -) | tar -C "$src" -xf -
cd "$src"
dpkg-buildpackage -us -uc -b "$@"
echo "$key" >"$out/tree-key"

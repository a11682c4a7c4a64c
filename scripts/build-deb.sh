#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian packages from the committed-or-staged tree in a copy,
# so that dpkg-buildpackage's outputs (written to the parent of the
# source directory) land in OUT and not beside the clone.
#   scripts/build-deb.sh OUT [dpkg-buildpackage options...]
#   scripts/build-deb.sh --export TAR
# DEB_BUILD_PROFILES=pkg.ptswitch.agent-only builds the agent alone.
# OUT/tree-key names the tree they came from (scripts/tree-key.sh), so
# that the QEMU labs can tell .debs of this tree from older ones.
# --export writes that copy as TAR and its key as TAR.key, for a build
# root that has no git (tests/trixie/deb-check.sh); PTSWITCH_DEB_TREE=TAR
# then builds from it instead of the work tree.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

# export_tree: the files git knows, as they are in the work tree (no
# build/ outputs; the list tree-key.sh keys), as a tar on stdout.
export_tree() {
	(cd "$top" && scripts/tree-key.sh --files | tar --null -T - -cf -)
}

if [ "${1:-}" = --export ]; then
	tar=${2:?usage: build-deb.sh --export TAR}
	export_tree >"$tar.tmp"
	"$top/scripts/tree-key.sh" >"$tar.key.tmp"
	mv "$tar.tmp" "$tar"
	mv "$tar.key.tmp" "$tar.key"
	exit 0
fi

out=${1:?usage: build-deb.sh OUT [dpkg-buildpackage options]}
shift
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
mkdir -p "$out"
out=$(cd "$out" && pwd)
src="$out/ptswitch-$version"
rm -rf "$src" "$out/tree-key"
mkdir -p "$src"
if [ -n "${PTSWITCH_DEB_TREE:-}" ]; then
	key=$(cat "$PTSWITCH_DEB_TREE.key")
	tar -C "$src" -xf "$PTSWITCH_DEB_TREE"
else
	key=$("$top/scripts/tree-key.sh")
	export_tree | tar -C "$src" -xf -
fi
cd "$src"
dpkg-buildpackage -us -uc -b "$@"
echo "$key" >"$out/tree-key"

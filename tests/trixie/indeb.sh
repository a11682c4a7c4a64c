#!/bin/bash
# SPDX-License-Identifier: MIT
# Run a packaging command in the trixie build root (inroot.sh) with this
# tree exported for scripts/build-deb.sh: the root has no git, so the
# files git knows are taken on the host (build-deb.sh --export) into
# build/trixie/deb-tree.tar, and PTSWITCH_DEB_TREE names it inside.
#
#   tests/trixie/indeb.sh CMD...   e.g. scripts/build-deb.sh build/trixie/x
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 CMD..." >&2; exit 2; }
tree=build/trixie/deb-tree.tar
mkdir -p "$top/build/trixie"
"$top/scripts/build-deb.sh" --export "$top/$tree"
exec "$here/inroot.sh" env PTSWITCH_DEB_TREE="$tree" "$@"

#!/bin/sh
# SPDX-License-Identifier: MIT
# Print a key for the source tree as scripts/build-deb.sh copies it (the
# files git knows, as they are in the work tree), so that .debs built
# from it can be told from .debs built from another tree.
#   scripts/tree-key.sh          the key
#   scripts/tree-key.sh --files  those files, NUL-separated, sorted
set -eu
cd "$(dirname "$0")/.."
files() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ ! -f "$f" ] || printf "%s\0" "$f"; done' sh |
		LC_ALL=C sort -z
}
if [ "${1:-}" = --files ]; then
	files
	exit 0
fi
files | xargs -0 sha256sum | sha256sum | cut -c1-16

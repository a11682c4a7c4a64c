#!/bin/sh
# SPDX-License-Identifier: MIT
# Check a form of the guest series against a Linux checkout: the patches
# must apply with `git am`, and a 64-bit Xen PV guest kernel (tinyconfig
# plus pvguest.config, the lab's configuration) must build with them.
#
#   guestagent/linux-patches/check-upstream.sh [--series DIR] [--no-build]
#       [--keep] LINUX_CHECKOUT [REF]
#
# DIR is a directory holding a `series` file and its patches, relative to
# this script's directory or absolute; the default is `mainline`, the
# upstream form (until December 2026 it was linux-6.12, when no mainline
# form existed).  REF defaults to the checkout's HEAD.  mainline-checkout.sh
# makes a checkout of the release candidate that Debian's registry packages
# when no mainline tree is at hand.  The checkout is not modified: the work
# happens in a shared clone under a temporary directory.  CI cannot reach
# mainline, so this is run by hand; the series README ("Upstream form")
# records what it was last run against.  The build runs under nice -n 19.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/upstream-clone.sh source-path=SCRIPTDIR/../..
. "$here/../../scripts/upstream-clone.sh"
series_dir=$here/mainline
build=1
keep=0

usage() {
	echo "usage: $0 [--series DIR] [--no-build] [--keep] LINUX_CHECKOUT [REF]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--series)
		[ $# -ge 2 ] || usage
		case $2 in /*) series_dir=$2 ;; *) series_dir=$here/$2 ;; esac
		shift
		;;
	--no-build) build=0 ;;
	--keep) keep=1 ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
linux=$1
ref=${2:-HEAD}

[ -f "$series_dir/series" ] || {
	echo "check-upstream: no series file in $series_dir" >&2
	exit 2
}
upstream_clone "$linux" "$ref" linux "$keep"
log "series $series_dir"

apply_series "$series_dir" "$work/linux"

if [ "$build" = 0 ]; then
	log "PASS (apply only): the series applies to $commit"
	exit 0
fi

# The lab's guest configuration: tinyconfig plus the PV guest fragment.
# Every line of the fragment must survive olddefconfig, except for symbols
# that the tree's Kconfig no longer defines (PROC_SYSCTL went in 7.x: /proc/sys
# is built with SYSCTL): those are named and skipped.
src=$work/linux
obj=$work/build
mkdir -p "$obj"
make -s -C "$src" O="$obj" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$here/pvguest.config" >/dev/null
make -s -C "$src" O="$obj" olddefconfig
lost=$(grep -h '^CONFIG_' "$here/pvguest.config" | while read -r line; do
	grep -qx "$line" "$obj/.config" && continue
	sym=${line%%=*}
	sym=${sym#CONFIG_}
	if grep -rqs --include='Kconfig*' -E "^[[:space:]]*(menu)?config $sym\$" \
		"$src"; then
		echo "$line"
	else
		log "$line: no such symbol in this tree's Kconfig, skipped" >&2
	fi
done)
[ -z "$lost" ] || {
	echo "check-upstream: olddefconfig dropped: $lost" >&2
	exit 1
}
log "building bzImage"
if ! nice -n 19 make -C "$src" O="$obj" -j"$(nproc)" bzImage \
	>"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	echo "check-upstream: the build failed" >&2
	exit 1
fi
grep -i 'warning:' "$work/build.log" >&2 || :
log "PASS: the series applies to and builds on $commit"

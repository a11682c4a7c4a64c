#!/bin/sh
# SPDX-License-Identifier: MIT
# Check the upstream form of the hypervisor series (hv-patches/xen-staging/)
# against a Xen checkout: the series' numbers must collide with nothing in
# its public headers, the patches must apply with `git am`, and the
# hypervisor must build (debug, with the race-widening option, so that every
# line of the series is compiled, ASSERTs included).
#
#   hv-patches/check-upstream.sh [--release] [--no-build] [--keep] XEN_CHECKOUT [REF]
#
# XEN_CHECKOUT is a git checkout of upstream Xen (staging, or a stable
# branch); REF defaults to its HEAD.  The checkout is not modified: the
# work happens in a shared clone under a temporary directory.  --release
# also builds a release configuration, --no-build stops after `git am`;
# --keep leaves the clone behind.
# CI cannot reach upstream, so this is run by hand; hv-patches/README.md
# ("Upstream form") records the commit it last passed against.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/upstream-clone.sh source-path=SCRIPTDIR/..
. "$here/../scripts/upstream-clone.sh"
series_dir=$here/xen-staging
release=0
build=1
keep=0

usage() {
	echo "usage: $0 [--release] [--no-build] [--keep] XEN_CHECKOUT [REF]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--release) release=1 ;;
	--no-build) build=0 ;;
	--keep) keep=1 ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
xen=$1
ref=${2:-HEAD}

upstream_clone "$xen" "$ref" xen "$keep"

"$here/check-abi.sh" --upstream "$work/xen"

apply_series "$series_dir" "$work/xen"

if [ "$build" = 0 ]; then
	log "PASS (apply only): the series applies to $commit"
	exit 0
fi

build() { # NAME CONFIG-LINES
	log "building the hypervisor ($1)"
	make -s -C "$work/xen/xen" distclean >/dev/null 2>&1 || :
	make -s -C "$work/xen/xen" defconfig >/dev/null
	printf '%s\n' "$2" >>"$work/xen/xen/.config"
	make -s -C "$work/xen/xen" olddefconfig >/dev/null
	for opt in $2; do
		grep -qx "$opt" "$work/xen/xen/.config" || {
			echo "check-upstream: $opt did not stick" >&2
			exit 1
		}
	done
	if ! nice -n 10 make -C "$work/xen/xen" -j"$(nproc)" \
		>"$work/build-$1.log" 2>&1; then
		tail -n 40 "$work/build-$1.log" >&2
		echo "check-upstream: the $1 build failed" >&2
		exit 1
	fi
	[ -s "$work/xen/xen/xen.gz" ] || {
		echo "check-upstream: no xen.gz from the $1 build" >&2
		exit 1
	}
}

build debug "CONFIG_DEBUG=y
CONFIG_PT_BATCH_WIDEN_RACES=y
CONFIG_PT_BATCH_AUDIT=y"
[ "$release" = 0 ] || build release "CONFIG_PV=y"

log "PASS: the series applies to and builds on $commit"

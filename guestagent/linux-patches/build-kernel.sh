#!/bin/sh
# Build a small Xen PV guest kernel from Debian's linux source with the
# ptswitch guest patch series (see README.md in this directory): bookworm's
# 6.1 with `series` (the default), or trixie's 6.12 with linux-6.12/series.
#
#   guestagent/linux-patches/build-kernel.sh OUTDIR
#   KERNEL_RELEASE=6.12 guestagent/linux-patches/build-kernel.sh OUTDIR
#
# Fetches the source with `apt-get source linux` (6.1: adding a deb-src
# entry for the machine's own Debian mirror if there is none; 6.12: from a
# trixie deb-src list on the same mirror in an apt state directory of its
# own under the cache, leaving the machine's apt setup alone), lets
# dpkg-source apply Debian's patch queue, applies the series with patch -p1,
# then the lab-only
# patches of lab/kernel-series (test knobs, not part of the series),
# configures tinyconfig + pvguest.config (+ kunit.config when the series has
# its KUnit suite) and builds bzImage, niced.  Leaves
# OUTDIR/vmlinuz (bzImage), OUTDIR/vmlinux (the ELF, which xl loads without
# decompressing), OUTDIR/config and OUTDIR/build-info.
#
# Environment:
#   KERNEL_RELEASE    6.1 (default: Debian bookworm's linux, `series`) or
#                     6.12 (Debian trixie's, linux-6.12/series).
#   PTSWITCH_CACHE    cache dir (default /var/cache/ptswitch): the source
#                     package in src/ (6.12: src/trixie/, and its apt state
#                     in apt-trixie/), the results in linux-<key>/, keyed
#                     by this script, the release, the series, the lab
#                     series, their patches and the config fragments.
#                     Unwritable: no caching.
#   PTSWITCH_NO_CACHE=1  rebuild even on a cache hit.
#   LINUX_VERSION     Debian source version to fetch (default: the newest
#                     apt knows, e.g. 6.1.176-1; for 6.12 the newest trixie
#                     lists that the mirror serves, e.g. 6.12.107-1).
#   KBUILD_JOBS       make -j (default 2: the build machines are shared).
#   PTSWITCH_SERIES   another series file instead of the release's, its patches
#                     named by absolute path or relative to its own
#                     directory: a kernel to compare with (the series
#                     without one patch, an older series), still with the
#                     lab-only patches of lab/kernel-series.
# Needs root (or sudo) to install build dependencies and add deb-src.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
want=${LINUX_VERSION:-}
jobs=${KBUILD_JOBS:-2}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# shellcheck disable=SC2034 # used by debsrc.sh
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"

log() { echo "build-kernel: $*" >&2; }

# need_pkgs, mirror_uri, ensure_deb_src
# shellcheck source=../../scripts/debsrc.sh
. "$here/../../scripts/debsrc.sh"

# release, series, patches, patch_file, ks_fetch_dsc, ks_unpack
# shellcheck source=kernel-source.sh
. "$here/kernel-source.sh"

# Config fragments: the PV guest's, and one of the release's own if the
# symbols differ (none does so far).
fragments=$here/pvguest.config
[ -r "$here/linux-$release/pvguest.config" ] &&
	fragments="$fragments $here/linux-$release/pvguest.config"

# Lab-only patches (lab/kernel-series, paths relative to lab/).
lab_patches() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' \
		"$here/lab/kernel-series"
}

key=$({
	cat "$here/build-kernel.sh" "$here/kernel-source.sh" "$series"
	# shellcheck disable=SC2086 # one word per file
	cat $fragments "$here/kunit.config"
	printf 'release=%s\n' "$release"
	for p in $(patches); do cat "$(patch_file "$p")"; done
	cat "$here/lab/kernel-series"
	for p in $(lab_patches); do cat "$here/lab/$p"; done
	printf '%s\n' "$want"
} | sha256sum | cut -c1-16)
slot="$cache/linux-$key"

# Concurrent runs sharing a cache take turns (the second then hits it).
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] &&
	command -v flock >/dev/null; then
	exec 9>"$cache/.build-kernel.lock"
	flock 9
fi

from_cache() {
	[ -s "$slot/vmlinuz" ] && [ -s "$slot/vmlinux" ] || return 1
	cp "$slot/vmlinuz" "$slot/vmlinux" "$slot/config" \
		"$slot/build-info" "$out/"
}

if [ "${PTSWITCH_NO_CACHE:-0}" != 1 ] && from_cache 2>/dev/null; then
	log "cached build $key -> $out/vmlinuz"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/build-kernel.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

install_missing build-essential bc bison flex libelf-dev libssl-dev \
	xz-utils dpkg-dev

ks_fetch_dsc
src="$work/linux"
ks_unpack "$src"
for p in $(lab_patches); do
	log "applying lab-only $p"
	patch -d "$src" -p1 --batch --forward --fuzz=0 \
		--no-backup-if-mismatch -s <"$here/lab/$p"
done

# The KUnit suite goes in with the patch that adds it (a series to compare
# with may predate it).
if grep -qx 'config XEN_PT_BATCH_KUNIT_TEST' "$src/arch/x86/xen/Kconfig"; then
	fragments="$fragments $here/kunit.config"
else
	log "no KUnit suite in this series: kunit.config left out"
fi

# tinyconfig plus the PV guest fragments; every line of them must survive
# olddefconfig, or a fragment is wrong for this source.
obj="$work/build"
mkdir -p "$obj"
make -s -C "$src" O="$obj" tinyconfig >/dev/null
# shellcheck disable=SC2086 # one word per file
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	$fragments >/dev/null
make -s -C "$src" O="$obj" olddefconfig
bad=0
# shellcheck disable=SC2086 # one word per file
grep -h '^CONFIG_' $fragments >"$work/fragment-lines"
while read -r line; do
	grep -qx "$line" "$obj/.config" || { log "config lost $line"; bad=1; }
done <"$work/fragment-lines"
grep -q '^# CONFIG_MODULES is not set' "$obj/.config" ||
	{ log "config: modules still on"; bad=1; }
[ "$bad" = 0 ] || exit 1

# Reproducible: no build host, user or time in the image.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$src/debian/changelog" \
	-S Timestamp)
export KBUILD_BUILD_TIMESTAMP="@$SOURCE_DATE_EPOCH"
export KBUILD_BUILD_USER=ptswitch KBUILD_BUILD_HOST=build
export KBUILD_BUILD_VERSION=1

log "building bzImage with $jobs jobs (nice 19)"
start=$(date +%s)
nice -n 19 make -C "$src" O="$obj" -j"$jobs" bzImage >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	log "build failed"
	exit 1
}
secs=$(($(date +%s) - start))
grep -i 'warning:' "$work/build.log" >&2 || true

cp "$obj/arch/x86/boot/bzImage" "$out/vmlinuz"
cp "$obj/vmlinux" "$out/vmlinux"
cp "$obj/.config" "$out/config"
{
	echo "release=$release"
	echo "source=linux $version"
	echo "series-key=$key"
	echo "patches=$(patches | tr '\n' ' ')"
	echo "lab-patches=$(lab_patches | tr '\n' ' ')"
	echo "kernelrelease=$(make -s -C "$src" O="$obj" kernelrelease)"
	echo "build-seconds=$secs"
	echo "jobs=$jobs"
	echo "load-at-end=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/build-info"
log "built in ${secs}s -> $out/vmlinuz"

# Publish to the cache atomically; failure to cache is not an error.
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
	tmp=$(mktemp -d "$cache/.linux-$key.XXXXXX")
	cp "$out/vmlinuz" "$out/vmlinux" "$out/config" "$out/build-info" \
		"$tmp/"
	rm -rf "$slot"
	mv "$tmp" "$slot" 2>/dev/null || rm -rf "$tmp"
fi

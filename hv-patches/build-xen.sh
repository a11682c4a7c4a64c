#!/bin/sh
# Build Debian bookworm's Xen 4.17 hypervisor with the ptswitch patch series.
#
#   hv-patches/build-xen.sh OUTDIR
#
# Fetches the source with `apt-get source xen` (adding a deb-src entry for
# the machine's own Debian mirror if there is none), lets dpkg-source apply
# Debian's patch queue, applies hv-patches/series in order, configures the
# hypervisor as Debian does (debian/xen-kconfig + olddefconfig) and builds
# it alone (make -C xen).  Leaves OUTDIR/xen.gz, OUTDIR/xen-syms,
# OUTDIR/xen.config, OUTDIR/build-info and the patched public headers in
# OUTDIR/include/xen (for check-abi.sh).
#
# Results are cached under ${PTSWITCH_CACHE:-/var/cache/ptswitch}, keyed by
# the hash of this script, the series and its patches, and XEN_KCONFIG_EXTRA
# (extra Kconfig lines, e.g. "CONFIG_DEBUG=y").  An unwritable cache is
# skipped.  PTSWITCH_NO_CACHE=1 forces a rebuild.  Needs root (or sudo) to
# install build dependencies and to add the deb-src entry.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
extra=${XEN_KCONFIG_EXTRA:-}
jobs=$(nproc 2>/dev/null || echo 2)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"

log() { echo "build-xen: $*" >&2; }

# need_pkgs, mirror_uri, ensure_deb_src
. "$here/../scripts/debsrc.sh"

patches() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/series"
}

# The cache key covers everything that shapes the binary we control.
key=$({
	cat "$here/build-xen.sh" "$here/series"
	for p in $(patches); do cat "$here/$p"; done
	printf '%s\n' "$extra"
} | sha256sum | cut -c1-16)
slot="$cache/xen-$key"

# Concurrent runs sharing a cache take turns (the second then hits it).
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] &&
	command -v flock >/dev/null; then
	exec 9>"$cache/.build-xen.lock"
	flock 9
fi

from_cache() {
	[ -s "$slot/xen.gz" ] || return 1
	rm -rf "$out/include"
	cp "$slot/xen.gz" "$slot/xen-syms" "$slot/xen.config" \
		"$slot/build-info" "$out/" &&
		cp -R "$slot/include" "$out/include"
}

if [ "${PTSWITCH_NO_CACHE:-0}" != 1 ] && from_cache 2>/dev/null; then
	log "cached build $key -> $out/xen.gz"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/build-xen.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# Build dependencies of the hypervisor alone.
missing=$(need_pkgs build-essential bison flex python3 dpkg-dev)
if [ -n "$missing" ]; then
	log "installing:$missing"
	$APT update -qq
	# shellcheck disable=SC2086
	$APT install -y -qq --no-install-recommends $missing
fi

# The last (in glob order) source package in a directory, or nothing.
find_dsc() {
	found=""
	for f in "$1"/xen_*.dsc; do
		[ -e "$f" ] && found=$f
	done
	echo "$found"
}

# Source packages, cached so that a rebuild needs no network.
srccache="$cache/src"
mkdir -p "$srccache" 2>/dev/null && [ -w "$srccache" ] || srccache="$work/dl"
mkdir -p "$srccache"
dsc=$(find_dsc "$srccache")
if [ -z "$dsc" ]; then
	ensure_deb_src xen
	log "apt-get source xen"
	(cd "$srccache" && apt-get source --download-only -qq xen)
	dsc=$(find_dsc "$srccache")
	[ -n "$dsc" ] || { log "apt-get source xen gave no .dsc"; exit 1; }
fi
log "unpacking $(basename "$dsc")"
# Applies Debian's own patch queue (3.0 quilt).
dpkg-source --no-check -x "$dsc" "$work/xen" >/dev/null
src="$work/xen"

for p in $(patches); do
	log "applying $p"
	patch -d "$src" -p1 --batch --forward --fuzz=0 \
		--no-backup-if-mismatch -s <"$here/$p"
done

# Debian's hypervisor configuration (debian/rules: override_dh_auto_configure).
cp "$src/debian/xen-kconfig" "$src/xen/.config"
[ -z "$extra" ] || printf '%s\n' "$extra" >>"$src/xen/.config"
make -s -C "$src/xen" XEN_TARGET_ARCH=x86_64 olddefconfig

log "building the hypervisor with $jobs jobs"
start=$(date +%s)
make -C "$src/xen" XEN_TARGET_ARCH=x86_64 -j"$jobs" >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	log "build failed"
	exit 1
}
secs=$(($(date +%s) - start))

cp "$src/xen/xen.gz" "$src/xen/xen-syms" "$out/"
cp "$src/xen/.config" "$out/xen.config"
rm -rf "$out/include"
mkdir -p "$out/include"
cp -R "$src/xen/include/public" "$out/include/xen"
{
	echo "source=$(basename "$dsc" .dsc)"
	echo "series-key=$key"
	echo "patches=$(patches | tr '\n' ' ')"
	echo "kconfig-extra=$extra"
	echo "build-seconds=$secs"
	echo "jobs=$jobs"
} >"$out/build-info"
log "built in ${secs}s -> $out/xen.gz"

# Publish to the cache atomically; failure to cache is not an error.
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
	tmp=$(mktemp -d "$cache/.xen-$key.XXXXXX")
	cp "$out/xen.gz" "$out/xen-syms" "$out/xen.config" \
		"$out/build-info" "$tmp/"
	cp -R "$out/include" "$tmp/include"
	rm -rf "$slot"
	mv "$tmp" "$slot" 2>/dev/null || rm -rf "$tmp"
fi

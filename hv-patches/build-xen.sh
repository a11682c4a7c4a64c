#!/bin/sh
# Build Debian's Xen hypervisor with the ptswitch patch series, for one of
# two releases (XEN_RELEASE, default 4.17):
#
#   hv-patches/build-xen.sh OUTDIR                   bookworm's Xen 4.17
#   XEN_RELEASE=4.20 hv-patches/build-xen.sh OUTDIR  trixie's Xen 4.20
#
# 4.17: fetches the source with `apt-get source xen` (adding a deb-src
# entry for the machine's own Debian mirror if there is none), lets
# dpkg-source apply Debian's patch queue, applies hv-patches/series and
# configures as Debian does (debian/xen-kconfig + olddefconfig).
#
# 4.20: the machine's apt setup is not touched.  A private apt state
# (sources list and lists under the cache) asks the same mirror for
# trixie's and trixie-security's source of xen; dpkg-source applies
# Debian's queue.  Where the registry does not serve that source, XEN_SRC
# names a Xen tree or git checkout instead (XEN_SRC_REF, default
# RELEASE-4.20.4, is exported from a git checkout), and an earlier such
# tree kept in the cache is used when neither is there.  The configuration
# is Debian trixie's: debian/xen-kconfig when the Debian source came, else
# the /boot/xen-4.20-amd64.config of trixie's xen-hypervisor-4.20-amd64
# (fetched the same private way).  hv-patches/xen-4.20/series is applied.
#
# Both build the hypervisor alone (make -C xen) and leave OUTDIR/xen.gz,
# OUTDIR/xen-syms, OUTDIR/xen.config, OUTDIR/build-info and the patched
# public headers in OUTDIR/include/xen (for check-abi.sh).
#
# Results are cached under ${PTSWITCH_CACHE:-/var/cache/ptswitch}, keyed by
# the release and the hash of this script, the series and its patches, and
# XEN_KCONFIG_EXTRA (extra Kconfig lines, e.g. "CONFIG_DEBUG=y").  An
# unwritable cache is skipped.  PTSWITCH_NO_CACHE=1 forces a rebuild.
# Needs root (or sudo) to install build dependencies and, for 4.17, to add
# the deb-src entry.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
extra=${XEN_KCONFIG_EXTRA:-}
jobs=$(nproc 2>/dev/null || echo 2)
release=${XEN_RELEASE:-4.17}
case $release in
4.17) series_dir=$here ;;
4.20) series_dir=$here/xen-$release ;;
*) echo "build-xen: XEN_RELEASE=$release: no series (4.17, 4.20)" >&2; exit 2 ;;
esac

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# shellcheck disable=SC2034 # used by debsrc.sh
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"

log() { echo "build-xen: $*" >&2; }

# need_pkgs, mirror_uri, ensure_deb_src
. "$here/../scripts/debsrc.sh"

patches() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$series_dir/series"
}

# The cache key covers everything that shapes the binary we control.
key=$({
	cat "$here/build-xen.sh" "$series_dir/series"
	for p in $(patches); do cat "$series_dir/$p"; done
	printf '%s\n' "$extra"
	printf 'release=%s\n' "$release"
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
install_missing build-essential bison flex python3 dpkg-dev

# The last (in glob order) source package of the release in a directory,
# or nothing.
find_dsc() {
	found=""
	for f in "$1"/xen_"$release".*.dsc; do
		[ -e "$f" ] && found=$f
	done
	echo "$found"
}

# Source packages, cached so that a rebuild needs no network.
srccache="$cache/src"
mkdir -p "$srccache" 2>/dev/null && [ -w "$srccache" ] || srccache="$work/dl"
mkdir -p "$srccache"
src="$work/xen"
kconfig=""

if [ "$release" = 4.17 ]; then
	dsc=$(find_dsc "$srccache")
	if [ -z "$dsc" ]; then
		ensure_deb_src xen
		log "apt-get source xen"
		(cd "$srccache" && apt-get source --download-only -qq xen)
		dsc=$(find_dsc "$srccache")
		[ -n "$dsc" ] || { log "apt-get source xen gave no .dsc"; exit 1; }
	fi
	source_id=$(basename "$dsc" .dsc)
else
	# trixie_apt CMD ARGS: apt-get or apt-cache on a private state of
	# trixie's sources (scripts/trixie-apt.sh), never the machine's.
	. "$here/../scripts/trixie-apt.sh"
	dsc=$(find_dsc "$srccache")
	if [ -z "$dsc" ] && [ -z "${XEN_SRC:-}" ]; then
		log "apt-get source xen (trixie, private apt state)"
		trixie_apt_update
		(cd "$srccache" && trixie_apt apt-get source --download-only \
			-qq xen) >&2 ||
			log "the registry did not serve trixie's source of xen"
		dsc=$(find_dsc "$srccache")
	fi
	upstream="$srccache/xen-upstream-$release.tar.gz"
	if [ -n "${XEN_SRC:-}" ]; then
		# A Xen tree given by hand: upstream's, Debian's queue not in it.
		ref=${XEN_SRC_REF:-RELEASE-4.20.4}
		if git -C "$XEN_SRC" rev-parse -q --verify "$ref^{commit}" \
			>/dev/null 2>&1; then
			log "using $XEN_SRC at $ref"
			git -C "$XEN_SRC" archive --format=tar.gz \
				--prefix="$ref/" -o "$work/up.tar.gz" "$ref"
			echo "$ref $(git -C "$XEN_SRC" rev-parse "$ref^{commit}")" \
				>"$work/up.id"
		else
			log "using the tree $XEN_SRC"
			tar -C "$(dirname "$XEN_SRC")" -czf "$work/up.tar.gz" \
				"$(basename "$XEN_SRC")"
			echo "tree $(basename "$XEN_SRC")" >"$work/up.id"
		fi
		cp "$work/up.tar.gz" "$upstream.tmp" 2>/dev/null &&
			cp "$work/up.id" "$upstream.id" &&
			mv "$upstream.tmp" "$upstream" || true
		dsc=""
	fi
	if [ -n "$dsc" ]; then
		source_id=$(basename "$dsc" .dsc)
	elif [ -s "$upstream" ] || [ -s "$work/up.tar.gz" ]; then
		[ -s "$work/up.tar.gz" ] || cp "$upstream" "$work/up.tar.gz"
		[ -s "$work/up.id" ] || cp "$upstream.id" "$work/up.id"
		mkdir -p "$src"
		tar -C "$src" --strip-components=1 -xzf "$work/up.tar.gz"
		source_id="upstream $(cat "$work/up.id")"
		# Debian trixie's configuration, from its hypervisor package.
		kconfig=$(trixie_kconfig "$work/hv") || {
			log "no configuration of trixie's xen-hypervisor-$release-amd64"
			exit 1
		}
	else
		log "no source for Xen $release: the registry does not serve" \
			"trixie's, and XEN_SRC names no Xen tree"
		exit 1
	fi
fi
if [ -n "$dsc" ]; then
	log "unpacking $(basename "$dsc")"
	# Applies Debian's own patch queue (3.0 quilt).
	dpkg-source --no-check -x "$dsc" "$src" >/dev/null
	kconfig="$src/debian/xen-kconfig"
	if [ ! -f "$kconfig" ] && [ "$release" != 4.17 ]; then
		kconfig=$(trixie_kconfig "$work/hv") || {
			log "no debian/xen-kconfig, nor trixie's hypervisor configuration"
			exit 1
		}
	fi
fi

for p in $(patches); do
	log "applying $p"
	patch -d "$src" -p1 --batch --forward --fuzz=0 \
		--no-backup-if-mismatch -s <"$series_dir/$p"
done

# Debian's hypervisor configuration (debian/rules: override_dh_auto_configure,
# or the configuration trixie's hypervisor package was built with).
cp "$kconfig" "$src/xen/.config"
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
	echo "release=$release"
	echo "source=$source_id"
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

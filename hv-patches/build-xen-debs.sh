#!/bin/sh
# SPDX-License-Identifier: MIT
# Rebuild Debian's xen source package with the ptswitch series added to its
# patch queue, giving installable .debs (xen-hypervisor-4.17-amd64 and the
# rest of the source package's amd64 binaries).
#
#   hv-patches/build-xen-debs.sh OUTDIR
#
# The source is the newest xen that apt finds in the first suite of
# XEN_DEB_SUITES (default "bookworm-security bookworm") whose files can be
# downloaded; XEN_DEB_VERSION pins one version instead.  The suites are
# read through apt state of our own (a deb-src list for the machine's own
# Debian and security mirrors), so the machine's apt setup is not touched.
# hv-patches/series is copied into debian/patches/ptswitch/ and appended
# to debian/patches/series (quilt, applied by dpkg-source after Debian's
# queue, with no fuzz), a changelog entry adds XEN_DEB_SUFFIX (default
# +ptswitch1) to the version, and dpkg-buildpackage builds the patched
# source package and the arch-dependent binaries
# (DEB_BUILD_OPTIONS="nocheck nodoc parallel=N", under nice -n 10).
#
# Leaves in OUTDIR: the .debs, the .dsc with its debian.tar.xz (the orig
# tarball is Debian's), the .changes, build-info and build.log.
#
# Results are cached under ${PTSWITCH_CACHE:-/var/cache/ptswitch}/
# xen-debs-<key>, the key hashing this script's code, the series and its
# patches, the source version and the suffix; a second run with the same inputs
# copies them.  The source packages are cached in xen-debs-src/.
# PTSWITCH_NO_CACHE=1 forces a rebuild.  Needs root (or sudo) for the
# build dependencies (scripts/install-deps.sh xendeb).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
suites=${XEN_DEB_SUITES:-bookworm-security bookworm}
want=${XEN_DEB_VERSION:-}
suffix=${XEN_DEB_SUFFIX:-+ptswitch1}
jobs=${XEN_DEB_JOBS:-$(nproc 2>/dev/null || echo 2)}

log() { echo "build-xen-debs: $*" >&2; }

case $suffix in
+*) ;;
*) log "XEN_DEB_SUFFIX must start with '+' (got '$suffix')"; exit 2 ;;
esac

patches() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/series"
}

"$here/../scripts/install-deps.sh" xendeb

cachable=0
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
	cachable=1
	# Concurrent runs take turns (the second then hits the cache).
	if command -v flock >/dev/null; then
		exec 9>"$cache/.build-xen-debs.lock"
		flock 9
	fi
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/build-xen-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# Our own apt state: deb-src for the machine's mirrors, nothing else.
apt_state=$work/apt
[ "$cachable" = 1 ] && apt_state=$cache/xen-debs-apt
mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
APTO="-o Dir::Etc::sourcelist=$apt_state/sources.list
-o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists=$apt_state/lists
-o Dir::Cache=$apt_state/cache -o Dir::State::status=/dev/null"

# The URI of the machine's apt entry for SUITE (deb822 or one-line), or
# nothing.
suite_uri() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v s="$1" '
			/^[[:space:]]*$/ { flush(); next }
			/^URIs:/ { uris = $2 }
			/^Suites:/ { suites = $0 " " }
			function flush() {
				if (index(suites, " " s " ") && uris != "" && !found) {
					print uris; found = 1
				}
				uris = ""; suites = ""
			}
			END { flush() }
		' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v s="$1" '$1 ~ /^deb/ {
			for (i = 2; i <= NF; i++) if ($i !~ /^\[/) break
			if ($(i + 1) == s) { print $i; exit }
		}' "$f"
	done
}

: >"$apt_state/sources.list"
for s in $suites; do
	uri=$(suite_uri "$s" | head -n1)
	if [ -z "$uri" ]; then
		case $s in
		*-security) uri=http://security.debian.org/debian-security ;;
		*) uri=http://deb.debian.org/debian ;;
		esac
	fi
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $s main" \
		>>"$apt_state/sources.list"
done
# shellcheck disable=SC2086 # APTO is a list of options
apt-get $APTO -qq update 2>"$work/update.err" ||
	log "apt-get update failed, using the lists fetched before: $(tail -n1 "$work/update.err")"

# The version of xen in SUITE's Sources index, or nothing.
suite_version() {
	for f in "$apt_state"/lists/*_dists_"$1"_main_source_Sources*; do
		[ -e "$f" ] || continue
		/usr/lib/apt/apt-helper cat-file "$f" |
			awk '/^Package: / { p = $2 } p == "xen" && /^Version: / { print $2 }'
	done | sort -V | tail -n1
}

# Download source VERSION into the source cache; fails if apt cannot.
srccache=$work/src
[ "$cachable" = 1 ] && srccache=$cache/xen-debs-src
fetch_src() {
	d="$srccache/$1"
	[ -s "$d/.complete" ] && return 0
	mkdir -p "$d"
	# shellcheck disable=SC2086
	if (cd "$d" && apt-get $APTO -qq source --download-only "xen=$1") \
		>"$work/fetch.log" 2>&1; then
		echo "$1" >"$d/.complete"
		return 0
	fi
	grep -E '^(E|Err):' "$work/fetch.log" | head -n3 | sed 's/^/  /' >&2
	rm -rf "$d"
	return 1
}

tried=""
version=""
if [ -n "$want" ]; then
	fetch_src "$want" || { log "cannot download xen $want"; exit 1; }
	version=$want
	tried="pinned:$want:ok"
else
	for s in $suites; do
		v=$(suite_version "$s")
		if [ -z "$v" ]; then
			log "$s: no xen in its Sources index"
			tried="$tried $s:none"
			continue
		fi
		if fetch_src "$v"; then
			log "$s: xen $v"
			tried="$tried $s:$v:ok"
			version=$v
			break
		fi
		log "$s: xen $v is listed but its files cannot be downloaded (above)"
		tried="$tried $s:$v:download-failed"
	done
fi
[ -n "$version" ] || { log "no xen source package could be fetched (tried:$tried)"; exit 1; }
newversion=$version$suffix

# The cache key covers everything that shapes the packages we control
# (this script without its comment lines, so that a comment's edit keeps
# the build).
key=$({
	grep -v '^[[:space:]]*#' "$here/build-xen-debs.sh"
	cat "$here/series"
	for p in $(patches); do cat "$here/$p"; done
	printf '%s\n' "$version" "$suffix"
} | sha256sum | cut -c1-16)
slot="$cache/xen-debs-$key"

if [ "${PTSWITCH_NO_CACHE:-0}" != 1 ] && [ -s "$slot/build-info" ]; then
	find "$out" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.dsc' \
		-o -name '*.changes' -o -name '*.buildinfo' \
		-o -name '*.debian.tar.*' \) -delete
	cp "$slot"/* "$out/"
	log "cached build $key ($newversion) -> $out"
	exit 0
fi

dsc=$(ls "$srccache/$version"/xen_*.dsc)
log "unpacking $(basename "$dsc")"
mkdir -p "$work/build"
# Applies Debian's own patch queue (3.0 quilt).
dpkg-source --no-check -x "$dsc" "$work/build/xen" >/dev/null
src=$work/build/xen
cp "$srccache/$version"/xen_*.orig.tar.* "$work/build/"

mkdir -p "$src/debian/patches/ptswitch"
for p in $(patches); do
	cp "$here/$p" "$src/debian/patches/ptswitch/$p"
	echo "ptswitch/$p" >>"$src/debian/patches/series"
done

# The changelog entry that gives the new version.
dist=$(dpkg-parsechangelog -l"$src/debian/changelog" -SDistribution)
{
	echo "xen ($newversion) $dist; urgency=medium"
	echo
	echo "  * Add the ptswitch hypervisor series (debian/patches/ptswitch/):"
	for p in $(patches); do echo "    - $p"; done
	echo
	echo " -- ${DEBFULLNAME:-ptswitch build-xen-debs.sh} <${DEBEMAIL:-root@localhost}>  $(date -R)"
	echo
	cat "$src/debian/changelog"
} >"$work/changelog"
mv "$work/changelog" "$src/debian/changelog"

# Apply the series now (dpkg-buildpackage would), so that a patch that
# does not apply fails here with its name.
(cd "$src" && dpkg-source --before-build .) >"$work/patch.log" 2>&1 || {
	tail -n 20 "$work/patch.log" >&2
	log "the series does not apply to xen $version"
	exit 1
}
for p in $(patches); do
	grep -qx "ptswitch/$p" "$src/.pc/applied-patches" || {
		log "$p was not applied"
		exit 1
	}
done

log "building xen $newversion (source + amd64 binaries, $jobs jobs, nice -n 10)"
start=$(date +%s)
# The system's tools only: Xen's configure writes the python3 it finds
# into the packaged scripts' #! lines, so a python3 from a user's PATH
# (pyenv, a venv) would end up on the host.
(cd "$src" && PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEB_BUILD_OPTIONS="nocheck nodoc parallel=$jobs" \
	nice -n 10 dpkg-buildpackage -us -uc --build=source,any) \
	>"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	cp "$work/build.log" "$out/build.log"
	log "build failed (log: $out/build.log)"
	exit 1
}
secs=$(($(date +%s) - start))

find "$out" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.dsc' \
	-o -name '*.changes' -o -name '*.buildinfo' \
	-o -name '*.debian.tar.*' \) -delete
for f in "$work/build"/*; do
	[ -f "$f" ] || continue
	case $f in
	*.orig.tar.*) ;; # Debian's, unchanged
	*) cp "$f" "$out/" ;;
	esac
done
cp "$work/build.log" "$out/build.log"
{
	echo "source=xen_$version"
	echo "version=$newversion"
	echo "suites-tried=${tried# }"
	echo "series-key=$key"
	echo "patches=$(patches | tr '\n' ' ')"
	echo "build-seconds=$secs"
	echo "jobs=$jobs"
} >"$out/build-info"
log "built in ${secs}s -> $out"

# Publish to the cache atomically; failure to cache is not an error.
if [ "$cachable" = 1 ]; then
	tmp=$(mktemp -d "$cache/.xen-debs-$key.XXXXXX")
	if cp "$out"/*.deb "$out"/*.dsc "$out"/*.changes "$out"/*.buildinfo \
		"$out"/*.debian.tar.* "$out/build-info" "$out/build.log" "$tmp/"; then
		rm -rf "$slot"
		mv "$tmp" "$slot" 2>/dev/null || rm -rf "$tmp"
	else
		rm -rf "$tmp"
	fi
fi

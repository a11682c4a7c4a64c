# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2154 # here, cache, work: the caller's
# Shared by build-kernel.sh (the lab's small PV guest kernel) and
# build-kernel-deb.sh (the guest kernel as Debian packages): which Debian
# linux source a release is, fetching and caching it, and unpacking it
# with Debian's patch queue and the ptswitch series applied.  POSIX sh,
# sourced; the caller sets here (this directory), cache, want
# (LINUX_VERSION), work (a scratch directory) and log(), and has sourced
# scripts/debsrc.sh (need_pkgs, mirror_uri, ensure_deb_src).
#
# Sets: release (KERNEL_RELEASE: 6.1, Debian bookworm's, or 6.12,
# trixie's), series (PTSWITCH_SERIES or the release's own), srcsub, and
# defines patches, patch_file, ks_fetch_dsc, ks_unpack.

release=${KERNEL_RELEASE:-6.1}
case $release in
6.1)
	defseries=$here/series
	srcsub=""
	;;
6.12)
	defseries=$here/linux-6.12/series
	srcsub=/trixie
	;;
*)
	echo "$0: KERNEL_RELEASE must be 6.1 or 6.12, not $release" >&2
	exit 2
	;;
esac

series=${PTSWITCH_SERIES:-$defseries}
[ -r "$series" ] || { echo "$0: no $series" >&2; exit 2; }
pdir=$(cd "$(dirname "$series")" && pwd)
patches() {
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$series"
}
patch_file() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$pdir/$1" ;;
	esac
}

# The .dsc to build: LINUX_VERSION's, else the release's newest in the
# directory.
find_dsc() {
	if [ -n "$want" ]; then
		f="$1/linux_${want#*:}.dsc"
		[ -e "$f" ] && echo "$f"
		return 0
	fi
	find "$1" -maxdepth 1 -name "linux_$release.*.dsc" | sort -V | tail -n1
}

# Trixie's source from a bookworm machine: a deb-src list of its own and an
# apt state directory under the cache, so the machine's apt setup is not
# touched.  The mirror is the one the machine's bookworm entries use.
trixie_apt() {
	tapt=$cache/apt-trixie
	mkdir -p "$tapt/lists/partial" "$tapt/archives/partial" 2>/dev/null &&
		[ -w "$tapt" ] || tapt=$work/apt-trixie
	mkdir -p "$tapt/lists/partial" "$tapt/archives/partial"
	uri=$(mirror_uri | head -n1)
	[ -n "$uri" ] || {
		log "no Debian mirror found in the apt sources"
		exit 1
	}
	printf '%s\n' "Types: deb-src" "URIs: $uri" "Suites: trixie" \
		"Components: main" \
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
		>"$tapt/trixie-src.sources"
	TAPT="-o Dir::Etc::sourcelist=$tapt/trixie-src.sources
		-o Dir::Etc::sourceparts=/dev/null
		-o Dir::State::Lists=$tapt/lists
		-o Dir::State::status=/dev/null
		-o Dir::Cache=$tapt -o Dir::Cache::archives=$tapt/archives"
	log "apt-get update (trixie deb-src, private state in $tapt)"
	# shellcheck disable=SC2086 # one word per option
	apt-get $TAPT update -qq
}

# Fetch trixie's linux source: LINUX_VERSION's, else the newest version
# trixie lists, going down the list (at most 4 tries) when the mirror
# answers 404 for one, as it can for a version newer than its pool.
fetch_trixie() {
	if [ -n "$want" ]; then
		# shellcheck disable=SC2086
		apt-get $TAPT source --download-only -qq "linux=$want"
		return
	fi
	# shellcheck disable=SC2086
	for v in $(apt-cache $TAPT showsrc linux |
		sed -n 's/^Version: //p' | sort -Vru | head -n 4); do
		log "apt-get source linux=$v (trixie)"
		# shellcheck disable=SC2086
		apt-get $TAPT source --download-only -qq "linux=$v" && return 0
		rm -f "linux_$v.dsc" "linux_${v%-*}.orig.tar.xz" \
			"linux_$v.debian.tar.xz"
		log "linux=$v is listed but not served, trying an older one"
	done
	return 1
}

# ks_fetch_dsc: set dsc (the source package's .dsc) and version (its
# Debian version), fetching it once into the cache so that a rebuild
# needs no network.  Without LINUX_VERSION a cached source is used as
# is; delete it to move on.
ks_fetch_dsc() {
	srccache="$cache/src$srcsub"
	mkdir -p "$srccache" 2>/dev/null && [ -w "$srccache" ] ||
		srccache="$work/dl"
	mkdir -p "$srccache"
	dsc=$(find_dsc "$srccache")
	if [ -z "$dsc" ] && [ "$release" = 6.12 ]; then
		trixie_apt
		(cd "$srccache" && fetch_trixie) ||
			{ log "could not fetch trixie's linux source"; exit 1; }
		dsc=$(find_dsc "$srccache")
		[ -n "$dsc" ] ||
			{ log "apt-get source linux gave no .dsc"; exit 1; }
	elif [ -z "$dsc" ]; then
		ensure_deb_src linux
		log "apt-get source linux${want:+=$want}"
		(cd "$srccache" &&
			apt-get source --download-only -qq "linux${want:+=$want}")
		dsc=$(find_dsc "$srccache")
		[ -n "$dsc" ] ||
			{ log "apt-get source linux gave no .dsc"; exit 1; }
	fi
	version=$(basename "$dsc" .dsc)
	version=${version#linux_}
}

# ks_unpack DIR: unpack the source into DIR (dpkg-source applies Debian's
# own patch queue, 3.0 quilt), then the series with patch -p1, no fuzz.
ks_unpack() {
	log "unpacking linux $version"
	dpkg-source --no-check -x "$dsc" "$1" >/dev/null
	for p in $(patches); do
		log "applying $p"
		patch -d "$1" -p1 --batch --forward --fuzz=0 \
			--no-backup-if-mismatch -s <"$(patch_file "$p")"
	done
}

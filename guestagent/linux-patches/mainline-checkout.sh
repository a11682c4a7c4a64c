#!/bin/sh
# SPDX-License-Identifier: MIT
# Make a git checkout of a recent mainline Linux from Debian's package
# registry, for check-upstream.sh to test the `mainline` form against:
#
#   guestagent/linux-patches/mainline-checkout.sh DIR
#   guestagent/linux-patches/check-upstream.sh --series mainline DIR
#
# The machine cannot reach kernel.org or a mainline git tree, but Debian's
# experimental suite packages release candidates.  This script asks for the
# upstream tarball of LINUX_DEB_VERSION's source package first (the
# `orig.tar.xz`: mainline less Debian's DFSG removals, none of them in
# arch/x86 or mm).  If the registry does not serve it (it answers 404 for
# the 7.3~rc7 orig today), it takes the binary package linux-source-X.Y of
# the same version instead: the same tree with Debian's own patch queue
# applied, which is NOT pure mainline; the commit message and the tag say
# which of the two DIR holds.  Neither contains Debian's debian/ directory.
#
# DIR becomes a new repository with one commit (author "upstream"), tagged
# v<VERSION>[-<PATCHLEVEL>...] from the tree's Makefile, plus "-debian" for
# the patched tree.  The download is checked by apt against the suite's
# signed index (debian-archive-keyring), its sha256 is printed and kept
# with it in ${PTSWITCH_CACHE:-/var/cache/ptswitch}/mainline-src/.  apt runs
# with a sources list and state of its own under the cache (the machine's
# own mirror, read from its apt sources as scripts/trixie-apt.sh does); the
# machine's apt setup is left alone.
# A file already in the cache is used again without asking the registry:
# remove mainline-src/ there to ask for the orig tarball again.
#
# Environment:
#   LINUX_DEB_VERSION  source version in experimental (default 7.3~rc7-1~exp1)
#   PTSWITCH_CACHE     cache dir (default /var/cache/ptswitch)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
debver=${LINUX_DEB_VERSION:-7.3~rc7-1~exp1}
upver=${debver%-*}
series=${upver%%~*}
series=$(echo "$series" | cut -d. -f1,2)
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
srcdir=$cache/mainline-src
st=$cache/mainline-apt

log() { echo "mainline-checkout: $*" >&2; }

# mirror_uri
# shellcheck source=scripts/debsrc.sh source-path=SCRIPTDIR/../..
. "$here/../../scripts/debsrc.sh"

[ ! -e "$dir" ] || [ -z "$(ls -A "$dir" 2>/dev/null)" ] || {
	echo "mainline-checkout: $dir exists and is not empty" >&2
	exit 2
}
mkdir -p "$srcdir" "$st/lists/partial" "$st/cache/archives/partial"

xapt() {
	xa_cmd=$1
	shift
	"$xa_cmd" -o Dir::Etc::sourcelist="$st/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o Dir::State::Lists="$st/lists" -o Dir::State::status=/dev/null \
		-o Dir::Cache="$st/cache" -o APT::Sandbox::User=root "$@"
}

uri=$(mirror_uri | head -n1)
[ -n "$uri" ] || { log "no Debian mirror in the apt sources"; exit 1; }
key=/usr/share/keyrings/debian-archive-keyring.gpg
{
	echo "deb [signed-by=$key] $uri experimental main"
	echo "deb-src [signed-by=$key] $uri experimental main"
} >"$st/sources.list"

orig=linux_$upver.orig.tar.xz
srcdeb=linux-source-${series}_${debver}_all.deb
kind=""
if [ -s "$srcdir/$orig" ]; then
	kind=orig
elif [ -s "$srcdir/$srcdeb" ]; then
	kind=debian
else
	log "apt update (experimental, state in $st)"
	xapt apt-get update -qq >&2
	# The orig tarball alone: --tar-only.
	if (cd "$srcdir" && xapt apt-get source -qq --download-only \
		--tar-only "linux=$debver") >&2; then
		kind=orig
	else
		log "the registry does not serve $orig; taking linux-source-$series"
		(cd "$srcdir" &&
			xapt apt-get download -qq "linux-source-$series=$debver") >&2
		kind=debian
	fi
fi

if [ "$kind" = orig ]; then
	file=$srcdir/$orig
	strip=1
else
	file=$srcdir/$srcdeb
	strip=0
fi
sum=$(sha256sum "$file" | cut -d' ' -f1)
echo "$sum  $(basename "$file")" >"$file.sha256"
log "$(basename "$file") sha256 $sum"

mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mainline-checkout.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ "$kind" = orig ]; then
	tar -xf "$file" -C "$dir" --strip-components=$strip
	what="the upstream tarball $orig of Debian's linux $debver (mainline less Debian's DFSG removals)"
else
	dpkg-deb --fsys-tarfile "$file" |
		tar -x -C "$tmp" "./usr/src/linux-source-$series.tar.xz"
	tar -xf "$tmp/usr/src/linux-source-$series.tar.xz" -C "$dir" \
		--strip-components=1
	what="linux-source-$series $debver: mainline with Debian's patch queue applied, not pure mainline (the registry does not serve $orig)"
fi

mk() { sed -n "s/^$1 = *//p" "$dir/Makefile" | head -n1; }
ver=$(mk VERSION).$(mk PATCHLEVEL)
[ "$(mk SUBLEVEL)" = 0 ] || ver=$ver.$(mk SUBLEVEL)
ver=$ver$(mk EXTRAVERSION)
tag=v$ver
[ "$kind" = orig ] || tag=$tag-debian

git -C "$dir" init -q
# -f: the tarball is the tree; Debian's patched .gitignore ignores "/*".
git -C "$dir" add -A -f
GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
	GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
	git -C "$dir" -c user.name=upstream -c user.email=upstream@invalid \
	commit -q -m "Linux $ver" -m "From $what.
$(basename "$file") sha256 $sum"
git -C "$dir" tag "$tag"
log "$dir: Linux $ver, $kind, tag $tag, commit $(git -C "$dir" rev-parse HEAD)"

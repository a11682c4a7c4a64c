#!/bin/sh
# SPDX-License-Identifier: MIT
# The source tree and tool list of the kbuild recording guest: Debian's
# linux 6.1 source, configured (tinyconfig + the 64-bit Xen PV guest
# fragment guestagent/linux-patches/pvguest.config, no ptswitch patches),
# pruned to the files a whole build of that configuration uses.
#
#   kbuild-tree.sh
#
# Prints the directory that holds the result:
#   tree.tar.gz   the configured, pruned tree (no object built yet)
#   tools.list    host paths the build used: "X path" programs it ran,
#                 "H path" other files and directories it opened or
#                 looked at (the guest image copies them)
#   build-info    source version, configuration, counts
# How: configure a full tree, build it once on the host under strace
# (make -j2, a clean environment), keep the files of the configured tree
# that the build opened, looked at or ran (kbuild-files.awk); then build
# the pruned tree on the host, which must succeed.  Takes about 20
# minutes; cached under
# ${PTSWITCH_CACHE:-/var/cache/ptswitch}/kbuild-<key>, keyed by this
# script, the awk script, the fragment and the source version.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
fragment=$TOP/guestagent/linux-patches/pvguest.config
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}

log() { echo "kbuild-tree: $*" >&2; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"
# need_pkgs, mirror_uri, ensure_deb_src
. "$TOP/scripts/debsrc.sh"

# The source package, shared with guestagent/linux-patches/build-kernel.sh.
srccache=$cache/src
mkdir -p "$srccache" 2>/dev/null && [ -w "$srccache" ] ||
	srccache=$(mktemp -d)
dsc=$(find "$srccache" -maxdepth 1 -name 'linux_*.dsc' | sort -V | tail -n1)
if [ -z "$dsc" ]; then
	ensure_deb_src linux
	log "apt-get source linux"
	(cd "$srccache" && apt-get source --download-only -qq linux)
	dsc=$(find "$srccache" -maxdepth 1 -name 'linux_*.dsc' |
		sort -V | tail -n1)
	[ -n "$dsc" ] || { log "apt-get source linux gave no .dsc"; exit 1; }
fi

key=$({
	cat "$HERE/kbuild-tree.sh" "$HERE/kbuild-files.awk" "$fragment"
	basename "$dsc"
} | sha256sum | cut -c1-16)
slot=$cache/kbuild-$key
if [ -s "$slot/tree.tar.gz" ]; then
	echo "$slot"
	exit 0
fi
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	cache=$(mktemp -d)
	slot=$cache/kbuild-$key
fi
exec 9>"$cache/.kbuild-tree.lock"
flock 9
if [ -s "$slot/tree.tar.gz" ]; then
	echo "$slot"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# The build sees no variable of the caller's: the guest runs it with
# these and no others.
kenv() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent LC_ALL=C \
		KBUILD_BUILD_USER=ptswitch KBUILD_BUILD_HOST=build \
		KBUILD_BUILD_TIMESTAMP=@0 "$@"
}

log "unpacking $(basename "$dsc")"
dpkg-source --no-check -x "$dsc" "$work/conf" >/dev/null
(
	cd "$work/conf"
	kenv make -s tinyconfig >/dev/null
	scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
	kenv make -s olddefconfig
)
grep -q '^CONFIG_64BIT=y' "$work/conf/.config" || {
	log "configuration is not 64-bit"
	exit 1
}

log "building it once under strace (about 10 minutes)"
cp -a "$work/conf" "$work/linux"
(cd "$work/linux" && kenv nice strace -f -qq -o "$work/strace.log" \
	-e signal=none -e trace=execve,chdir,fchdir,open,openat,stat,lstat,newfstatat,statx,access,faccessat,faccessat2,readlink,readlinkat,clone,clone3,fork,vfork \
	make -j2 >"$work/build.log" 2>&1) || {
	tail -n 20 "$work/build.log" >&2
	log "the full build failed"
	exit 1
}
objects=$(grep -c '^  CC ' "$work/build.log")
awk -v tree="$work/linux" -f "$HERE/kbuild-files.awk" "$work/strace.log" \
	"$work/strace.log" >"$work/files"

# The pruned tree: what the build used of the configured tree.
mkdir "$work/pruned"
grep '^T ' "$work/files" | cut -c3- | (
	cd "$work/conf"
	while IFS= read -r p; do
		if [ -L "$p" ] || [ -f "$p" ]; then
			cp -a --parents "$p" "$work/pruned/"
		elif [ -d "$p" ]; then
			mkdir -p "$work/pruned/$p"
		fi
	done
)
# Host paths, less what the guest has or must not get: the kernel's
# file systems, temporary files, the home of the user who runs this,
# variable data and caches, and ld's LLVM plugin (optional, and 100 MB
# of libraries).
tmpd=${TMPDIR:-/tmp}
grep '^[XH] /' "$work/files" | grep -v \
	-e ' /proc/' -e ' /sys/' -e ' /dev/' -e ' /run/' -e ' /tmp/' \
	-e " $tmpd/" -e " $work/" -e " ${HOME:-/nonexistent}/" -e ' /var/' \
	-e ' /etc/ld\.so\.' -e ' /etc/passwd' -e ' /etc/group' \
	-e ' /etc/nsswitch' -e ' /usr/local/' -e 'LLVM' >"$work/tools.list" ||
	true

log "verifying: building the pruned tree"
cp -a "$work/pruned" "$work/verify"
(cd "$work/verify" && kenv nice make -j2 >"$work/verify.log" 2>&1) || {
	tail -n 20 "$work/verify.log" >&2
	# Kept for a look: which files the trace found, and the failure.
	mkdir -p "$cache/kbuild-$key.failed"
	cp "$work/files" "$work/verify.log" "$cache/kbuild-$key.failed/"
	log "the pruned tree does not build ($cache/kbuild-$key.failed)"
	exit 1
}
verified=$(grep -c '^  CC ' "$work/verify.log")

tmp=$(mktemp -d "$cache/.kbuild-$key.XXXXXX")
tar -C "$work/pruned" -czf "$tmp/tree.tar.gz" .
cp "$work/tools.list" "$tmp/"
{
	echo "source=$(basename "$dsc" .dsc)"
	echo "config=tinyconfig + $(basename "$fragment")"
	echo "full-build-objects=$objects"
	echo "tree-files=$(find "$work/pruned" -type f | wc -l)"
	echo "tree-size=$(du -sh "$work/pruned" | cut -f1)"
	echo "full-tree-size=$(du -sh "$work/conf" | cut -f1)"
	echo "pruned-build-objects=$verified"
	sed 's/^/config: /' "$work/conf/.config" | grep '=y$' | sort
} >"$tmp/build-info"
rm -rf "$slot"
mv "$tmp" "$slot"
log "done: $slot"
echo "$slot"

#!/bin/bash
# SPDX-License-Identifier: MIT
# The patched Xen packages (hv-patches/build-xen-debs.sh): build them (a
# cache hit when the series, the source version and the script are
# unchanged), then check the version suffix, the files, the dependencies
# between the packages, that the source and the hypervisor carry
# hv-patches/series as it is now, and install them with apt into a
# throwaway bookworm root (mmdebstrap).  Ends with "N passed, N failed".
#   tests/packaging/test-xen-debs.sh [OUT]  (make xen-debs-check;
#                                            OUT: build/xen-debs)
# XEN_DEBS_NO_INSTALL=1 skips the install (it needs the Debian mirror).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$TOP/build/xen-debs}
suffix=${XEN_DEB_SUFFIX:-+ptswitch1}
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
. "$TOP/tests/tally.sh"
quiet() { "$@" >"$work/quiet.log" 2>&1 || { tail -n 30 "$work/quiet.log"; false; }; }
work=$(mktemp -d "${TMPDIR:-/var/tmp}/test-xen-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
if "$TOP/hv-patches/build-xen-debs.sh" "$out" >"$work/build.log" 2>&1; then
	ok "build-xen-debs.sh ($(($(date +%s) - start)) s)"
	sed 's/^/  /' "$work/build.log"
else
	tail -n 40 "$work/build.log"
	not_ok "build-xen-debs.sh"
	finish
fi
sed 's/^/  build-info: /' "$out/build-info"
version=$(sed -n 's/^version=//p' "$out/build-info")
check "the version ends in $suffix ($version)" \
	test "${version%"$suffix"}" != "$version"

deb() { echo "$out/${1}_${version}_${2:-amd64}.deb"; }
hv=$(deb xen-hypervisor-4.17-amd64)
hvdbg=$(deb xen-hypervisor-4.17-amd64-dbg)
for p in xen-hypervisor-4.17-amd64 xen-hypervisor-4.17-amd64-dbg \
	xen-hypervisor-common xen-system-amd64 xen-utils-4.17 \
	xen-utils-common xenstore-utils libxen-dev libxenstore4 \
	libxenmisc4.17 libxencall1 libxenevtchn1; do
	check "built $p $version" test -f "$(deb "$p")"
done

# Every .deb of the build has the new version.
for f in "$out"/*.deb; do
	v=$(dpkg-deb -f "$f" Version)
	[ "$v" = "$version" ] || not_ok "$(basename "$f") has version $v"
done
check "every .deb has version $version" \
	bash -c "! ls '$out'/*.deb | grep -v '_${version}_'"

# Files.
dpkg-deb -c "$hv" | awk '{print $6}' | sed 's|^\./|/|' >"$work/hv.list"
dpkg-deb -c "$hvdbg" | awk '{print $6}' | sed 's|^\./|/|' >"$work/hvdbg.list"
for f in /boot/xen-4.17-amd64.gz /boot/xen-4.17-amd64.config \
	/usr/share/doc/xen-hypervisor-4.17-amd64/changelog.Debian.gz; do
	check "xen-hypervisor-4.17-amd64 contains $f" grep -qxF "$f" "$work/hv.list"
done
check "xen-hypervisor-4.17-amd64-dbg contains /usr/lib/debug/boot/xen-syms-4.17-amd64" \
	grep -qxF /usr/lib/debug/boot/xen-syms-4.17-amd64 "$work/hvdbg.list"

# Dependencies between the packages of this build: every versioned
# relation to one of them is satisfied by $version.
built=" $(for f in "$out"/*.deb; do dpkg-deb -f "$f" Package; done | tr '\n' ' ')"
bad=""
for f in "$out"/*.deb; do
	dpkg-deb -f "$f" Depends Pre-Depends Recommends |
		sed 's/^[A-Za-z-]*: //' | tr ',' '\n' | sed 's/^ *//' |
		grep -E '^[a-z0-9.+-]+(:any)? \(' >"$work/rel" || continue
	while read -r name op ver; do
		name=${name%:any}
		op=${op#(}
		ver=${ver%)}
		case $built in *" $name "*) ;; *) continue ;; esac
		dpkg --compare-versions "$version" "$op" "$ver" ||
			bad="$bad $(dpkg-deb -f "$f" Package)->$name($op$ver)"
	done <"$work/rel"
done
check "the relations between the built packages hold at $version${bad:+ (not:$bad)}" \
	test -z "$bad"
check "xen-system-amd64 depends on xen-hypervisor-4.17-amd64 and xen-utils-4.17" \
	bash -c "dpkg-deb -f '$(deb xen-system-amd64)' Depends |
		grep -q xen-hypervisor-4.17-amd64 &&
		dpkg-deb -f '$(deb xen-system-amd64)' Depends | grep -q xen-utils-4.17"
echo "  xen-hypervisor-4.17-amd64 Depends: $(dpkg-deb -f "$hv" Depends)"

# Scripts run the system's interpreters, not ones from the build's PATH.
mkdir -p "$work/all"
for f in "$out"/*.deb; do dpkg-deb -x "$f" "$work/all"; done
find "$work/all" -type f -perm -u+x -exec sh -c \
	'head -c 2 "$1" | grep -q "#!" && head -n 1 "$1"' _ {} \; |
	sort -u >"$work/shebangs"
sed 's/^/  #! line: /' "$work/shebangs"
check "every #! line names /bin or /usr/bin" \
	bash -c "! grep -vE '^#! ?(/usr)?/bin/' '$work/shebangs'"

# The series, as hv-patches/series has it now, is in the source package
# (after Debian's queue) and in the changelog.
patches=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$TOP/hv-patches/series")
dsc=$out/xen_${version}.dsc
check "the source package xen_$version.dsc was built" test -f "$dsc"
mkdir -p "$work/src"
tar -C "$work/src" -xf "$out/xen_${version}.debian.tar.xz"
expect=$(for p in $patches; do echo "ptswitch/$p"; done)
check "debian/patches/series ends with hv-patches/series" \
	test "$(tail -n "$(echo "$patches" | wc -l)" "$work/src/debian/patches/series")" = "$expect"
for p in $patches; do
	check "debian/patches/ptswitch/$p is hv-patches/$p" \
		cmp -s "$TOP/hv-patches/$p" "$work/src/debian/patches/ptswitch/$p"
done
dpkg-deb -x "$hv" "$work/hv"
dpkg-deb -x "$hvdbg" "$work/hvdbg"
zcat "$work/hv/usr/share/doc/xen-hypervisor-4.17-amd64/changelog.Debian.gz" |
	sed -n '1,/^ -- /p' >"$work/changelog"
for p in $patches; do
	check "the changelog entry names $p" grep -qF "$p" "$work/changelog"
done

# The hypervisor carries the series: xen-syms has the series' global
# functions (added, non-static definitions in .c files), and the packaged
# xen.gz is the image xen-syms describes (same GNU build ID).
syms=$work/hvdbg/usr/lib/debug/boot/xen-syms-4.17-amd64
nm "$syms" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$work/syms"
# A definition a later patch removes (or makes static) is not expected.
for p in $patches; do
	awk '/^\+\+\+ b\// { c = ($2 ~ /\.c$/) } c' "$TOP/hv-patches/$p" |
		grep -E '^[-+][a-z][a-z0-9_ ]*[ *][a-z_][a-z0-9_]*\(' |
		grep -vE '^[-+](static|extern|typedef|return)\b|;[[:space:]]*$' |
		sed -E 's/^([-+])[a-z][a-z0-9_ ]*[ *]([a-z_][a-z0-9_]*)\(.*/\1 \2/'
done | awk '$1 == "+" { d[$2] = 1 } $1 == "-" { delete d[$2] }
	END { for (f in d) print f }' | sort >"$work/want"
check "the series defines global functions ($(wc -l <"$work/want"))" \
	test -s "$work/want"
missing=$(comm -23 "$work/want" "$work/syms" | tr '\n' ' ')
check "xen-syms has every one of them${missing:+ (missing: $missing)}" \
	test -z "$missing"
echo "  e.g. $(grep -m3 '^pv_pt_' "$work/syms" | tr '\n' ' ')"
zcat "$work/hv/boot/xen-4.17-amd64.gz" >"$work/xen.elf"
id_gz=$(readelf -n "$work/xen.elf" 2>/dev/null | awk '/Build ID/ { print $3 }')
id_syms=$(readelf -n "$syms" 2>/dev/null | awk '/Build ID/ { print $3 }')
echo "  build id: xen.gz ${id_gz:-none}, xen-syms ${id_syms:-none}"
check "xen-4.17-amd64.gz and xen-syms have the same build ID" \
	test -n "$id_gz" -a "$id_gz" = "$id_syms"
# Debian's patch 0003 puts the package version in the boot banner.
check "xen-4.17-amd64.gz names $version (its boot banner)" \
	grep -qaF "$version" "$work/xen.elf"
check "the stock hypervisor has another build ID" \
	bash -c "[ ! -r /boot/xen-4.17-amd64.gz ] ||
		[ \"\$(zcat /boot/xen-4.17-amd64.gz | readelf -n /dev/stdin 2>/dev/null |
			awk '/Build ID/ { print \$3 }')\" != '$id_gz' ]"

# Install: apt in a throwaway bookworm root resolves the dependencies from
# the archive and runs the maintainer scripts.
if [ "${XEN_DEBS_NO_INSTALL:-0}" = 1 ]; then
	echo "  skipped: the install (XEN_DEBS_NO_INSTALL=1)"
	finish
fi
base=$work/base.tar
[ -w "$cache" ] && base=$cache/xen-debs-bookworm-apt.tar
if [ ! -s "$base" ]; then
	quiet mmdebstrap --variant=apt bookworm "$base.tmp.tar" &&
		mv "$base.tmp.tar" "$base"
fi
# new_root DIR: a fresh bookworm root (main and security) with our .debs
# in /debs and no service started by maintainer scripts.
new_root() {
	rm -rf "$1"
	mkdir -p "$1"
	tar -C "$1" -xf "$base"
	printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"
	chmod +x "$1/usr/sbin/policy-rc.d"
	echo "deb http://deb.debian.org/debian-security bookworm-security main" \
		>"$1/etc/apt/sources.list.d/security.list"
	mkdir -p "$1/debs"
	cp "$out"/*.deb "$1/debs/"
	cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null
	quiet chroot "$1" apt-get update
}
root=$work/root
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"; }
hv_status() {
	in_root dpkg-query -W -f='${Status} ${Version}' xen-hypervisor-4.17-amd64
}

# 1. Every built package at once, into a bare root.
new_root "$root"
check "apt-get install every built .deb into a bookworm root" \
	quiet in_root sh -c 'apt-get install -y --no-install-recommends /debs/*.deb'
check "dpkg has xen-hypervisor-4.17-amd64 $version installed" \
	test "$(hv_status)" = "install ok installed $version"
check "the installed /boot/xen-4.17-amd64.gz is the packaged one" \
	cmp -s "$root/boot/xen-4.17-amd64.gz" "$work/hv/boot/xen-4.17-amd64.gz"
check "xen-utils-4.17 $version installed (xl present)" \
	test -x "$root/usr/lib/xen-4.17/bin/xl"

# 2. docs/xen-debs.md's path on a host that runs Debian's hypervisor:
# keep a copy of the stock one, install the patched package alone, hold
# it; then the roll back.
new_root "$root"
quiet in_root apt-get install -y --no-install-recommends xen-hypervisor-4.17-amd64
stock=$(hv_status)
stock=${stock##* }
echo "  stock xen-hypervisor-4.17-amd64: $stock"
cp "$root/boot/xen-4.17-amd64.gz" "$root/boot/xen-4.17-stock-amd64.gz"
check "apt install --allow-downgrades the patched hypervisor package over $stock" \
	quiet in_root apt-get install -y --allow-downgrades \
	"/debs/$(basename "$hv")"
check "xen-hypervisor-4.17-amd64 $version installed over the stock one" \
	test "$(hv_status)" = "install ok installed $version"
check "/boot/xen-4.17-amd64.gz is the patched one, the stock copy is kept" \
	bash -c "cmp -s '$root/boot/xen-4.17-amd64.gz' '$work/hv/boot/xen-4.17-amd64.gz' &&
		! cmp -s '$root/boot/xen-4.17-amd64.gz' '$root/boot/xen-4.17-stock-amd64.gz'"
in_root apt-get -s upgrade 2>&1 | grep -E '^Inst xen-hypervisor' | sed 's/^/  unheld: /'
if dpkg --compare-versions "$stock" gt "$version"; then
	check "unheld, apt upgrade would put the stock $stock back" \
		bash -c "chroot '$root' apt-get -s upgrade | grep -q '^Inst xen-hypervisor-4.17-amd64 '"
	quiet in_root apt-mark hold xen-hypervisor-4.17-amd64
	check "held, apt upgrade keeps the patched hypervisor" \
		bash -c "! chroot '$root' apt-get -s upgrade | grep -q '^Inst xen-hypervisor-4.17-amd64 '"
	quiet in_root apt-mark unhold xen-hypervisor-4.17-amd64
else
	echo "  skipped: the hold (the archive has nothing newer than $version)"
fi
check "roll back: apt install --allow-downgrades xen-hypervisor-4.17-amd64=$stock" \
	quiet in_root apt-get install -y --allow-downgrades \
	"xen-hypervisor-4.17-amd64=$stock"
check "after the roll back /boot/xen-4.17-amd64.gz is the stock one again" \
	cmp -s "$root/boot/xen-4.17-amd64.gz" "$root/boot/xen-4.17-stock-amd64.gz"
finish

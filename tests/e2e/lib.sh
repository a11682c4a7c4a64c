# SPDX-License-Identifier: MIT
# shellcheck shell=dash
# Shared helpers for the e2e scripts (sourced; POSIX sh plus "local",
# which dash and busybox ash support).

e2e_log() {
	printf 'e2e: %s\n' "$*" >&2
}

e2e_die() {
	printf 'e2e: error: %s\n' "$*" >&2
	exit 1
}

# e2e_batch_xen TOP WORKDIR: build the hypervisor with BATCH from TOP's
# hv-patches/ (cached by build-xen.sh) into WORKDIR/xen; print its xen.gz.
e2e_batch_xen() {
	e2e_log "building the BATCH hypervisor (hv-patches/build-xen.sh)"
	"$1/hv-patches/build-xen.sh" "$2/xen" >&2 || return 1
	echo "$2/xen/xen.gz"
}

# Copy a file into ROOT at the same path, resolving symlinks.
e2e_copy_file() {
	local root src dst
	root=$1
	src=$2
	dst=${3:-$src}
	mkdir -p "$root/$(dirname "$dst")"
	cp -L "$src" "$root/$dst"
}

# Copy every shared library ldd reports for BIN (and the dynamic loader)
# into ROOT at its own path.
e2e_copy_libs() {
	local root bin lib
	root=$1
	bin=$2
	ldd "$bin" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' |
		while read -r lib; do
			[ -e "$root/$lib" ] || e2e_copy_file "$root" "$lib"
		done
}

# Copy executables into ROOT at their own paths, with their libraries.
e2e_copy_with_libs() {
	local root bin
	root=$1
	shift
	for bin in "$@"; do
		[ -e "$bin" ] || e2e_die "missing binary $bin"
		e2e_copy_file "$root" "$bin"
		e2e_copy_libs "$root" "$bin"
	done
}

# Install executable SRC at DST in ROOT, with its libraries.
e2e_install_bin() {
	local root src dst
	root=$1
	src=$2
	dst=$3
	[ -e "$src" ] || e2e_die "missing binary $src"
	e2e_copy_file "$root" "$src" "$dst"
	chmod 0755 "$root/$dst"
	e2e_copy_libs "$root" "$src"
}

# e2e_dpkg_install ROOT DEB...: install Debian packages into the image
# tree ROOT with dpkg itself (its database in ROOT/var/lib/dpkg,
# maintainer scripts run chrooted by busybox sh), then copy in the shared
# libraries of every ELF file they installed.  The image is a busybox
# initramfs, not a Debian system: the packages' Depends (libc6, libxen*,
# libyaml, libsystemd0) are not installed as packages, so dpkg is told
# --force-depends, and the libraries come from the host's installed
# packages through ldd, as for the rest of the image.  The packages'
# files are theirs alone: nothing is copied over them (e2e_dpkg_verify).
e2e_dpkg_install() {
	local root=$1 deb pkg f sudo
	shift
	mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" \
		"$root/var/lib/dpkg/triggers" "$root/var/log"
	[ -e "$root/var/lib/dpkg/status" ] || : >"$root/var/lib/dpkg/status"
	[ -e "$root/var/lib/dpkg/available" ] ||
		: >"$root/var/lib/dpkg/available"
	# As root: dpkg --root chroots into the image for the maintainer
	# scripts.  A user's tree is given back to the user (the image is
	# packed as owned by root all the same).
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	if ! $sudo dpkg --root="$root" --log="$root/var/log/dpkg.log" \
		--force-depends -i "$@" >"$root/var/log/e2e-dpkg.out" 2>&1; then
		cat "$root/var/log/e2e-dpkg.out" >&2
		e2e_die "dpkg -i $* into the image failed"
	fi
	[ -z "$sudo" ] || sudo chown -R "$(id -u):$(id -g)" "$root"
	rm -f "$root/var/log/e2e-dpkg.out"
	# The maintainer scripts' ">/dev/null" made a plain file (the tree
	# has no devtmpfs); the booted image mounts one there.
	[ ! -f "$root/dev/null" ] || rm -f "$root/dev/null"
	for deb in "$@"; do
		pkg=$(dpkg-deb -f "$deb" Package)
		e2e_log "installed $pkg $(dpkg-deb -f "$deb" Version) with dpkg"
		for f in $(dpkg --root="$root" -L "$pkg"); do
			if [ ! -f "$root$f" ] || [ -L "$root$f" ]; then
				continue
			fi
			[ "$(head -c 4 "$root$f" | od -An -c | tr -d ' ')" = \
				'177ELF' ] || continue
			e2e_copy_libs "$root" "$root$f"
		done
	done
}

# e2e_dpkg_verify ROOT: every file of every package dpkg installed in ROOT
# is as its package shipped it (dpkg --verify: md5sums and conffiles).
e2e_dpkg_verify() {
	local root=$1 out
	[ -s "$root/var/lib/dpkg/status" ] || return 0
	out=$(dpkg --root="$root" --verify 2>&1) && [ -z "$out" ] && return 0
	printf '%s\n' "$out" >&2
	e2e_die "files of the installed packages changed in the image"
}

# A usr-merged skeleton with busybox applets in /usr/bin.
e2e_skeleton() {
	local root busybox applet
	root=$1
	busybox=$2
	mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" \
		"$root/usr/lib64" "$root/proc" "$root/sys" "$root/dev" \
		"$root/run" "$root/tmp" "$root/etc" "$root/var" "$root/root"
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../run "$root/var/run"
	cp "$busybox" "$root/usr/bin/busybox"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] && continue
		[ -e "$root/usr/bin/$applet" ] ||
			ln -s busybox "$root/usr/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
}

# Pack ROOT as a gzip'd newc cpio archive at OUT (busybox's cpio: the
# e2e needs busybox-static anyway, GNU cpio may be absent).
e2e_pack() {
	local root out busybox
	root=$1
	out=$2
	busybox=$3
	(cd "$root" && find . | LC_ALL=C sort |
		"$busybox" cpio -o -H newc -R 0:0) | gzip -1 >"$out.tmp"
	mv "$out.tmp" "$out"
}

# Unpack the ELF kernel from an xz-compressed bzImage (Debian's amd64
# kernels) into OUT.  Fails, leaving no OUT, if there is none.
e2e_extract_vmlinux() {
	local image out tmp off magic
	image=$1
	out=$2
	tmp=$out.tmp.$$
	magic=$(printf '\3757zXZ')
	# shellcheck disable=SC2013 # offsets are numbers
	for off in $(LC_ALL=C grep -abo "$magic" "$image" | cut -d: -f1); do
		tail -c +$((off + 1)) "$image" |
			xz -dc --single-stream >"$tmp" 2>/dev/null
		if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = \
			'177ELF' ]; then
			mv "$tmp" "$out"
			return 0
		fi
	done
	rm -f "$tmp"
	return 1
}

# e2e_boot XEN_ELF VMLINUZ DOM0_CMDLINE INITRD LOG TIMEOUT_S [MEM_MB]
# Boot Xen under QEMU (TCG) with the dom0 kernel and initramfs, and return
# when QEMU ends (dom0 powers off, or TIMEOUT_S passes).  The console goes
# to LOG, each line stamped with host seconds since QEMU started.  Uses
# the caller's $work for a fifo and sets its $qemu_pid while QEMU runs, so
# the caller's cleanup can stop it: timeout(1) passes that SIGTERM on.
# E2E_DOM0_MEM (default 512M) sets dom0's memory, for a dom0 whose
# initramfs carries large guest images; E2E_XEN_ARGS adds to Xen's
# command line.
e2e_boot() {
	local xen_elf=$1 kernel=$2 cmdline=$3 initrd=$4 out=$5 secs=$6
	local mem=${7:-2048} xen_cmdline stamp_pid
	xen_cmdline="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all"
	local dom0_mem=${E2E_DOM0_MEM:-512M}
	xen_cmdline="$xen_cmdline dom0_mem=$dom0_mem,max:$dom0_mem"
	xen_cmdline="$xen_cmdline dom0_max_vcpus=1"
	# Extra hypervisor options, for experiments by hand.
	xen_cmdline="$xen_cmdline${E2E_XEN_ARGS:+ $E2E_XEN_ARGS}"
	rm -f "$work/console"
	mkfifo "$work/console"
	perl -MTime::HiRes=time -ne \
		'BEGIN { $| = 1; $t0 = time } s/\r//g;
		 printf "[%7.2f] %s", time - $t0, $_' <"$work/console" >"$out" &
	stamp_pid=$!
	timeout -k 10 "$secs" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu qemu64 -m "$mem" -smp 2 \
		-nographic -no-reboot -net none -monitor none \
		-kernel "$xen_elf" -append "$xen_cmdline" \
		-initrd "$kernel $cmdline,$initrd" \
		</dev/null >"$work/console" 2>&1 &
	qemu_pid=$!
	wait "$qemu_pid" || true
	qemu_pid=
	wait "$stamp_pid" || true
}

# e2e_kernel_tree CACHE: set $ktree to the kernel Debian's
# linux-image-amd64 points at, unpacked under CACHE (only boot/vmlinuz-*
# and the Xen modules) rather than installed on the host.  Unpacked aside
# and renamed, so concurrent runs never see half a tree.
e2e_kernel_tree() {
	local cache=$1 kpkg kver dl mods
	kpkg=$(e2e_kernel_package)
	if [ -z "$kpkg" ]; then
		# A machine that had every package already may have no lists.
		if [ "$(id -u)" -eq 0 ]; then
			apt-get update -qq
		else
			sudo apt-get update -qq
		fi
		kpkg=$(e2e_kernel_package)
	fi
	[ -n "$kpkg" ] || e2e_die "cannot resolve linux-image-amd64"
	kver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ { print $2 }')
	ktree=$cache/$kpkg-$kver
	[ -e "$ktree/.complete" ] && return 0
	e2e_log "fetching $kpkg $kver"
	dl=$(mktemp -d "$cache/.dl.XXXXXX")
	mkdir "$dl/tree"
	(cd "$dl" && apt-get download -q "$kpkg=$kver" >&2)
	# trixie's packages are usr-merged: modules in /usr/lib/modules,
	# moved to lib/modules here, where the scripts look.
	mods=./lib/modules
	dpkg-deb -c "$dl"/"$kpkg"_*.deb | grep ' \./usr/lib/modules/' \
		>/dev/null && mods=./usr/lib/modules
	dpkg-deb --fsys-tarfile "$dl"/"$kpkg"_*.deb |
		tar -x -C "$dl/tree" --wildcards './boot/vmlinuz-*' \
			"$mods/*/kernel/drivers/xen/*"
	if [ "$mods" = ./usr/lib/modules ]; then
		mkdir -p "$dl/tree/lib"
		mv "$dl/tree/usr/lib/modules" "$dl/tree/lib/modules"
		rm -rf "$dl/tree/usr"
	fi
	# and xz-compressed (6.12): busybox's insmod wants them plain.
	find "$dl/tree/lib" -name '*.ko.xz' -exec xz -d {} +
	touch "$dl/tree/.complete"
	rm -rf "$ktree"
	mv "$dl/tree" "$ktree" 2>/dev/null || [ -e "$ktree/.complete" ]
	rm -rf "$dl"
}

e2e_kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# The lab's download cache: ${PTSWITCH_CACHE:-/var/cache/ptswitch}/e2e when
# it can be written, else WORK/cache (a run without a cache still works).
# Prints the directory.  Usage: cache=$(e2e_cache_dir WORK)
e2e_cache_dir() {
	local c=${PTSWITCH_CACHE:-/var/cache/ptswitch}/e2e
	if ! mkdir -p "$c" 2>/dev/null || [ ! -w "$c" ]; then
		e2e_log "cache $c not writable, not caching"
		c=$1/cache
		mkdir -p "$c"
	fi
	echo "$c"
}

# Xen as the ELF QEMU's multiboot loader takes: XEN may be xen.gz or the
# ELF itself.  Usage: e2e_xen_elf XEN OUT
e2e_xen_elf() {
	if gzip -t "$1" 2>/dev/null; then
		gzip -dc "$1" >"$2"
	else
		cp "$1" "$2"
	fi
}

# A private work directory in $work, removed on exit together with the
# QEMU that e2e_boot runs from it.  Usage: e2e_workdir (before e2e_boot)
e2e_workdir() {
	work=$(mktemp -d)
	qemu_pid=
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
}

e2e_cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$work"
}

# Which hypervisor XEN is, for the dom0 checks: FLAVOUR when --expect
# named one, else stock for Debian's own file and patched for any other.
# Dies unless XEN is readable and the flavour is one of ALLOWED (default
# "stock patched").  Prints it.
# Usage: flavour=$(e2e_flavour XEN "$flavour" [ALLOWED]) || exit 1
e2e_flavour() {
	local xen=$1 flavour=$2 allowed=${3:-stock patched} a
	[ -r "$xen" ] || e2e_die "no hypervisor at $xen"
	if [ -z "$flavour" ]; then
		case $(realpath "$xen") in
		/boot/xen-*) flavour=stock ;;
		*) flavour=patched ;;
		esac
	fi
	for a in $allowed; do
		if [ "$a" = "$flavour" ]; then
			echo "$flavour"
			return 0
		fi
	done
	e2e_die "--expect takes one of: $allowed"
}

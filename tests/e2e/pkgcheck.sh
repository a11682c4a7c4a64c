# SPDX-License-Identifier: MIT
# shellcheck shell=dash
# Sourced inside the QEMU labs' dom0 and guests (busybox sh): whether a
# program the lab runs is the one its Debian package installed.  The
# images get the packages with dpkg (tests/e2e/lib.sh, e2e_dpkg_install),
# so dpkg's own database is in them: the status, each package's file list
# and md5sums, and the conffiles' sums.

PKG_DB=/var/lib/dpkg

# pkg_field PKG FIELD: one field of PKG's entry in dpkg's status file.
pkg_field() {
	awk -v p="$1" -v f="$2" '
		/^Package: / { cur = ($2 == p); next }
		cur && index($0, f ": ") == 1 {
			print substr($0, length(f) + 3)
			exit
		}' "$PKG_DB/status" 2>/dev/null
}

# pkg_conffiles PKG: "PATH MD5" for each of PKG's conffiles, as installed.
pkg_conffiles() {
	awk -v p="$1" '
		/^Package: / { cur = ($2 == p); conf = 0; next }
		cur && /^Conffiles:/ { conf = 1; next }
		cur && conf && /^ / { print $1, $2; next }
		{ conf = 0 }' "$PKG_DB/status" 2>/dev/null
}

# pkg_verify PKG FILE [PID]: dpkg installed PKG here, FILE is one of its
# files, every file of PKG (md5sums) and every conffile is as the package
# shipped it, and, with PID, that process runs FILE.  Prints
# "PKG VERSION: ..." and returns 0, or prints why not and returns 1.
pkg_verify() {
	local pkg=$1 file=$2 pid=${3:-} st version sums bad n nconf path_sum path sum exe tries
	if [ ! -r "$PKG_DB/status" ]; then
		echo "$pkg: no dpkg database in this image (copied, not installed)"
		return 1
	fi
	st=$(pkg_field "$pkg" Status)
	if [ "$st" != "install ok installed" ]; then
		echo "$pkg: not installed by dpkg (status '${st:-none}')"
		return 1
	fi
	version=$(pkg_field "$pkg" Version)
	if ! grep -qxF "$file" "$PKG_DB/info/$pkg.list"; then
		echo "$pkg $version: $file is not one of its files"
		return 1
	fi
	sums=$PKG_DB/info/$pkg.md5sums
	if ! grep -q " ${file#/}\$" "$sums"; then
		echo "$pkg $version: $file has no md5sum in $sums"
		return 1
	fi
	bad=$(cd / && md5sum -c "$sums" 2>&1 | grep -v ': OK$')
	if [ -n "$bad" ]; then
		echo "$pkg $version: not as packaged: $(echo "$bad" | tr '\n' ' ')"
		return 1
	fi
	n=$(wc -l <"$sums")
	nconf=0
	for path_sum in $(pkg_conffiles "$pkg" | tr ' ' '='); do
		path=${path_sum%%=*}
		sum=${path_sum#*=}
		if [ "$(md5sum "$path" 2>/dev/null | cut -d' ' -f1)" != "$sum" ]; then
			echo "$pkg $version: conffile $path differs from the package"
			return 1
		fi
		nconf=$((nconf + 1))
	done
	if [ -n "$pid" ]; then
		# Just started with "&": give its exec a few seconds.
		tries=0
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null)
		while [ "$exe" != "$file" ] && [ $tries -lt 5 ]; do
			sleep 1
			tries=$((tries + 1))
			exe=$(readlink "/proc/$pid/exe" 2>/dev/null)
		done
		if [ "$exe" != "$file" ]; then
			echo "$pkg $version: pid $pid runs '${exe:-?}', not $file"
			return 1
		fi
	fi
	echo "$pkg $version: $file${pid:+ (pid $pid)} and the other" \
		"$((n - 1)) files, $nconf conffiles as packaged"
}

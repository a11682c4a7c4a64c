# SPDX-License-Identifier: MIT
# shellcheck shell=dash
# Sourced by guest-fork-init in the guest of kdeb-e2e.sh, whose kernel
# came from a linux-image package that dpkg installed into the image
# (kernel command line: kdeb.pkg=PACKAGE kdeb.modules=MOD:MOD...).
# Reports, each as a KGUEST: kdeb line that lab/dom0-kdeb.sh checks:
#   package   what dpkg's database says of PACKAGE (status, version) and
#             the md5sum it recorded for /boot/vmlinuz-<uname -r>
#   modules   each of MOD loaded by kmod's modprobe from the package's
#             /lib/modules/<uname -r>, and whether the kernel lists it
#             (by path: busybox's sh runs its own modprobe applet, which
#             cannot read xz modules, before anything in PATH)
#   note      whether /sys/kernel/notes carries the ptswitch note
# guest-fork-init has mounted /proc, /sys and /dev.

kdeb_pkg=
kdeb_mods=
read -r kdeb_cmdline </proc/cmdline
for arg in $kdeb_cmdline; do
	case $arg in
	kdeb.pkg=*) kdeb_pkg=${arg#kdeb.pkg=} ;;
	kdeb.modules=*) kdeb_mods=$(echo "${arg#kdeb.modules=}" | tr : ' ') ;;
	esac
done

if [ -n "$kdeb_pkg" ]; then
	# shellcheck source=../../../tests/e2e/pkgcheck.sh
	. /e2e/pkgcheck.sh
	krel=$(uname -r)
	# dpkg's md5sums list paths without the leading slash.
	sum=$(awk -v f="boot/vmlinuz-$krel" '$2 == f { print $1 }' \
		"$PKG_DB/info/$kdeb_pkg.md5sums" 2>/dev/null)
	echo "KGUEST: kdeb package $kdeb_pkg" \
		"status='$(pkg_field "$kdeb_pkg" Status)'" \
		"version=$(pkg_field "$kdeb_pkg" Version)" \
		"vmlinuz-md5=${sum:-none} modules-dir=$(
			[ -d "/lib/modules/$krel/kernel" ] && echo yes || echo no)"
	for m in $kdeb_mods; do
		if out=$(/usr/sbin/modprobe "$m" 2>&1); then
			# lsmod lists module names with underscores.
			if /usr/sbin/lsmod | grep -q "^$(echo "$m" | tr - _) "; then
				echo "KGUEST: kdeb modules $m loaded"
			else
				echo "KGUEST: kdeb modules $m not-listed"
			fi
		else
			echo "KGUEST: kdeb modules $m failed: $out"
		fi
	done
	# The note's name and its descriptor string, as the agent reads them.
	if grep -q 'missing-pde spurious-fault lazy-flush' /sys/kernel/notes \
		2>/dev/null; then
		echo "KGUEST: kdeb note ptswitch present"
	else
		echo "KGUEST: kdeb note ptswitch absent"
	fi
fi

# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# What dom0-record.sh and dom0-rounds.sh share (sourced; installed in the
# lab's dom0 as /e2e/reclib.sh by record.sh).
export PATH=/usr/sbin:/usr/bin

# shellcheck disable=SC2034 # used by the scripts that source this
IMAGES=/e2e/images
# shellcheck disable=SC2034
OUT=/tmp/traces
# shellcheck disable=SC2034
CONSOLE_DIR=/var/log/xen/console

info() { echo "REC: INFO $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# dom0 runs the recorder: under TCG busy guests would otherwise starve
# it, and its samples would drift from 1 s.  (Xen 4.17 defaults to
# credit2.)
raise_dom0_weight() {
	xl sched-credit2 -d 0 -w 1024 >/dev/null 2>&1 ||
		xl sched-credit -d 0 -w 1024 >/dev/null 2>&1 ||
		info "could not raise dom0's scheduler weight"
}

# print_trace NAME FILE: FILE on the console as NAME's LINE and SUM lines.
print_trace() {
	while IFS= read -r line; do
		echo "REC: LINE $1 $line"
	done <"$2"
	echo "REC: SUM $1 $(md5sum <"$2" | cut -d" " -f1)"
}

# cmdline_arg KEY DEFAULT: KEY's value on the kernel command line.
cmdline_arg() {
	read -r cmdline </proc/cmdline
	for arg in $cmdline; do
		case $arg in "$1="*) echo "${arg#*=}"; return ;; esac
	done
	echo "$2"
}

# create_guest NAME IMAGE MEMORY_MB VCPUS: start rec-NAME, the guest
# kernel with IMAGE as its initramfs.
create_guest() {
	cat >"/tmp/$1.cfg" <<CFG
name = "rec-$1"
type = "pv"
kernel = "/e2e/guest-kernel"
ramdisk = "$2"
extra = "console=hvc0 rdinit=/init quiet"
memory = $3
vcpus = $4
on_crash = "preserve"
CFG
	xl create -q "/tmp/$1.cfg"
}

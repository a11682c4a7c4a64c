#!/bin/sh
# SPDX-License-Identifier: MIT
# Sourced (after checklib.sh) by the dom0 scripts of the fork labs,
# dom0-fork.sh and dom0-smp.sh: guests running lab/guest-fork-init, the
# commands dom0 gives them through xenstore, and what they answer.
CONSOLE_DIR=/var/log/xen/console
DAEMON_LOG=/var/log/ptswitchd.log

console() { tr -d '\r' <"$CONSOLE_DIR/guest-$1.log" 2>/dev/null; }
hv_mode() { pt-domctl get-mode "$1" 2>&1; }
# fb KEY SUMMARY: one key=value of a forkbench summary line.
fb() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# lab_preflight TEST: whether the lab can run here (our tools in the
# image, the hypervisor with BATCH); if not, says so as TEST's result.
lab_preflight() {
	if [ ! -x /usr/sbin/pt-domctl ] || [ ! -x /usr/sbin/ptswitchd ]; then
		fail "$1-setup" "pt-domctl or ptswitchd missing from the image"
		return 1
	fi
	if [ "$xen" = stock ]; then
		skip "$1" "needs the hypervisor with BATCH (hv-patches)"
		return 1
	fi
}

# create_guest NAME KERNEL MEMORY_MIB VCPUS GUEST_ARGS
create_guest() {
	cat >"/tmp/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "$2"
ramdisk = "/e2e/guest.cpio.gz"
extra = "console=hvc0 rdinit=/init $5"
memory = $3
vcpus = $4
on_crash = "preserve"
CFG
	xl create -q "/tmp/$1.cfg"
}

# The guest's /init has started the agent and published its caps.
ready() {
	[ "$(xs "/local/domain/$1/data/e2e/ready")" = 1 ] &&
		xenstore-exists "/local/domain/$1/data/ptswitch/caps"
}

# command DOMID SEQ WHAT...: dom0-owned, guest-readable.
command() {
	c=/local/domain/$1/e2e/command
	d=$1
	shift
	xenstore-write "$c" "$*" && xenstore-chmod "$c" n0 "r$d"
}
result_is() {
	case $(xs "/local/domain/$1/data/e2e/result") in
	"$2 "*) return 0 ;;
	esac
	return 1
}
result_of() {
	xs "/local/domain/$1/data/e2e/result" | sed 's/^[0-9]* //'
}

# bench DOMID SEQ LABEL: one forkbench run (at most $bench_timeout
# seconds); prints its summary line.
bench() {
	command "$1" "$2 bench $3"
	if wait_until "$bench_timeout" result_is "$1" "$2"; then
		result_of "$1"
	else
		echo "timeout"
	fi
}

# Xen's counters of DOMID, prefixed.
hv_dump() {
	pt-domctl get-stats "$1" 2>&1 |
		grep -E '^(mode|opted|emulated|emul_runs|batch|flush|spurious|unhook|revalid)' |
		tr '\n' ' ' | sed "s/^/E2E: INFO $2 hv: /"
	echo
}

# The guest kernel's complaints on the console of NAME, if any.
guest_trouble() {
	console "$1" | grep -a 'BUG:\|Oops\|Kernel panic\|WARNING:\|general protection\|Bad page\|bad pmd\|segfault'
}

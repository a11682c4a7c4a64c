#!/bin/sh
# SPDX-License-Identifier: MIT
# Sourced (after checklib.sh) by the dom0 scripts of the fork labs
# (dom0-fork.sh, dom0-smp.sh, dom0-kdeb.sh, dom0-saverestore.sh): guests
# running lab/guest-fork-init, the commands dom0 gives them through
# xenstore, and what they answer.
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

# --- mmstress (tests/mmstress) in a guest, dom0's side -----------------------
# mm_run DOMID SEQ SECONDS LABEL [MIB]: one mmstress run in the guest,
# main regions of MIB MiB (default mmstress's) (at most
# SECONDS + 600 of dom0 uptime: a round may take long under TCG).  Samples
# Xen's mode and the daemon's every second; sets mm_res (the guest's
# result without its seq: "<exit status> <summary>", "absent" or
# "timeout"), mm_modes ("mode/daemon-mode xN, ..."), mm_all_batch (yes
# when every sample and the mode after it were BATCH) and mm_batches
# (Xen's batches counter, after - before).
mm_run() {
	mm_seen=
	b0=$(stat_of "$1" batches)
	command "$1" "$2 mmstress $3 $4${5:+ $5}"
	end=$(($(cut -d. -f1 /proc/uptime) + $3 + 600))
	until result_is "$1" "$2"; do
		mm_seen="$mm_seen $(hv_mode "$1")/$(xs "/tool/ptswitch/domain/$1/mode")"
		[ "$(cut -d. -f1 /proc/uptime)" -ge $end ] && break
		sleep 1
	done
	mm_batches=$(($(stat_of "$1" batches) - ${b0:-0}))
	if result_is "$1" "$2"; then
		mm_res=$(result_of "$1")
	else
		mm_res=timeout
	fi
	mm_modes=$(echo "$mm_seen" | tr ' ' '\n' | grep . | sort | uniq -c |
		awk '{ printf "%s%s x%s", n++ ? ", " : "", $2, $1 }')
	mm_all_batch=no
	if [ -n "$mm_seen" ] && [ "$(hv_mode "$1")" = batch ] &&
		! echo "$mm_seen" | tr ' ' '\n' | grep . |
		grep -qv '^batch/batch$'; then
		mm_all_batch=yes
	fi
}
# mm_features NAME SEQ: mmstress's per-feature lines of run SEQ
# ("<feature> ran ..." or "<feature> SKIPPED <why>").
mm_features() {
	console "$1" | sed -n "s/^KGUEST: mm $2: mmstress: feature //p"
}
# mm_not_run NAME SEQ FEATURE...: those of FEATURE... that did not run.
mm_not_run() {
	mm_f=$(mm_features "$1" "$2")
	shift 2
	for f in "$@"; do
		echo "$mm_f" | grep -q "^$f ran " || printf '%s ' "$f"
	done | sed 's/ $//'
}
# mm_intact RESULT: exit status 0, no bad page here or in a fork child.
mm_intact() {
	case $1 in
	"0 mmstress: "*" bad_pages=0 child_bad=0 "*" result=ok") return 0 ;;
	esac
	return 1
}
# mm_self_test DOMID SEQ: the guest's mmstress --self-test-corrupt, which
# must find its own damage (exit 1, bad page in round 1, result FAIL).
mm_self_test() {
	command "$1" "$2 mmstress-corrupt"
	if wait_until 600 result_is "$1" "$2"; then
		mm_res=$(result_of "$1")
	else
		mm_res=timeout
	fi
	case $mm_res in
	"1 mmstress: label=corrupt "*" rounds=1 "*" bad_pages=1 child_bad=1 "*" result=FAIL")
		return 0 ;;
	esac
	return 1
}
# trouble_context NAME: the first trouble line on NAME's console and the
# 30 after it (a WARN's registers and call trace), as INFO lines.
trouble_context() {
	console "$1" | grep -a -m 1 -A 30 \
		'BUG:\|Oops\|Kernel panic\|WARNING:\|general protection\|Bad page\|bad pmd' |
		sed "s/^/E2E: INFO $1 trouble: /"
}
# guest_dmesg_bad DOMID SEQ: the guest kernel log's WARN/BUG/oops/bad-page
# line count ("dmesg N"), from guest-fork-init's dmesg command.
guest_dmesg_bad() {
	command "$1" "$2 dmesg"
	wait_until 120 result_is "$1" "$2"
	result_of "$1"
}

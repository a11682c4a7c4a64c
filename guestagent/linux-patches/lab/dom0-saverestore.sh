#!/bin/sh
# SPDX-License-Identifier: MIT
# Save, restore and live migration, run by the e2e lab's dom0/init in
# place of its checks (saverestore-e2e.sh overlays it).  One PV guest, the
# ptswitch guest kernel, running lab/guest-fork-init:
#   1. opted in, in EMULATE, idle: xl save + xl restore;
#   2. ptswitchd (lab/saverestore-policy.yaml) pins it to BATCH, a fork
#      load runs: xl save + xl restore in the middle of it;
#   3. the same with xl migrate to localhost;
# each move must keep the guest's memory (an md5 of 8 MiB of random bytes
# in its tmpfs, and every forkbench of the load, which checks what each
# child reads) and bring it back as a new domain that Xen starts in
# EMULATE without the consent (hv-patches 0012: a saved context never
# carries it); the kernel must then give its consent again as it resumes
# (guest patch 0006), with its sysfs saying so, and ptswitchd must take
# up the new domain and put it back in BATCH.  Xen's log must stay clean.
# One line per check: E2E: PASS|FAIL|SKIP <name> [why].
export PATH=/usr/sbin:/usr/bin

POLICY=/e2e/saverestore-policy.yaml
NAME=ksr
BOOT_TIMEOUT=900
SWITCH_TIMEOUT=300
SAVE=/tmp/$NAME.save

xen=stock
mib=16
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	e2e.xen=*) xen=${arg#e2e.xen=} ;;
	e2e.sr.mib=*) mib=${arg#e2e.sr.mib=} ;;
	esac
done

# shellcheck source=../../../tests/e2e/dom0/checklib.sh
. /e2e/checklib.sh
# shellcheck source=dom0-forklib.sh
. /e2e/forklib.sh

lab_preflight saverestore-e2e || exit 0

domid_of() { xl domid "$NAME" 2>/dev/null; }
# ask SEQ WHAT: a command to the guest, and wait for its answer.
ask() {
	command "$g" "$1 $2"
	wait_until 120 result_is "$g" "$1"
}
sum_now() {
	ask "$1" sum && result_of "$g" | sed -n 's/^sum //p'
}
opted_in() { stat_of "$g" opted_in; }
in_batch() {
	[ "$(xs "/tool/ptswitch/domain/$g/mode")" = batch ] &&
		[ "$(hv_mode "$g")" = batch ]
}
# The daemon has taken up domain $g (its own node for it exists).
daemon_knows() { [ -n "$(xs "/tool/ptswitch/domain/$g/mode")" ]; }
load_done() {
	case $(xs "/local/domain/$g/data/e2e/load") in
	"$1 "*) return 0 ;;
	esac
	return 1
}
# came_back WHAT OLD_DOMID [emulate]: the moved guest runs as a new
# domain, not crashed; with "emulate" (no daemon running that could have
# switched it since), in EMULATE.
came_back() {
	if [ -z "$g" ] || [ "$g" = "$2" ]; then
		fail "$1-new-domain" "domid '$g' (was $2)"
		return 1
	fi
	state=$(xl list "$NAME" 2>/dev/null | awk 'NR == 2 { print $5 }')
	mode=$(hv_mode "$g")
	if ! echo "$state" | grep -q c &&
		{ [ "${3:-}" != emulate ] || [ "$mode" = emulate ]; }; then
		pass "$1-comes-back" "dom$2 -> dom$g, mode $mode," \
			"state '$state'"
	else
		fail "$1-comes-back" "dom$2 -> dom$g, mode $mode," \
			"state '$state'"
	fi
}
# sysfs_now SEQ: the guest kernel's /sys/hypervisor/ptswitch/vm_assist and
# caps: "<vm_assist> caps=<caps>".
sysfs_now() {
	ask "$1" sysfs && result_of "$g" | sed -n 's/^sysfs //p'
}
# renewed WHAT: the resumed kernel gave its consent again (Xen's
# opted_in flag for the new domain), without a word from user space.
renewed() {
	if wait_until 120 opted_in_is_1; then
		pass "$1-opt-in-renewed" "dom$g opted_in 1"
	else
		fail "$1-opt-in-renewed" "dom$g opted_in '$(opted_in)'" \
			"120 s after the move"
	fi
}
opted_in_is_1() { [ "$(opted_in)" = 1 ]; }
# sysfs_says WHAT SEQ: the guest, idle, reads 1 in its sysfs vm_assist,
# as Xen's flag says, all three behaviours in force in its sysfs caps (a
# kernel from before that file: absent), and its agent reports no reason
# against BATCH.
sysfs_says() {
	all=$(sysfs_now "$2")
	v=${all%% *}
	c=${all#* caps=}
	o=$(opted_in)
	r=$(xs "/local/domain/$g/data/ptswitch/caps-reason")
	cok=0
	case $c in
	"missing-pde spurious-fault lazy-flush") cok=1 ;;
	absent)
		# Only a kernel whose build-info lists no 0009.
		kguest_lists 0009-x86-xen-say-in-sysfs
		[ $? = 1 ] && cok=1
		;;
	esac
	if [ "$v" = 1 ] && [ "$cok" = 1 ] && [ "$o" = 1 ] && [ -z "$r" ]; then
		pass "$1-sysfs-says-opted-in" "sysfs vm_assist 1, caps '$c'," \
			"opted_in 1"
	else
		fail "$1-sysfs-says-opted-in" "sysfs '$all'," \
			"opted_in '$o', agent caps-reason '$r'"
	fi
}
# xl_timed WHAT CMD...: run an xl command, PASS/FAIL on its status, with
# the seconds it took.
xl_timed() {
	what=$1
	shift
	t=$(cut -d' ' -f1 /proc/uptime)
	if "$@" >/tmp/xl.out 2>&1; then
		pass "$what" "$(awk -v a="$t" -v b="$(cut -d' ' -f1 /proc/uptime)" \
			'BEGIN { printf "%.1f s", b - a }')"
		return 0
	fi
	fail "$what" "$(tail -n 3 /tmp/xl.out | tr '\n' '|')"
	sed 's/^/E2E: INFO xl: /' /tmp/xl.out
	console "$NAME" | grep -a -i -E 'suspend|freez|resum|xen' | grep -v KGUEST |
		tail -n 20 | sed 's/^/E2E: INFO guest: /'
	return 1
}

info "one guest, forkbench load of $mib MiB, moves: save/restore in" \
	"EMULATE, save/restore and migrate in BATCH under load"
# xen_privcmd.unrestricted: Linux restricts privcmd hypercalls in an
# unprivileged domU since 2024; the lab's "consent" needs vm_assist.
create_guest "$NAME" /e2e/kguest/vmlinux $((mib * 2 + 112)) 1 \
	"fb.mib=$mib fb.forks=5 fb.load=5 xen_privcmd.unrestricted=1"
g=$(domid_of)
if [ -z "$g" ] || ! wait_until $BOOT_TIMEOUT ready "$g"; then
	fail sr-guest-ready "domid '$g', ready" \
		"'$(xs "/local/domain/$g/data/e2e/ready")'"
	exit 0
fi
pass sr-guest-ready "dom$g"
check_guest_packaged agent-packaged "$CONSOLE_DIR/guest-$NAME.log" "$g"
sum0=$(sum_now 1)
if [ "$(opted_in)" = 1 ] && [ -n "$sum0" ]; then
	pass sr-guest-opted-in "md5 of its pattern $sum0"
else
	fail sr-guest-opted-in "opted_in '$(opted_in)', md5 '$sum0'"
fi

# --- 1. opted in, EMULATE, idle: save + restore ---------------------------
old=$g
xl_timed save-emulate xl save "$NAME" "$SAVE" &&
	xl_timed restore-emulate xl restore "$SAVE"
rm -f "$SAVE"
g=$(domid_of)
came_back restore-emulate "$old" emulate
renewed restore-emulate
sysfs_says restore-emulate 20
s=$(sum_now 2)
if [ -n "$s" ] && [ "$s" = "$sum0" ]; then
	pass restore-emulate-memory-intact "md5 $s"
else
	fail restore-emulate-memory-intact "md5 '$s', was $sum0"
fi

# --- 2. BATCH under a fork load: save + restore ---------------------------
# No consent from user space: the kernel's own, renewed as it resumed.
ptswitchd --foreground --verbose --config "$POLICY" >"$DAEMON_LOG" 2>&1 &
daemon_pid=$!
if wait_until $SWITCH_TIMEOUT in_batch; then
	pass daemon-puts-guest-in-batch "dom$g"
else
	fail daemon-puts-guest-in-batch "daemon mode" \
		"'$(xs "/tool/ptswitch/domain/$g/mode")', reason" \
		"'$(xs "/tool/ptswitch/domain/$g/reason")', hv $(hv_mode "$g")"
fi
# The daemon is the one the ptswitchd .deb installed.
check_packaged daemon-packaged ptswitchd /usr/sbin/ptswitchd "$daemon_pid"
# under_load SEQ WHAT: start a load, see BATCH batch for 20 s.
under_load() {
	command "$g" "$1 load"
	wait_until 120 result_is "$g" "$1"
	b0=$(stat_of "$g" batches)
	sleep 20
	b1=$(stat_of "$g" batches)
	if in_batch && [ "$((b1 - b0))" -gt 0 ]; then
		pass "$2-batching-under-load" "+$((b1 - b0)) batches in 20 s"
	else
		fail "$2-batching-under-load" "mode $(hv_mode "$g")," \
			"batches $b0 -> $b1"
	fi
}
# load_intact SEQ WHAT: stop the load (a new command), every run clean.
load_intact() {
	command "$g" "$(($1 + 1)) idle"
	if wait_until 300 load_done "$1"; then
		set -- "$1" "$2" $(xs "/local/domain/$g/data/e2e/load")
		if [ "$4" -gt 0 ] && [ "$5" = 0 ]; then
			pass "$2-load-intact" "$4 forkbench runs, $5 failed"
		else
			fail "$2-load-intact" "$4 runs, $5 failed"
		fi
	else
		fail "$2-load-intact" "the load did not end:" \
			"'$(xs "/local/domain/$g/data/e2e/load")'"
	fi
}
# rehandshake WHAT: ptswitchd has taken up the new domain.
rehandshake() {
	if wait_until 120 daemon_knows; then
		pass "$1-daemon-takes-up-new-domain" "dom$g: mode" \
			"'$(xs "/tool/ptswitch/domain/$g/mode")', reason" \
			"'$(xs "/tool/ptswitch/domain/$g/reason")'"
	else
		fail "$1-daemon-takes-up-new-domain" "nothing under" \
			"/tool/ptswitch/domain/$g"
	fi
}

# switches: how often ptswitchd has switched the guest to BATCH so far
# (during a migration the new domain is "$NAME--incoming").
switches() { grep -c -E "switched $NAME(--incoming)? to batch" "$DAEMON_LOG"; }
# back_in_batch WHAT: ptswitchd has switched the moved guest (which Xen
# started in EMULATE: one switch more than before the move) back to BATCH.
back_in_batch() {
	if wait_until $SWITCH_TIMEOUT in_batch &&
		[ "$(switches)" -gt "$sw0" ]; then
		pass "$1-daemon-back-to-batch" "dom$g, switch" \
			"$(switches) to batch"
	else
		fail "$1-daemon-back-to-batch" "mode $(hv_mode "$g")," \
			"switches $sw0 -> $(switches)," \
			"opted_in '$(opted_in)', reason" \
			"'$(xs "/tool/ptswitch/domain/$g/reason")'"
	fi
}

under_load 4 save-batch
sw0=$(switches)
old=$g
xl_timed save-batch xl save "$NAME" "$SAVE" &&
	xl_timed restore-batch xl restore "$SAVE"
rm -f "$SAVE"
g=$(domid_of)
# The restored /init goes on with its load; tell the new domain so too.
[ -n "$g" ] && command "$g" "4 load"
came_back restore-batch "$old"
renewed restore-batch
rehandshake restore-batch
back_in_batch restore-batch
load_intact 4 restore-batch
sysfs_says restore-batch 21

# --- 3. BATCH under a fork load: live migration to localhost ---------------
if wait_until $SWITCH_TIMEOUT in_batch; then
	pass daemon-puts-guest-in-batch-again "dom$g"
else
	fail daemon-puts-guest-in-batch-again "opted_in '$(opted_in)'," \
		"reason '$(xs "/tool/ptswitch/domain/$g/reason")'"
fi
under_load 7 migrate
sw0=$(switches)
old=$g
xl_timed migrate-localhost xl migrate -s /e2e/localssh "$NAME" localhost
g=$(domid_of)
[ -n "$g" ] && command "$g" "7 load"
came_back migrate "$old"
renewed migrate
rehandshake migrate
back_in_batch migrate
load_intact 7 migrate
sysfs_says migrate 22

s=$(sum_now 9)
if [ -n "$s" ] && [ "$s" = "$sum0" ]; then
	pass moves-memory-intact "md5 $s after three moves"
else
	fail moves-memory-intact "md5 '$s', was $sum0"
fi

kill "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
grep -E "$NAME|refus|requested" "$DAEMON_LOG" | tail -n 20 |
	sed 's/^/E2E: INFO daemon: /'
bad=$(guest_trouble "$NAME")
if [ -z "$bad" ]; then
	pass sr-guest-clean
else
	fail sr-guest-clean "$(echo "$bad" | head -n 3 | tr '\n' '|')"
fi
xbad=$(xl dmesg 2>&1 | grep -a -E 'domain_crash|crashed|Xen WARN|Xen BUG|Assertion|FATAL|Panic|pt batch:')
if [ -z "$xbad" ]; then
	pass sr-xen-dmesg-clean
else
	fail sr-xen-dmesg-clean "$(echo "$xbad" | head -n 3 | tr '\n' '|')"
fi
hv_dump "$g" "$NAME at the end"
console "$NAME" | grep -a '^KGUEST:' | grep -v progress | tail -n 40 |
	sed "s/^/E2E: CONSOLE $NAME: /"

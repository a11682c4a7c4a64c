#!/bin/bash
# SPDX-License-Identifier: MIT
# The dom0 checks of the systemd lab on Xen (tests/systemd/e2e.sh), run by
# systemd in dom0 (ptswitch-e2e.service): the boot order of the packaged
# ptswitchd.service after Debian's xen.service, the xenctrl backend under
# the shipped sandbox, the agent's unit in a systemd guest, Type=notify,
# reload with a bad policy, the watchdog and stop with on-stop keep and
# revert, the guest's mode read from the hypervisor (pt-domctl, daemon
# bypassed).  One "E2E: PASS|FAIL|INFO" line each, then "E2E: DONE" and
# the machine powers off.
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
LAB=/usr/local/lib/ptswitch-e2e
POLICY=/etc/ptswitch/ptswitch.yaml
T=/tool/ptswitch
U=ptswitchd.service
CONSOLE_DIR=/var/log/xen/console

pass() { echo "E2E: PASS $*"; }
fail() { echo "E2E: FAIL $*"; }
info() { echo "E2E: INFO $*"; }
# check NAME CMD...: PASS if CMD succeeds, else FAIL with DETAIL (if set).
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		pass "$name${detail:+ ($detail)}"
	else
		fail "$name ${detail:-failed}"
	fi
	detail=
}
detail=
uptime_s() { cut -d' ' -f1 /proc/uptime; }
xs() { xenstore-read "$1" 2>/dev/null; }
xs_is() { [ "$(xs "$1")" = "$2" ]; }
prop() { systemctl show -p "$2" --value "$1"; }
hv_mode() { pt-domctl get-mode "$1" 2>/dev/null; }
hv_is() { [ "$(hv_mode "$1")" = "$2" ]; }
journal() { journalctl -b -q -o cat -u "$U" --no-pager; }
# wait_for SECS CMD...: poll CMD every 0.5 s until it succeeds, for SECS
# seconds of dom0's clock (a poll may itself take seconds under TCG).
wait_for() {
	local end=$((SECONDS + $1))
	until "${@:2}" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}
domid_of() { xl domid "$1" 2>/dev/null; }

finish() {
	info "ptswitchd's journal (tail):"
	journalctl -b -q -o short-monotonic -u "$U" --no-pager | tail -n 25 |
		sed 's/^/E2E: INFO journal: /'
	for g in g1 sd-guest; do
		[ -r "$CONSOLE_DIR/guest-$g.log" ] || continue
		{
			grep -a 'guest journal: ' "$CONSOLE_DIR/guest-$g.log"
			tail -n 10 "$CONSOLE_DIR/guest-$g.log"
		} | sed "s/^/E2E: INFO console $g: /"
	done
	xl destroy g1 2>/dev/null
	xl destroy sd-guest 2>/dev/null
	echo "E2E: TIME end $(uptime_s)"
	echo "E2E: DONE"
	sync
	systemctl poweroff --force
	exit 0
}

echo "E2E: TIME checks-start $(uptime_s)"
booted=$(timeout 600 systemctl is-system-running --wait 2>&1)
echo "E2E: TIME booted $(uptime_s)"
detail="$(readlink /proc/1/exe)"
check pid1-systemd test "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd
detail="$booted"
check boot-finished test "$booted" = running -o "$booted" = degraded
systemctl --no-pager --failed --plain --no-legend | sed 's/^/E2E: INFO failed unit: /'

# 1. Boot order: ptswitchd (enabled by the admin) after Debian's
# xen.service, which loaded the modules, mounted xenfs and started
# xenstored; no restart.
detail="SourcePath $(prop xen.service SourcePath), $(prop xen.service ActiveState)"
check xen-service-generated test "$(prop xen.service SourcePath)" = /etc/init.d/xen \
	-a "$(prop xen.service ActiveState)" = active
detail="$(pidof oxenstored xenstored | head -c 40)"
check xen-service-started-xenstore eval \
	"grep -q control_d /proc/xen/capabilities && xenstore-read -s / && xs_is /local/domain/0/name Domain-0"
xen_up=$(prop xen.service ActiveEnterTimestampMonotonic)
d_start=$(prop $U ExecMainStartTimestampMonotonic)
detail="xen.service active at $xen_up us, ptswitchd started at $d_start us"
check ptswitchd-after-xen test "${d_start:-0}" -ge "${xen_up:-1}" -a "${xen_up:-0}" -gt 0
detail="$(prop $U ActiveState), NRestarts $(prop $U NRestarts)"
check ptswitchd-active-no-restart test "$(prop $U ActiveState)/$(prop $U NRestarts)" = active/0
pid=$(prop $U MainPID)
# The conffile holds the lab's policy, as an admin edits it.
out=$(dpkg --verify ptswitchd 2>&1 | grep -v " c $POLICY\$")
detail="fragment $(prop $U FragmentPath), drop-ins '$(prop $U DropInPaths)', exe $(readlink /proc/"$pid"/exe), dpkg --verify '$out'"
check unit-as-packaged test "$(prop $U FragmentPath)" = /lib/systemd/system/ptswitchd.service \
	-a -z "$(prop $U DropInPaths)" -a -z "$out" \
	-a "$(readlink /proc/"$pid"/exe)" = /usr/sbin/ptswitchd

# 2. The sandbox lets the xenctrl backend do its domctls: the daemon
# probed the ptswitch domctl through privcmd (enforce), as systemd
# started it (its pid, its capabilities).
info "DeviceAllow: $(prop $U DeviceAllow)"
info "CapEff of the daemon: $(awk '/^CapEff/ { print $2 }' /proc/"$pid"/status)"
detail="daemon/mode '$(xs $T/daemon/mode)' reason '$(xs $T/daemon/mode-reason)', daemon/pid $(xs $T/daemon/pid), MainPID $pid"
check xenctrl-under-unit-enforce eval "xs_is $T/daemon/mode enforce && xs_is $T/daemon/pid $pid"
check xenctrl-journal-domctl eval "journal | grep -q 'xenctrl: hypervisor has the ptswitch domctl'"
detail="$(awk '/^CapEff/ { print $2 }' /proc/"$pid"/status)"
check daemon-caps-ipc-lock-only test "$(awk '/^CapEff/ { print $2 }' /proc/"$pid"/status)" = 0000000000004000

# 3. The guests: g1 (the patched kernel, busybox init) and sd-guest
# (Debian's kernel, systemd as PID 1, the agent's unit as shipped).
mkcfg() {
	cat >"/run/$1.cfg" <<CFG
name = "$1"
kernel = "$LAB/$2"
ramdisk = "$LAB/$3"
extra = "console=hvc0 $4"
memory = $5
vcpus = 1
on_crash = "preserve"
CFG
}
mkcfg g1 patched-vmlinux g1.cpio.gz "rdinit=/init" 160
mkcfg sd-guest stock-vmlinux sd-guest.cpio.gz \
	"rdinit=/sbin/init systemd.show_status=error" 512
echo "E2E: TIME guests-create $(uptime_s)"
out=$(xl create -q /run/g1.cfg 2>&1 && xl create -q /run/sd-guest.cfg 2>&1)
g1=$(domid_of g1)
sg=$(domid_of sd-guest)
detail="g1 ${g1:-none}, sd-guest ${sg:-none} $out"
check guests-created test -n "$g1" -a -n "$sg"
[ -n "$g1" ] && [ -n "$sg" ] || finish

check g1-agent-published wait_for 240 eval "xs /local/domain/$g1/data/ptswitch/caps | grep -q lazy-flush"
info "g1 caps '$(xs /local/domain/$g1/data/ptswitch/caps)'"
check g1-batch-by-daemon wait_for 120 eval "xs_is $T/domain/$g1/mode batch && hv_is $g1 batch"
detail="daemon '$(xs $T/domain/$g1/mode)', hypervisor '$(hv_mode "$g1")'"
check g1-batch-in-hypervisor hv_is "$g1" batch
echo "E2E: TIME g1-batch $(uptime_s)"

# The systemd guest reports its agent's unit once it started (Type=notify).
wait_for 400 xs /local/domain/$sg/data/e2e/agent-type
echo "E2E: TIME sd-guest-report $(uptime_s)"
G=/local/domain/$sg/data/e2e
detail="$(xs $G/pid1)"
check sd-guest-pid1-systemd xs_is $G/pid1 /usr/lib/systemd/systemd
detail="$(xs $G/agent-state) Type=$(xs $G/agent-type) NRestarts=$(xs $G/agent-restarts) status '$(xs $G/agent-status)'"
check sd-guest-agent-notify-active eval "xs_is $G/agent-state active/running && xs_is $G/agent-type notify && xs_is $G/agent-restarts 0"
detail="$(xs $G/agent-fragment) drop-ins '$(xs $G/agent-dropins)' exe $(xs $G/agent-exe) verify $(xs $G/agent-verify)"
check sd-guest-agent-as-packaged eval "xs_is $G/agent-fragment /lib/systemd/system/ptswitch-agent.service &&
	[ -z \"\$(xs $G/agent-dropins)\" ] && xs_is $G/agent-exe /usr/sbin/ptswitch-agent && xs_is $G/agent-verify clean"
detail="caps '$(xs /local/domain/$sg/data/ptswitch/caps)' agent '$(xs /local/domain/$sg/data/ptswitch/agent)'"
check sd-guest-agent-published-through-sandbox eval "[ -n \"\$(xs /local/domain/$sg/data/ptswitch/agent)\" ]"
detail="daemon '$(xs $T/domain/$sg/mode)' reason '$(xs $T/domain/$sg/reason)', hypervisor '$(hv_mode "$sg")'"
check sd-guest-stock-kernel-stays-emulate eval "xs_is $T/domain/$sg/mode emulate && hv_is $sg emulate"

# 4. Type=notify: with xenstored stopped (SIGSTOP), a started daemon
# stays activating; active once xenstored answers, after it published
# itself.  on-stop is keep: g1 stays in batch across the stop.
systemctl stop $U
detail="hypervisor '$(hv_mode "$g1")'"
check stop-keep-g1-stays-batch hv_is "$g1" batch
xspid=$(pidof oxenstored xenstored | cut -d' ' -f1)
if [ -n "$xspid" ]; then
	kill -STOP "$xspid"
	systemctl start --no-block $U
	sleep 5
	st=$(prop $U ActiveState)
	mp=$(prop $U MainPID)
	kill -CONT "$xspid"
	detail="$st, MainPID $mp"
	check notify-activating-while-xenstored-stopped test "$st" = activating -a "${mp:-0}" -gt 0
else
	fail notify-activating-while-xenstored-stopped "no xenstored pid"
fi
check notify-active-once-xenstored-answers wait_for 60 eval "[ \"\$(prop $U ActiveState)\" = active ]"
detail="daemon/pid $(xs $T/daemon/pid), MainPID $(prop $U MainPID)"
check notify-active-after-publishing xs_is $T/daemon/pid "$(prop $U MainPID)"

# 5. systemctl reload with a bad policy: fails, file:line:column in the
# journal, the daemon and its policy and g1's mode unchanged.
pid=$(prop $U MainPID)
cp $LAB/policy-bad.yaml $POLICY
out=$(systemctl reload $U 2>&1)
rc=$?
info "systemctl reload: rc $rc: $out"
detail="rc $rc, MainPID before ${pid:-0}"
check reload-bad-policy-fails test "$rc" -ne 0 -a "${pid:-0}" -gt 0
check reload-bad-journal-file-line-col wait_for 10 eval \
	"journal | grep -F '$POLICY:6:10: on-stop: expected keep or revert'"
detail="MainPID $pid -> $(prop $U MainPID), $(prop $U ActiveState)"
check reload-bad-daemon-keeps-running test "$(prop $U MainPID)/$(prop $U ActiveState)" = "$pid/active"
check reload-bad-g1-still-batch eval "hv_is $g1 batch && xs_is $T/domain/$g1/mode batch"
cp $LAB/policy-revert.yaml $POLICY
check reload-good-policy-revert systemctl reload $U

# 6. The watchdog: SIGSTOP; systemd (WatchdogSec as shipped) kills and
# restarts the daemon; g1 stays in batch all along (hypervisor sampled
# every 0.5 s) though on-stop: revert is in force, and is asked nothing.
req=$(xs /local/domain/$g1/ptswitch/request)
n0=$(prop $U NRestarts)
info "watchdog: SIGSTOP to $pid (WatchdogUSec $(prop $U WatchdogUSec)) at $(uptime_s)"
newpid=$pid
# The hypervisor's mode of g1, sampled apart from the slower unit polls.
(while :; do
	hv_mode "$g1" >>/run/e2e-watchdog-samples
	sleep 0.5
done) &
sampler=$!
[ "${pid:-0}" -gt 0 ] && kill -STOP "$pid"
for ((i = 0; i < 360 && ${pid:-0} > 0; i++)); do
	newpid=$(prop $U MainPID)
	if [ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] &&
		[ "$(prop $U ActiveState)" = active ]; then
		break
	fi
	sleep 0.5
done
kill "$sampler"
wait "$sampler" 2>/dev/null
samples=$(wc -l </run/e2e-watchdog-samples)
flips=$(grep -cvx batch /run/e2e-watchdog-samples)
info "watchdog: MainPID $newpid at $(uptime_s)"
detail="MainPID $pid -> $newpid"
check watchdog-restarts-stopped-daemon test "${pid:-0}" -gt 0 -a "$newpid" != "$pid" -a "$newpid" != 0
detail="NRestarts $n0 -> $(prop $U NRestarts)"
check watchdog-nrestarts-plus-one test "$(prop $U NRestarts)" -eq $((n0 + 1))
check watchdog-journal eval "journalctl -b -q -u $U --no-pager | grep -q 'Watchdog timeout'"
detail="$flips of $samples hypervisor samples not batch"
check watchdog-g1-never-flips test "$flips" -eq 0 -a "$samples" -gt 0
check watchdog-g1-batch-after wait_for 20 eval "xs_is $T/domain/$g1/mode batch && hv_is $g1 batch"
sleep 2
detail="request '$req' -> '$(xs /local/domain/$g1/ptswitch/request)'"
check watchdog-g1-asked-nothing-new eval "[ -n '$req' ] && xs_is /local/domain/$g1/ptswitch/request '$req'"

# 7. systemctl stop with on-stop: revert (in force), then keep.
before=$(hv_mode "$g1")
check stop-revert systemctl stop $U
detail="hypervisor '$before' -> '$(hv_mode "$g1")'"
check stop-revert-g1-emulate eval "[ '$before' = batch ] && hv_is $g1 emulate"
check stop-revert-journal eval "journal | grep -q 'on-stop: revert: every guest back to emulate'"
detail="$(prop $U ActiveState)/$(prop $U Result)"
check stop-revert-inactive-not-failed test "$(prop $U ActiveState)" = inactive
cp $LAB/policy-keep.yaml $POLICY
check start-keep systemctl start $U
check start-keep-g1-batch-again wait_for 120 eval "hv_is $g1 batch && xs_is $T/domain/$g1/mode batch"
check stop-keep systemctl stop $U
detail="hypervisor '$(hv_mode "$g1")'"
check stop-keep-g1-stays-batch-end hv_is "$g1" batch
check stop-keep-journal eval "journal | grep -q 'guests stay in their current modes'"
detail="$(prop $U ActiveState)/$(prop $U Result)"
check stop-keep-inactive-not-failed test "$(prop $U ActiveState)" = inactive
finish

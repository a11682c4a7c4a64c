#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the e2e dom0 (as the lab's checks) for run-loop.sh: start
# ptswitchd with the loop policy, boot the pvguest kernel in loop mode, and
# watch the daemon switch it to BATCH and back from outside: xenstore
# (handshake, /tool/ptswitch), the hypervisor's counters (pt-domctl) and
# the daemon's log.  Lines: "E2E: PASS|FAIL|SKIP name ..." (the lab's
# format), "E2E: INFO ...", and the guest's own "PVGUEST: ..." lines.
export PATH=/usr/sbin:/usr/bin

CONSOLE_DIR=/var/log/xen/console
POLICY=/e2e/pvguest/loop-policy.yaml
DAEMON_LOG=/var/log/ptswitchd.log
NAME=pvguest-loop
CONSOLE=$CONSOLE_DIR/guest-$NAME.log
SAMPLES=/tmp/loop-samples
timeout_s=300
hold_s=15
xen=stock
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	pvguest.loop_timeout=*) timeout_s=${arg#*=} ;;
	pvguest.loop_hold=*) hold_s=${arg#*=} ;;
	e2e.xen=*) xen=${arg#*=} ;;
	esac
done

# shellcheck source=../../e2e/dom0/checklib.sh
. /e2e/checklib.sh
daemon_alive() { [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; }
# stat_in KEY STATS: one counter of a get-stats output already read.
stat_in() { echo "$2" | awk -v k="$1" '$1 == k { print $2 }'; }

# --- the daemon -------------------------------------------------------
daemon_pid=
if [ ! -x /usr/sbin/ptswitchd ]; then
	fail loop-daemon-started "no ptswitchd in the dom0 image"
	exit 0
fi
ptswitchd --foreground --verbose --backend xenctrl --config "$POLICY" \
	>"$DAEMON_LOG" 2>&1 &
daemon_pid=$!
waited=0
until [ "$(xs /tool/ptswitch/daemon/pid)" = "$daemon_pid" ]; do
	waited=$((waited + 1))
	if [ $waited -ge 60 ] || ! daemon_alive; then
		fail loop-daemon-started "no /tool/ptswitch/daemon/pid after" \
			"${waited}s; log:"
		tail -n 20 "$DAEMON_LOG" | sed 's/^/E2E: INFO   /'
		exit 0
	fi
	sleep 1
done
pass loop-daemon-started "pid $daemon_pid, policy $(xs /tool/ptswitch/daemon/policy)"
# The daemon that runs is the one the ptswitchd .deb installed.
check_packaged loop-daemon-packaged ptswitchd /usr/sbin/ptswitchd "$daemon_pid"
dmode=$(xs /tool/ptswitch/daemon/mode)
dwhy=$(xs /tool/ptswitch/daemon/mode-reason)
want=enforce
[ "$xen" = patched ] || want=advise
if [ "$dmode" = "$want" ] && { [ "$want" = enforce ] || [ -n "$dwhy" ]; }; then
	pass "loop-daemon-mode-$want" "${dwhy:+($dwhy)}"
else
	fail "loop-daemon-mode-$want" "daemon/mode '$dmode' ($dwhy) on $xen Xen"
fi

# --- the guest --------------------------------------------------------
cat >"/tmp/$NAME.cfg" <<CFG
name = "$NAME"
type = "pv"
kernel = "/e2e/pvguest/pvguest.elf"
memory = 32
vcpus = 1
tsc_mode = "native"
extra = "pvg.mode=loop pvg.loop_timeout=$timeout_s pvg.loop_hold=$hold_s"
on_poweroff = "preserve"
on_crash = "preserve"
CFG
t0=$(uptime_s)
echo "E2E: TIME $NAME-create $t0"
if ! xl create -q "/tmp/$NAME.cfg"; then
	fail loop-guest-create "xl create failed"
	exit 0
fi
d=$(xl domid "$NAME")
tool=/tool/ptswitch/domain/$d
echo "E2E: INFO $NAME is domain $d on $xen Xen"

# Sample once a second until the guest ends: what the daemon publishes,
# what the hypervisor says, what the guest asked and answered.
first_req='' ack_for_req='' caps_seen='' reason_incapable='' saving_ls=''
low_ls='' saving_seen='' low_seen='' t_batch='' t_back=''
b_first='' b_last='' reval=0 switches=''
w_first='' w_last=''
state=timeout
limit=$((2 * timeout_s + 4 * hold_s + 120))
waited=0
: >"$SAMPLES"
while [ $waited -lt $limit ]; do
	mode=$(xs "$tool/mode")
	reason=$(xs "$tool/reason")
	req=$(xs "/local/domain/$d/ptswitch/request")
	ack=$(xs "/local/domain/$d/data/ptswitch/ack")
	caps=$(xs "$tool/caps")
	writes=$(xs "/local/domain/$d/data/ptswitch/metrics/pte_writes")
	[ -z "$w_first" ] && w_first=$writes
	[ -n "$writes" ] && w_last=$writes
	stats=$(pt-domctl get-stats "$d" 2>/dev/null)
	hv=$(stat_in mode "$stats")
	batches=$(stat_in batches "$stats")
	now=$(uptime_s)
	echo "$now mode=$mode reason=$reason hv=$hv batches=$batches" \
		"req='$req' ack='$ack'" >>"$SAMPLES"
	case $caps in *missing-pde*spurious-fault*lazy-flush*) caps_seen=$caps ;; esac
	case $reason in incapable:*) reason_incapable=$reason ;; esac
	case $req in
	*" batch") [ -z "$first_req" ] && first_req=$req ;;
	esac
	[ -n "$first_req" ] && [ "$ack" = "${first_req% batch} ok" ] &&
		ack_for_req=$ack
	if [ "$mode" = batch ] && [ "$hv" = batch ]; then
		if [ -z "$t_batch" ]; then
			t_batch=$now
			echo "E2E: TIME $NAME-batch $now"
		fi
		# Right after a switch the reason is warming-up (policy.md);
		# once the window is full again it says why BATCH stays.
		# The reason can move on between this sample and the
		# listing, so the sample's own reason is what is checked.
		[ -z "$saving_ls" ] && [ "$reason" = saving ] &&
			saving_ls=$(xenstore-ls "$tool" 2>&1) saving_seen=1
		[ -z "$b_first" ] && b_first=$batches
		b_last=$batches
	fi
	if [ -n "$t_batch" ] && [ "$mode" = emulate ] && [ "$hv" = emulate ]
	then
		if [ -z "$t_back" ]; then
			t_back=$now
			echo "E2E: TIME $NAME-emulate-again $now"
		fi
		[ -z "$low_ls" ] && [ "$reason" = low-saving ] &&
			low_ls=$(xenstore-ls "$tool" 2>&1) low_seen=1
		switches=$(xs "$tool/switches")
	fi
	[ -n "$stats" ] && reval=$(stat_in revalidation_failures "$stats")
	[ -n "$stats" ] && last_stats=$stats
	if grep -q 'PVGUEST: DONE' "$CONSOLE" 2>/dev/null; then
		state=finished
		break
	fi
	if grep -q 'PVGUEST: FATAL' "$CONSOLE" 2>/dev/null; then
		state=fatal
		break
	fi
	if ! daemon_alive; then
		state=daemon-died
		break
	fi
	# xl is slow to start under TCG: look for a crash every 5th round.
	if [ $((waited % 5)) = 4 ] && xl list "$NAME" 2>/dev/null |
		awk 'NR == 2 { exit $5 !~ /c/ }'; then
		state=crashed
		break
	fi
	sleep 1
	waited=$((waited + 1))
done
echo "E2E: TIME $NAME-end $(uptime_s)"
sleep 2 # let xenconsoled write the last lines
end_switches=$(xs "$tool/switches")
grep -a '^PVGUEST: ' "$CONSOLE" 2>/dev/null

# --- verdicts ---------------------------------------------------------
if grep -q 'PVGUEST: START' "$CONSOLE" 2>/dev/null; then
	pass loop-guest-boot
else
	fail loop-guest-boot "no START line on the guest console"
fi
if [ $state = finished ]; then
	pass loop-guest-clean-end "DONE, powered off"
else
	fail loop-guest-clean-end "the wait for DONE ended: $state"
	xl dmesg 2>&1 | tail -n 20 | sed 's/^/E2E: INFO xl dmesg: /'
fi

# The agent's counters are monotonic and move while the guest works.
if [ -n "$w_first" ] && [ -n "$w_last" ] && [ "$w_last" -gt "$w_first" ]; then
	pass loop-metrics-published "metrics/pte_writes $w_first -> $w_last"
else
	fail loop-metrics-published "metrics/pte_writes '$w_first' -> '$w_last'"
fi

if [ "$dmode" != enforce ]; then
	why="the daemon is in advise mode: ${dwhy:-$dmode}"
	if [ -n "$reason_incapable" ]; then
		pass loop-incapable-published "reason $reason_incapable"
	else
		fail loop-incapable-published "no incapable:<reason> under" \
			"$tool/reason (caps '$caps_seen')"
	fi
	for c in handshake batch-published hv-batch batches-grow \
		back-to-emulate daemon-decisions no-revalidation-failures \
		no-flap; do
		skip "loop-$c" "$why"
	done
else
	if [ -n "$caps_seen" ]; then
		pass loop-caps-published "the daemon sees caps '$caps_seen'"
	else
		fail loop-caps-published "no BATCH caps under $tool/caps;" \
			"reason '$reason_incapable'"
	fi
	if [ -n "$ack_for_req" ]; then
		pass loop-handshake "request '$first_req', ack '$ack_for_req'"
	else
		fail loop-handshake "request '$first_req', last ack '$ack'"
	fi
	# A dom0 starved by a loaded host can sample too rarely to catch
	# the reason between warming-up and the sparse phase: then the
	# published mode and the daemon's own log of the switch's reason.
	if echo "$saving_ls" | grep -q '^mode = "batch"' &&
		[ -n "$saving_seen" ]; then
		pass loop-batch-published "xenstore-ls $tool: mode batch," \
			"reason saving"
	elif [ -n "$t_batch" ] &&
		grep -q "switched $NAME to batch (saving)" "$DAEMON_LOG"; then
		pass loop-batch-published "mode batch sampled under $tool" \
			"at $t_batch, reason saving in the daemon's log (the" \
			"sampler missed it in xenstore)"
	else
		fail loop-batch-published "mode batch with reason saving" \
			"never seen under $tool"
	fi
	echo "$saving_ls" | sed 's/^/E2E: INFO   in BATCH: /'
	if [ -n "$t_batch" ]; then
		pass loop-hv-batch "pt-domctl get-stats: mode batch"
	else
		fail loop-hv-batch "the hypervisor never reported batch"
	fi
	# Batches only grow in BATCH: with a single sample taken there, the
	# hypervisor's last counters tell whether it went on batching.
	b_end=$(stat_in batches "$last_stats")
	if [ -n "$b_first" ] && [ -n "$b_last" ] && [ -n "$b_end" ] &&
		[ "$b_last" = "$b_first" ] && [ "$b_end" -gt "$b_first" ]; then
		b_last=$b_end
	fi
	if [ -n "$b_first" ] && [ -n "$b_last" ] && [ "$b_last" -gt "$b_first" ]
	then
		pass loop-batches-grow "batches $b_first -> $b_last while in BATCH"
	else
		fail loop-batches-grow "batches '$b_first' -> '$b_last'"
	fi
	if [ -n "$t_back" ] && echo "$low_ls" | grep -q '^mode = "emulate"' &&
		[ -n "$low_seen" ]; then
		pass loop-back-to-emulate "xenstore-ls $tool: mode emulate," \
			"reason low-saving; hypervisor: emulate"
	else
		fail loop-back-to-emulate "after BATCH: emulate at" \
			"'${t_back:-never}', reason low-saving" \
			"$([ -n "$low_ls" ] && echo seen || echo 'never seen')"
	fi
	echo "$low_ls" | sed 's/^/E2E: INFO   back in EMULATE: /'
	if grep -q "switched $NAME to batch (saving)" "$DAEMON_LOG" &&
		grep -q "switched $NAME to emulate (low-saving)" "$DAEMON_LOG"
	then
		pass loop-daemon-decisions "the log has both switches, with" \
			"their reasons"
	else
		fail loop-daemon-decisions "the log lacks a switch (see below)"
	fi
	if [ -n "$last_stats" ] && [ "${reval:-x}" = 0 ]; then
		pass loop-no-revalidation-failures
	else
		fail loop-no-revalidation-failures "revalidation_failures" \
			"'${reval:-}'"
	fi
	if [ -n "$t_back" ] && [ "${end_switches:-$switches}" = 2 ]; then
		pass loop-no-flap "2 switches in all"
	else
		fail loop-no-flap "switches ${end_switches:-$switches}"
	fi
	echo "E2E: INFO figures: created at $t0 s, BATCH at ${t_batch:-never}" \
		"s, EMULATE again at ${t_back:-never} s (dom0 uptime);" \
		"batches $b_first -> $b_last while sampled in BATCH"
fi
echo "$last_stats" | sed 's/^/E2E: INFO   pt-domctl get-stats: /'
echo "E2E: INFO daemon decisions:"
grep -a "requested batch\|switched\|stays in\|external-change" "$DAEMON_LOG" |
	sed 's/^/E2E: INFO   /'
echo "E2E: INFO samples when something but the counters changed" \
	"(dom0 uptime, the daemon's view, the hypervisor's):"
awk '{ k = $0; sub(/^[^ ]* /, "", k); gsub(/batches=[0-9]*/, "", k) }
	k != last { print; last = k; shown = NR } END { if (shown != NR) print }' \
	"$SAMPLES" | sed 's/^/E2E: INFO   /'
# The guest's own verdicts, in the lab's format.
sed -n 's/^PVGUEST: \(PASS\|FAIL\|SKIP\) /E2E: \1 guest:/p' "$CONSOLE"

if daemon_alive; then
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	st=$?
	if [ $st = 0 ]; then
		pass loop-daemon-clean-stop
	else
		fail loop-daemon-clean-stop "exit status $st after SIGTERM"
	fi
else
	wait "$daemon_pid"
	fail loop-daemon-clean-stop "ptswitchd died (status $?)"
fi
echo "E2E: INFO ptswitchd log (last 40 lines):"
tail -n 40 "$DAEMON_LOG" | sed 's/^/E2E: INFO   /'
xl destroy "$NAME" >/dev/null 2>&1
exit 0

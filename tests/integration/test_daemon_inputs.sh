#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd (and the agent) against hostile local inputs, with the real
# xenstored (xslab) and the sim backend (issue 20 items 5-7):
# - a FIFO at the policy path, the sim map, a trace, the sim state file
#   and the agent's /proc and /sys files: an error, never a hang;
# - a SIGHUP storm: reloads coalesce and ticks keep their interval;
# - a 1 MiB policy of anchors and aliases: refused at once.
# Every command that used to hang runs under timeout.
set -u
. "$(dirname "$0")/lib.sh"
lab_setup
P=$PTSWITCH_BUILD/ptswitchd
AGENT=$PTSWITCH_BUILD/ptswitch-agent
need_bins "$P" "$AGENT"
D=$LAB/inputs
T=/tool/ptswitch
mkdir -p "$D"
TRACES=$TOP/tests/traces

# --- item 5: FIFOs ----------------------------------------------------
mkfifo "$D/fifo.yaml"
out=$(timeout 10 "$P" --check-config "$D/fifo.yaml" 2>&1)
rc=$?
check "--check-config on a FIFO returns (exit $rc, not 124)" [ $rc -eq 1 ]
check "... saying it is not a regular file ($out)" \
	grep -q "fifo.yaml: not a regular file" <<<"$out"

mkfifo "$D/fifo.map"
timeout 10 "$P" --foreground --builtin-policy --backend "sim:$D/fifo.map" \
	>"$D/fifomap.log" 2>&1
rc=$?
check "a FIFO as the sim map is an error, not a hang (exit $rc)" [ $rc -eq 1 ]
check "... saying so" grep -q "not a regular file" "$D/fifomap.log"

mkfifo "$D/fifo.trace"
echo "3 $D/fifo.trace optin=yes" >"$D/fifotrace.map"
timeout 10 "$P" --foreground --builtin-policy \
	--backend "sim:$D/fifotrace.map" >"$D/fifotrace.log" 2>&1
rc=$?
check "a FIFO as a trace is an error, not a hang (exit $rc)" [ $rc -eq 1 ]
check "... saying so" grep -q "fifo.trace: not a regular file" "$D/fifotrace.log"

# The agent's /proc and /sys, below --root.
cp -r "$TOP/tests/fixtures/guest/synthetic-capable" "$D/guest-tree"
for f in proc/vmstat proc/stat sys/kernel/notes sys/hypervisor/type; do
	rm "$D/guest-tree/$f"
	mkfifo "$D/guest-tree/$f"
done
timeout 10 "$AGENT" --once --root "$D/guest-tree" >"$D/agent.out" 2>&1
rc=$?
check "the agent with FIFOs for /proc and /sys returns (exit $rc, not 124)" \
	eval '[ $rc -ne 124 ] && [ $rc -ne 137 ]'
check "... and calls the guest not Xen" grep -q "not-xen" "$D/agent.out"

# The sim backend's state file (it outlives the daemon) as a FIFO.
xslab_add_domain 3 guest3 >/dev/null || exit 1
echo "3 $TRACES/idle.trace optin=yes" >"$D/fifostate.map"
mkfifo "$D/fifostate.map.state"
timeout 20 "$P" --once --builtin-policy --backend "sim:$D/fifostate.map" \
	>"$D/fifostate.log" 2>&1
rc=$?
check "a FIFO as the sim state file is ignored, not a hang (exit $rc)" \
	[ $rc -eq 0 ]
check "... saying why" \
	grep -q "fifostate.map.state: not a regular file" "$D/fifostate.log"

# A running daemon: its policy replaced by a FIFO.
cat >"$D/policy.yaml" <<'YAML'
interval: 100ms
window: 3
YAML
cp "$D/policy.yaml" "$D/good.yaml"
echo "3 $TRACES/idle.trace optin=yes" >"$D/sim.map"
"$P" --foreground --config "$D/policy.yaml" --backend "sim:$D/sim.map" \
	>"$D/daemon.log" 2>&1 &
DPID=$!
check "the daemon starts" wait_for 20 xs_is $T/daemon/pid "$DPID"

# ticks: the daemon's tick count, from the figures SIGUSR1 logs.
ticks() {
	local before
	before=$(grep -c "figures: ticks=" "$D/daemon.log")
	kill -USR1 "$DPID" || return 1
	wait_for 10 eval "[ \$(grep -c 'figures: ticks=' '$D/daemon.log') -gt $before ]" ||
		return 1
	grep -o "figures: ticks=[0-9]*" "$D/daemon.log" | tail -n 1 | cut -d= -f2
}

# ticking WHAT: at least 3 ticks (of 100 ms) in the next second.
ticking() {
	local t0 t1
	t0=$(ticks)
	sleep 1
	t1=$(ticks)
	check "$1 ($t0 -> $t1 in 1 s at 100 ms)" \
		eval '[ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -ge 3 ]'
}

rm "$D/policy.yaml"
mkfifo "$D/policy.yaml"
kill -HUP "$DPID"
check "a FIFO policy on SIGHUP is published as policy-error" \
	wait_for 10 eval "xenstore-read $T/daemon/policy-error | grep -q 'policy.yaml: not a regular file'"
ticking "... and ticks go on"
rm "$D/policy.yaml"
cp "$D/good.yaml" "$D/policy.yaml"
kill -HUP "$DPID"
check "the good policy back clears policy-error" \
	wait_for 10 xs_is $T/daemon/policy-error ""

# --- item 6: a SIGHUP storm -------------------------------------------
# About 1000 HUP/s for 5 s; the tick interval is 100 ms, so about 50
# ticks are due.  Before: every reload re-armed the timer, 0 ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DPID/stat"; }
hz=$(getconf CLK_TCK)
reloads0=$(grep -c "policy loaded from" "$D/daemon.log")
# The storm is sent from a process started beforehand, so that the
# window measured is the storm's own.
cat >"$D/storm.py" <<'PY'
import os, signal, sys, time
pid, n = int(sys.argv[1]), 0
sys.stdin.readline()
start = time.monotonic()
while True:
    # Paced by the clock, not by sleep(), which a loaded box stretches.
    now = time.monotonic() - start
    if now >= 5:
        break
    while n < int(now * 1000):
        os.kill(pid, signal.SIGHUP)
        n += 1
    time.sleep(0.001)
print(n, flush=True)
PY
coproc STORM { python3 "$D/storm.py" "$DPID"; }
sleep 2
t0=$(ticks)
c0=$(cpu_ticks)
start=$(date +%s%N)
echo go >&"${STORM[1]}"
read -r sent <&"${STORM[0]}"
ms=$((($(date +%s%N) - start) / 1000000))
c1=$(cpu_ticks)
t1=$(ticks)
sleep 2
reloads=$(($(grep -c "policy loaded from" "$D/daemon.log") - reloads0))
cpu=$(((c1 - c0) * 100000 / hz / ms))
due=$((ms / 100))
echo "# storm: $sent HUPs in $ms ms; ticks $t0 -> $t1 ($due due);" \
	"$reloads reloads; daemon CPU ${cpu}%"
# Generous: a loaded 2-core box may delay ticks, not lose them.
check "ticks go on during a SIGHUP storm ($((t1 - t0)) of $due due)" \
	eval '[ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -ge $((due * 4 / 10)) ]'
check "reloads coalesce ($reloads for $sent HUPs)" \
	eval '[ "$reloads" -ge 1 ] && [ "$reloads" -le $((ms / 1000 + 3)) ]'
check "daemon CPU during the storm is sane (${cpu}% of a core)" [ "$cpu" -lt 50 ]
# The last HUP is never lost: a change made before it is loaded.
sed -i 's/^window: 3$/window: 4/' "$D/policy.yaml"
printf 'action: advise\n' >>"$D/policy.yaml"
kill -HUP "$DPID"
check "the HUP after the storm loads the new policy" \
	wait_for 10 xs_is $T/daemon/mode advise

# --- item 7: hostile aliases ------------------------------------------
python3 - "$D/aliases.yaml" <<'PY'
import sys
parts = ["guests: ["] + ["&a%d 0, " % i for i in range(38000)]
size, j = sum(map(len, parts)), 0
while size < 1024 * 1024 - 64:
    parts.append("*a%d, " % (j % 38000))
    size += len(parts[-1])
    j += 1
open(sys.argv[1], "w").write("".join(parts) + "0]\n")
PY
start=$(date +%s%N)
out=$(timeout 10 "$P" --check-config "$D/aliases.yaml" 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "# --check-config on 1 MiB of anchors and aliases: exit $rc in $ms ms"
check "1 MiB of aliases is refused, not chewed on (exit $rc)" [ $rc -eq 1 ]
check "... at file:line:column ($out)" \
	grep -q "aliases.yaml:1:10: anchors and aliases are not supported" <<<"$out"
cp "$D/aliases.yaml" "$D/policy.yaml"
kill -HUP "$DPID"
check "... and on reload, published while the daemon runs" \
	wait_for 10 eval "xenstore-read $T/daemon/policy-error | grep -q 'anchors and aliases'"
ticking "... which keeps ticking"

kill -TERM "$DPID"
check "SIGTERM stops the daemon" wait_for 10 eval "! kill -0 $DPID"
check "no ASan/UBSan report" \
	eval "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$D/daemon.log'"
finish

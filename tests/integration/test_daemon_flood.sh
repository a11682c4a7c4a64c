#!/bin/bash
# SPDX-License-Identifier: MIT
# One guest floods its own caps node as fast as xenstored answers (issue
# 20, item 1), flipping between full, empty and garbage values, beside
# well-behaved guests, against the real xenstored (xslab) on the sim
# backend.  The daemon must keep ticking (counted from its own figures),
# decide for the other guests within a bound (generous: a loaded 2-core
# machine under ASan; the flood used to stop the tick for seconds), take
# a guest that withdraws its caps out of BATCH at once, and log the
# flooding guest at a bounded rate.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
FLOOD=$PTSWITCH_BUILD/xs-storecheck
daemon_lab "$FLOOD"
FLOODER=9
SECS=8
BOUND_MS=${FLOOD_BOUND_MS:-2500}

fork_policy 20s
TRACE=$TRACES/fork-heavy.trace
printf '%s\n' "1 $TRACE optin=yes" "2 $TRACE optin=yes" \
	"$FLOODER $TRACES/idle.trace optin=yes" >"$D/sim.map"
for d in 2 $FLOODER; do xslab_add_domain "$d" "guest$d" || exit 1; done

as_guest 2 xenstore-write /local/domain/2/$G/caps "$CAPS"
ack_requests 2 0.05 &
# dom1 is created during the flood: the daemon must find it, measure it
# for a window of ticks, decide and hand it over.
as_guest $FLOODER xenstore-write /local/domain/$FLOODER/$G/caps "$CAPS"

start_daemon --verbose
check "daemon starts" wait_for 20 xs_is $T/daemon/pid "$DPID"
check "dom2 reaches batch before the flood" wait_for 30 xs_is $T/domain/2/mode batch

figures() {
	kill -USR1 "$DPID"
	sleep 0.3
	grep "figures:" "$D/daemon.log" | tail -n 1 |
		sed -n "s/.* ticks=\([0-9]*\).*/\1/p"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# ms until CMD succeeds (polling), or 99999.
time_until() {
	local t0 i
	t0=$(now_ms)
	for ((i = 0; i < 600; i++)); do
		"$@" >/dev/null 2>&1 && { echo $(($(now_ms) - t0)); return; }
		sleep 0.02
	done
	echo 99999
}

lines0=$(grep -c "dom$FLOODER:" "$D/daemon.log")
ticks0=$(figures)
# Three writers at once through the guest's bridge (as three processes
# in the guest would): more events than a read per event can follow.
sock=$(xslab_guest_env $FLOODER)
FPIDS=()
for i in 1 2 3; do
	XENSTORED_PATH=$sock timeout $((SECS + 20)) \
		"$FLOOD" flood /local/domain/$FLOODER/$G/caps $SECS \
		"$CAPS" "" "$CAPS" "garbage!" 2>"$LAB/flood$i.log" &
	FPIDS+=($!)
done
FPID=${FPIDS[0]}
sleep 1
t_start=$(now_ms)

# Another guest withdraws its caps while in BATCH: back to EMULATE fast.
as_guest 2 xenstore-write /local/domain/2/$G/caps ""
ms=$(time_until xs_is $T/domain/2/mode emulate)
check "dom2 withdrew its caps during the flood: emulate in $ms ms (bound $BOUND_MS)" \
	[ "$ms" -le "$BOUND_MS" ]

# A new guest during the flood: found, measured over a window of ticks,
# decided, asked and switched.
# Timed from when the daemon has taken it on (the toolstack's and the
# shell's own slowness under the flood are not the daemon's).
xslab_add_domain 1 guest1 || exit 1
as_guest 1 xenstore-write /local/domain/1/$G/caps "$CAPS"
ack_requests 1 0.05 &
wait_for 20 xs_is $T/domain/1/caps "$CAPS"
ms=$(time_until xs_is $T/domain/1/mode batch)
check "dom1, created during the flood, is in batch $ms ms after the daemon took it on (bound $((2 * BOUND_MS)))" \
	[ "$ms" -le $((2 * BOUND_MS)) ]

# Ticks while flooding: at least half of the 200 ms interval's share.
while kill -0 $FPID 2>/dev/null && [ $(($(now_ms) - t_start)) -lt $((SECS * 1000 - 2000)) ]; do
	sleep 0.2
done
ticks1=$(figures)
elapsed=$(($(now_ms) - t_start))
expect=$((elapsed / 200))
check "the daemon ticked $((ticks1 - ticks0)) times in $elapsed ms of flood (>= $((expect / 2)))" \
	[ $((ticks1 - ticks0)) -ge $((expect / 2)) ]
wait "${FPIDS[@]}"
writes=$(sed -n 's/^writes=//p' "$LAB"/flood?.log | awk '{ s += $1 } END { print s + 0 }')
check "the flood ran ($writes writes in $SECS s)" [ "${writes:-0}" -gt 1000 ]
lines=$(($(grep -c "dom$FLOODER:" "$D/daemon.log") - lines0))
check "the flooding guest's log lines are bounded ($lines in ${SECS} s)" \
	[ "$lines" -le 20 ]
as_guest $FLOODER xenstore-write /local/domain/$FLOODER/$G/caps "$CAPS"
check "after the flood its next value is taken" \
	wait_for 10 xs_is $T/domain/$FLOODER/caps "$CAPS"
check "dom$FLOODER's rejections are counted" eval \
	"[ \"\$(xenstore-read $T/domain/$FLOODER/rejected)\" -gt 0 ]"
finish_daemon

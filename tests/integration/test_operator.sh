#!/bin/bash
# SPDX-License-Identifier: MIT
# The operator's controls against the real xenstored: one daemon per
# xenstore (a lock); --once reports, and changes no guest and writes
# nothing to xenstore unless --act;
# --revert-all takes every guest out of BATCH, and refuses while a daemon
# runs; bad combinations are usage errors.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab "$AGENT"
REQ=/local/domain/1/ptswitch/request

ptd() {
	"$DAEMON" --config "$D/policy.yaml" --backend "sim:$D/sim.map" "$@"
}
xslab_add_domain 1 g1 || exit 1
echo "1 $TRACES/idle.trace optin=yes" >"$D/sim.map"
capable_agent 1

pin_policy batch
start_daemon
check "the pinned guest reaches batch" wait_for 30 xs_is $T/domain/1/mode batch
req=$(xenstore-read $REQ)

# A second daemon, and --once, while one runs.
ptd --foreground >"$D/second.log" 2>&1
check "a second daemon exits 1" test $? -eq 1
check "saying who holds the lock" \
	grep -q "another ptswitchd is running (pid $DPID, lock " "$D/second.log"
ptd --once --advise >"$D/once.log" 2>&1
check "--once --advise exits 1 while a daemon runs" test $? -eq 1
check "and says to stop it first" grep -q "stop it first" "$D/once.log"
check "the running daemon's nodes are its own" xs_is $T/daemon/pid "$DPID"
check "and still say enforce" xs_is $T/daemon/mode enforce
check "the first daemon still runs" kill -0 "$DPID"
SECONDS=0
ptd --revert-all >"$D/revert-busy.log" 2>&1
rc=$?
check "--revert-all exits 1 while a daemon runs" test $rc -eq 1
check "after waiting for the lock ($SECONDS s)" test "$SECONDS" -ge 9
check "and the guest is still in batch" xs_is $T/domain/1/mode batch
stop_daemon
check "stopping leaves the guest in batch" xs_is $T/domain/1/mode batch

# --once reports; with a policy that wants EMULATE it switches nothing,
# and writes nothing: a watch on / sees only its own setting up.
pin_policy emulate
before=$(xenstore-ls -f / 2>/dev/null)
xenstore-watch / >"$D/watch" 2>&1 &
WPID=$!
wait_for 5 test -s "$D/watch"
out=$(ptd --once 2>"$D/once2.log")
rc=$?
sleep 0.5
kill "$WPID"
check "--once exits 0" test $rc -eq 0
check "--once wrote nothing to xenstore ($(wc -l <"$D/watch") watch events)" \
	test "$(wc -l <"$D/watch")" -eq 1
check "--once: the tree is unchanged" \
	test "$(xenstore-ls -f / 2>/dev/null)" = "$before"
check "--once shows that the policy wants emulate" \
	grep -qE '^1 +g1 +batch +batch +emulate ' <<<"$out"
sleep 1
check "--once left the guest in batch" xs_is $T/domain/1/mode batch
check "and wrote no request" xs_is $REQ "$req"
out=$(ptd --once --act 2>"$D/once3.log")
check "--once --act switches it back" xs_is $T/domain/1/mode emulate
check "and announces it" eval "xenstore-read $REQ | grep -qx '[0-9]* emulate'"

# --revert-all: back to batch first, then everything out.
pin_policy batch
start_daemon
check "batch again" wait_for 30 xs_is $T/domain/1/mode batch
stop_daemon
out=$(ptd --revert-all 2>"$D/revert.log")
check "--revert-all exits 0 (policy still pins batch)" test $? -eq 0
check "the guest is in emulate" xs_is $T/domain/1/mode emulate
check "the agent is told" eval "xenstore-read $REQ | grep -qx '[0-9]* emulate'"
check "its reason says why" xs_is $T/domain/1/reason excluded
ptd --revert-all >/dev/null 2>&1
check "--revert-all again: nothing to do, exit 0" test $? -eq 0

# A lock that cannot be made (no directory) is not a reason to stop.
XENSTORED_PATH=$LAB/none/socket "$DAEMON" --foreground --builtin-policy \
	--backend "sim:$D/sim.map" >"$D/nolock.log" 2>&1
check "an unusable lock path: a warning" \
	grep -q "running without the single-instance lock" "$D/nolock.log"
check "and it goes on (here to fail on the missing xenstored)" \
	grep -q "cannot connect to xenstore" "$D/nolock.log"

# Usage errors change nothing.
before=$(xenstore-ls $T 2>/dev/null)
"$DAEMON" --act >"$D/usage.log" 2>&1
check "--act without --once: usage error 2" test $? -eq 2
check "saying so" grep -q -- "--act needs --once" "$D/usage.log"
"$DAEMON" --revert-all --once >"$D/usage2.log" 2>&1
check "--revert-all with --once: usage error 2" test $? -eq 2
check "nothing changed in xenstore" test "$(xenstore-ls $T 2>/dev/null)" = "$before"
finish

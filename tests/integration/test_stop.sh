#!/bin/bash
# SPDX-License-Identifier: MIT
# The policy's on-stop key against the real xenstored: keep (the default)
# leaves every guest in its mode on SIGTERM; revert takes every guest in
# BATCH back to EMULATE first, runtime pins included, and tells the
# agent; the setting in force at the stop counts (a reload changes it, a
# bad reload keeps the last good one); --check-config reports a bad
# value at file:line:column.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab "$AGENT" "$CTL"
REQ=/local/domain/1/ptswitch/request
U1=6a1e0cbb-2f4b-4e2a-9d2e-6f0d3c1b5a01

xslab_add_domain 1 g1 || exit 1
xenstore-write /local/domain/1/vm "/vm/$U1"
echo "1 $TRACES/idle.trace optin=yes" >"$D/sim.map"
capable_agent 1

# --check-config: the key is checked like every other.
pin_policy batch "on-stop: maybe"
out=$("$DAEMON" --check-config "$D/policy.yaml" 2>&1)
check "--check-config: a bad on-stop exits 1" test $? -eq 1
check "at file:line:column ($out)" test "$out" = \
	"$D/policy.yaml:7:10: on-stop: expected keep or revert, found 'maybe'"
pin_policy batch "on-stop: revert"
check "--check-config accepts revert" \
	"$DAEMON" --check-config "$D/policy.yaml"

# keep, said explicitly: a stop leaves the guest in BATCH.
pin_policy batch "on-stop: keep"
start_daemon
check "keep: the pinned guest reaches batch" \
	wait_for 30 xs_is $T/domain/1/mode batch
req=$(xenstore-read $REQ)
stop_daemon
check "keep: the daemon exits 0" test $? -eq 0
check "keep: the guest stays in batch" xs_is $T/domain/1/mode batch
check "keep: and is asked nothing" xs_is $REQ "$req"
check "keep: the log says so" \
	grep -q "stopping; guests stay in their current modes" "$D/daemon.log"

# revert: the daemon takes the guest out of BATCH before it exits.
pin_policy batch "on-stop: revert"
start_daemon
check "revert: the guest is in batch while the daemon runs" \
	wait_for 30 xs_is $T/daemon/pid "$DPID"
sleep 1
check "revert: ... still in batch" xs_is $T/domain/1/mode batch
stop_daemon
check "revert: the daemon exits 0" test $? -eq 0
check "revert: the guest is in emulate" xs_is $T/domain/1/mode emulate
check "revert: the agent is told" \
	eval "xenstore-read $REQ | grep -qx '[0-9]* emulate'"
check "revert: the log says why" \
	grep -q "stopping; on-stop: revert: every guest back to emulate" "$D/daemon.log"

# The setting in force at the stop counts: keep at start, revert by a
# reload; then a bad reload keeps revert.  A runtime pin is reverted too.
pin_policy emulate "on-stop: keep"
sed -i 's/name: g1/name: nobody/' "$D/policy.yaml"
start_daemon
check "a runtime pin takes the guest to batch" \
	wait_for 20 eval "'$CTL' pin g1 batch >/dev/null 2>&1 && xs_is $T/domain/1/pin batch"
check "... and into batch" wait_for 30 xs_is $T/domain/1/mode batch
pin_policy emulate "on-stop: revert"
sed -i 's/name: g1/name: nobody/' "$D/policy.yaml"
n=$(grep -c "policy loaded from" "$D/daemon.log")
kill -HUP "$DPID"
check "reloaded to on-stop: revert" wait_for 10 \
	eval "[ \$(grep -c 'policy loaded from' '$D/daemon.log') -gt $n ]"
sed -i 's/on-stop: revert/on-stop: off/' "$D/policy.yaml"
kill -HUP "$DPID"
check "a bad reload is refused at file:line:column" wait_for 10 \
	eval "xenstore-read $T/daemon/policy-error | grep -q 'policy.yaml:7:10: on-stop: expected keep or revert'"
check "the guest is still in batch" xs_is $T/domain/1/mode batch
stop_daemon
check "the last good on-stop (revert) is honoured: exit 0" test $? -eq 0
check "the pinned guest is in emulate" xs_is $T/domain/1/mode emulate
check "no ASan/UBSan report" \
	test -z "$(grep -E 'ERROR: AddressSanitizer|runtime error' "$D/daemon.log")"
finish

#!/bin/bash
# SPDX-License-Identifier: MIT
# Runtime pins (ptswitchctl pin/unpin) against the real xenstored: a pin
# holds one guest in a mode whatever the policy says, shows in the status
# view, survives a reload (even one whose file pins the guest otherwise)
# and a daemon restart, lives in a dom0-only node no guest can read or
# write; bad input (unknown guest, a malformed mode, a guest without a
# UUID, no daemon running) gets a message and a non-zero exit and changes
# nothing; malformed pin nodes are ignored and logged.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab "$AGENT" "$CTL"
U1=6a1e0cbb-2f4b-4e2a-9d2e-6f0d3c1b5a01
U2=0b7e4f9c-3d2a-4c1b-8e6f-5a4d3c2b1a02
P=$T/pin

xslab_add_domain 1 g1 || exit 1
xslab_add_domain 2 g2 || exit 1
xslab_add_domain 3 g3 || exit 1
xenstore-write /local/domain/1/vm "/vm/$U1" /local/domain/2/vm "/vm/$U2"
for d in 1 2 3; do echo "$d $TRACES/idle.trace optin=yes"; done >"$D/sim.map"
capable_agent 1
# No pins in the file: the idle guest stays in EMULATE on its own.
pin_policy emulate
sed -i 's/name: g1/name: nobody/' "$D/policy.yaml"

# ctl CMD...: ptswitchctl's output in $out, stderr in $err, status in $rc.
ctl() {
	out=$("$CTL" "$@" 2>"$D/err")
	rc=$?
	err=$(cat "$D/err")
}
# What a pin could change (the rest moves with the ticks and the agent).
pins_tree() {
	xenstore-ls -f $T 2>/dev/null | grep -E "^$P|/pin = "
	xenstore-ls -f /local/domain 2>/dev/null | grep -v "/$G/metrics/"
}

before=$(pins_tree)
ctl pin g1 batch
check "no daemon: pin exits 3" test $rc -eq 3
check "saying so and that nothing was pinned" \
	grep -q "ptswitchd is not running: nothing pinned" <<<"$err"
ctl unpin g1
check "no daemon: unpin exits 3" test $rc -eq 3
check "no daemon: nothing written" test "$(pins_tree)" = "$before"

start_daemon
check "the daemon manages g1" wait_for 20 xs_is $T/domain/1/mode emulate
check "the pin directory is dom0's, nobody else's" \
	eval "xenstore-ls -p $T | grep -q '^pin = .*(n0)$'"
check "every guest shows no pin" xs_is $T/domain/1/pin none
check_not "a guest cannot write a pin" \
	as_guest 1 xenstore-write "$P/$U1" batch
check_not "nor read the pins" as_guest 1 xenstore-ls "$P"

before=$(pins_tree)
ctl pin g1 fast
check "a malformed mode: usage error 2" test $rc -eq 2
check "saying what a mode is" grep -q "'fast' is not a mode: want emulate or batch" <<<"$err"
ctl pin nosuch batch
check "an unknown guest: exit 1" test $rc -eq 1
check "naming it" grep -q "no guest 'nosuch' managed by ptswitchd" <<<"$err"
ctl pin g3 batch
check "a guest without a UUID: exit 1" test $rc -eq 1
check "saying why" grep -q "g3 (domain 3) has no UUID" <<<"$err"
ctl pin g1
check "a missing mode: usage error 2" test $rc -eq 2
ctl unpin nosuch
check "unpin of an unknown guest: exit 1" test $rc -eq 1
check "bad input changed nothing" test "$(pins_tree)" = "$before"

ctl pin g1 batch
check "pin g1 batch: exit 0 ($err)" test $rc -eq 0
check "saying what it pinned" \
	grep -q "^g1 (domain 1, $U1) pinned to batch; BATCH still needs the guest's consent$" <<<"$out"
check "the pin node, by UUID" xs_is "$P/$U1" batch
check "the daemon shows the pin" xs_is $T/domain/1/pin batch
check "and takes the guest into batch" wait_for 20 xs_is $T/domain/1/mode batch
check "because it is pinned" xs_is $T/domain/1/reason pinned
check "logged" grep -q "runtime pin: $U1 (g1) to batch" "$D/daemon.log"
ctl pin "$U2" emulate
check "pin by UUID: exit 0" test $rc -eq 0
ctl status
check "status: g1's pin" grep -qE '^1 +g1 +batch +batch +batch +pinned ' <<<"$out"
check "status: g2's pin" grep -qE '^2 +g2 +emulate +emulate +emulate +' <<<"$out"
check "status: g3 unpinned" grep -qE '^3 +g3 +emulate +emulate +- +' <<<"$out"

# Pins written by hand that make no sense are ignored, and said so.
xenstore-write "$P/not-a-uuid" batch
check "a pin named by no UUID: logged" \
	wait_for 10 grep -q "ignoring runtime pin $P/not-a-uuid: not a UUID" "$D/daemon.log"
xenstore-write "$P/$U2" fast
check "a pin to no mode: logged" \
	wait_for 10 grep -q "ignoring runtime pin $P/$U2: want emulate or batch" "$D/daemon.log"
check "and g2 is no longer shown pinned" wait_for 10 xs_is $T/domain/2/pin none
check "g1 keeps its pin" xs_is $T/domain/1/pin batch
xenstore-rm "$P/not-a-uuid"
xenstore-write "$P/$U2" emulate

# A reload to a policy whose file pins g1 to emulate: the runtime pin
# is the operator's later word and stays in force.
pin_policy emulate
sw=$(xenstore-read $T/domain/1/switches)
kill -HUP "$DPID"
check "reloaded" wait_for 10 eval "[ \$(grep -c 'policy loaded from' '$D/daemon.log') -ge 1 ]"
sleep 1
check "after the reload the pin is still shown" xs_is $T/domain/1/pin batch
check "g1 is still in batch, not switched" \
	eval "xs_is $T/domain/1/mode batch && xs_is $T/domain/1/switches $sw"

# A restart: the pins are in xenstore, not in the daemon.
stop_daemon
check "stopped cleanly" test $? -eq 0
start_daemon
check "restarted" wait_for 20 xs_is $T/daemon/pid "$DPID"
check "after a restart the pin is read again" \
	wait_for 20 grep -q "runtime pin: $U1 (g1) to batch" <(tail -n 20 "$D/daemon.log")
sleep 1
check "and g1 stays in batch without a switch" \
	eval "xs_is $T/domain/1/mode batch && xs_is $T/domain/1/switches $sw && xs_is $T/domain/1/pin batch"

ctl unpin g1
check "unpin g1: exit 0 ($err)" test $rc -eq 0
check "saying so" grep -q "^g1 (domain 1) unpinned" <<<"$out"
check "the pin node is gone" xs_absent "$P/$U1"
check "the daemon shows it" xs_is $T/domain/1/pin none
check "the file's pin decides again: emulate" \
	wait_for 20 xs_is $T/domain/1/mode emulate
ctl unpin g1
check "unpin again: nothing to do, exit 0" test $rc -eq 0
check "saying so" grep -q "has no runtime pin: nothing to do" <<<"$out"

# The pin of a guest that went away stays until unpinned by UUID.
xslab_del_domain 2
check "g2 is forgotten" wait_for 20 xs_absent $T/domain/2
ctl status
check "status lists the pin of a guest not running" \
	grep -q "^runtime pin of a guest not running: $U2 emulate$" <<<"$out"
ctl unpin g2
check "unpin by the name of a gone guest: exit 1" test $rc -eq 1
ctl unpin "$U2"
check "unpin by its UUID: exit 0" test $rc -eq 0
check "and its pin is gone" xs_absent "$P/$U2"

finish_daemon

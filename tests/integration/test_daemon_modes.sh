#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd with a real agent against the real xenstored: --advise
# decides and publishes but asks nothing; enforcing, a pin takes the
# guest into BATCH through the handshake and a reload pinning EMULATE
# takes it out at once, announcing it to the agent; SIGUSR1 logs the
# daemon's figures, set-mode calls included.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab "$AGENT"
REQ=/local/domain/1/ptswitch/request

xslab_add_domain 1 g1 || exit 1
echo "1 $TRACES/idle.trace optin=yes" >"$D/sim.map"
capable_agent 1

# Advise: the pin is decided and published, nothing is asked or switched.
pin_policy batch
start_daemon --verbose --advise
check "advise: the daemon says so" wait_for 20 xs_is $T/daemon/mode advise
check "advise: and why" xs_is $T/daemon/mode-reason "--advise given"
check "advise: the guest's desired mode is batch" \
	wait_for 20 xs_is $T/domain/1/desired batch
check "advise: its reason is advise" xs_is $T/domain/1/reason advise
sleep 1
check "advise: it stays in emulate" xs_is $T/domain/1/mode emulate
check "advise: no request was written" xs_absent $REQ
stop_daemon
check "advise: a clean stop" test $? -eq 0

# Enforcing: into BATCH through the agent's ack.
start_daemon --verbose
check "enforce: the pin takes the guest to batch" \
	wait_for 20 xs_is $T/domain/1/mode batch
check "enforce: after a batch request" \
	eval "xenstore-read $REQ | grep -qx '[0-9]* batch'"
check "enforce: the agent acked it" eval \
	"xenstore-read /local/domain/1/data/ptswitch/ack | grep -qx '[0-9]* ok'"

# A reload pinning EMULATE: out at once, then the agent is told.
pin_policy emulate
kill -HUP "$DPID"
check "reload: the guest leaves batch" wait_for 20 xs_is $T/domain/1/mode emulate
check "reload: reason pinned" xs_is $T/domain/1/reason pinned
check "reload: the agent is told with an emulate request" \
	wait_for 10 eval "xenstore-read $REQ | grep -qx '[0-9]* emulate'"
check "reload: two switches counted" xs_is $T/domain/1/switches 2
check "each switch logs how long set-mode took" \
	eval "[ \"\$(grep -c 'switched g1 to .*set-mode took [0-9]* us' \
		\"$D/daemon.log\")\" -eq 2 ]"

kill -USR1 "$DPID"
check "SIGUSR1 logs the figures, set-mode calls included" wait_for 10 \
	grep -q "figures: ticks=[0-9]* guests=1 .*set-mode-calls=2 set-mode-us-mean=[0-9]* set-mode-us-max=[0-9]*" \
	"$D/daemon.log"
check "the daemon survives SIGUSR1" kill -0 "$DPID"
stop_daemon
check "enforce: a clean stop" test $? -eq 0
finish

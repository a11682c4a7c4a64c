#!/bin/bash
# SPDX-License-Identifier: MIT
# What the ptswitchd integration tests share, on top of lib.sh: the lab
# with a daemon directory, the usual policies, a real agent on a guest
# that can take BATCH, a guest agent in shell, and the daemon started
# and stopped in the background.
# shellcheck disable=SC2034 # the variables are for the tests
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENT=$PTSWITCH_BUILD/ptswitch-agent
DAEMON=$PTSWITCH_BUILD/ptswitchd
CTL=$PTSWITCH_BUILD/ptswitchctl
T=/tool/ptswitch
G=data/ptswitch
CAPS="missing-pde spurious-fault lazy-flush"
TRACES=$TOP/tests/traces

# daemon_lab [BIN...]: the binaries must be built (ptswitchd always);
# then a fresh lab with xenstored, and $D for the daemon's files.
daemon_lab() {
	need_bins "$DAEMON" "$@"
	lab_setup
	D=$LAB/daemon
	mkdir -p "$D"
}

# fork_policy HANDSHAKE_TIMEOUT [LINE...]: a policy that wants BATCH for
# a fork-heavy trace: enforce, 200 ms ticks, no dwell; LINEs appended.
fork_policy() {
	cat >"$D/policy.yaml" <<-YAML
	action: enforce
	interval: 200ms
	window: 3
	handshake-timeout: $1
	dwell: 0s
	thresholds:
	  enter-saving: 0.20
	  leave-saving: 0.05
	  min-write-rate: 100
	YAML
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$D/policy.yaml"
}

# pin_policy MODE [LINE...]: guest g1 pinned to MODE, 200 ms ticks.
pin_policy() {
	cat >"$D/policy.yaml" <<-YAML
	interval: 200ms
	window: 3
	dwell: 0s
	guests:
	  - match: {name: g1}
	    pin: $1
	YAML
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" >>"$D/policy.yaml"
}

# capable_agent DOMID: the real agent on a guest whose kernel takes
# BATCH (fixture root), logging to $LAB/agent.log; checks it says so.
capable_agent() {
	local sock
	sock=$(xslab_guest_env "$1") || exit 1
	XENSTORED_PATH=$sock "$AGENT" --foreground --interval 60 \
		--root "$TOP/tests/fixtures/guest/synthetic-capable" \
		>>"$LAB/agent.log" 2>&1 &
	check "the agent advertises BATCH" wait_for 20 eval \
		"xenstore-read /local/domain/$1/$G/caps | grep -q lazy-flush"
}

# ack_requests DOMID [PERIOD]: a guest agent in shell, on the guest's own
# connection: answer each new request with ok.  Run it in the background.
ack_requests() {
	local domid=$1 period=${2:-0.1} last="" req sock
	sock=$(xslab_guest_env "$domid")
	while :; do
		req=$(XENSTORED_PATH=$sock timeout 5 xenstore-read \
			"/local/domain/$domid/ptswitch/request" 2>/dev/null)
		if [ -n "$req" ] && [ "$req" != "$last" ]; then
			last=$req
			XENSTORED_PATH=$sock timeout 5 xenstore-write \
				"/local/domain/$domid/$G/ack" "${req%% *} ok"
		fi
		sleep "$period"
	done
}

# start_daemon [OPTION...]: ptswitchd on $D's policy and sim map, in the
# background ($DPID is the daemon itself), appending to $D/daemon.log.
start_daemon() {
	"$DAEMON" --foreground --config "$D/policy.yaml" \
		--backend "sim:$D/sim.map" "$@" >>"$D/daemon.log" 2>&1 &
	DPID=$!
}

# stop_daemon: SIGTERM, and its exit status.
stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID"
}

# finish_daemon: the daemon still runs, stops cleanly on SIGTERM and
# logged no sanitizer report (its log's tail shown on a failure); then
# the tally.
finish_daemon() {
	check "the daemon survives" kill -0 "$DPID"
	stop_daemon
	check "the daemon exits cleanly" test $? -eq 0
	check "no sanitizer report" \
		eval "! grep -q 'Sanitizer\\|runtime error' '$D/daemon.log'"
	[ "$T_FAIL" -eq 0 ] || tail -n 30 "$D/daemon.log"
	finish
}

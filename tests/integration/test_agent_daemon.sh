#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd and the real ptswitch-agent together against the real
# xenstored (xslab): each agent holds its guest's connection (the guest's
# permissions, not dom0's) and reads a recorded or synthetic guest root;
# the daemon runs on the sim backend (the hypervisor side is simulated).
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
FIX=$TOP/tests/fixtures/guest
daemon_lab "$AGENT"

fork_policy 5s "backoff: 60s" "backoff-max: 120s"
# Every guest runs a fork-heavy workload and its kernel opted in as far as
# the simulated hypervisor is concerned: only the agents tell them apart.
TRACE=$TRACES/fork-heavy.trace
printf '%s\n' "1 $TRACE optin=yes" "2 $TRACE optin=yes" \
	"3 $TRACE optin=yes" >"$D/sim.map"

# dom1: a patched kernel that opted in; dom2: Debian's stock 6.1 kernel;
# dom3: a kernel declaring only part of what BATCH needs.
declare -A ROOT=([1]=$FIX/synthetic-capable [2]=$FIX/debian-6.1-pv-domu
	[3]=$FIX/synthetic-partial-caps)
APIDS=()
for d in 1 2 3; do
	xslab_add_domain "$d" "guest$d" || exit 1
	sock=$(xslab_guest_env "$d") || exit 1
	XENSTORED_PATH=$sock "$AGENT" --root "${ROOT[$d]}" --interval 1 \
		--foreground --verbose >"$LAB/agent$d.log" 2>&1 &
	APIDS+=($!)
done

start_daemon --verbose
check "daemon starts" wait_for 20 xs_is $T/daemon/pid "$DPID"

check "capable guest: agent acks and the daemon switches it to batch" \
	wait_for 60 xs_is $T/domain/1/mode batch
check "capable guest: the ack is the agent's ok" eval \
	"xenstore-read /local/domain/1/data/ptswitch/ack | grep -qx '[0-9]* ok'"
check "capable guest: the daemon saw the agent's caps" \
	xs_is $T/domain/1/caps "missing-pde spurious-fault lazy-flush"
check "stock Debian guest stays in emulate, incapable with the agent's reason" \
	wait_for 30 xs_is $T/domain/2/reason incapable:kernel-lacks-ptswitch-note
check "stock Debian guest is never asked" \
	xs_absent /local/domain/2/ptswitch/request
check "partial-caps guest stays in emulate as incapable" \
	wait_for 30 xs_is $T/domain/3/reason incapable:kernel-caps-incomplete
check "the daemon sees the agent's metrics" \
	eval "xenstore-ls /local/domain/1/data/ptswitch/metrics | grep -q forks"

stop_daemon
check "daemon exits cleanly" test $? -eq 0
for i in 0 1 2; do
	kill -TERM "${APIDS[$i]}"
	wait "${APIDS[$i]}"
	check "agent dom$((i + 1)) exits cleanly" test $? -eq 0
done
check "no sanitizer report" eval \
	"! grep -l 'Sanitizer\\|runtime error' $LAB/agent*.log $D/daemon.log"
[ "$T_FAIL" -eq 0 ] || tail -n 40 "$D/daemon.log" "$LAB"/agent*.log
finish

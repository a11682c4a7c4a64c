#!/bin/bash
# SPDX-License-Identifier: MIT
# Hypervisor calls that keep failing (issue 20, item 8), against the real
# xenstored (xslab), with failures injected by the sim backend: a
# set-mode EMULATE that fails is retried with a back-off, published as
# set-mode-emulate-failed:<errno> and logged once; a failing get-stats
# is logged once; every errno the domctl can return can be injected.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab

fork_policy 5s "backoff: 60s" "backoff-max: 120s"
TRACE=$TRACES/fork-heavy.trace
cat >"$D/sim.map" <<EOF
1 $TRACE optin=yes fail=set-emulate errno=EBUSY
2 $TRACE optin=yes fail=get-stats errno=ENOSYS
3 $TRACE optin=yes fail=set-batch errno=EINVAL
4 $TRACE optin=yes fail=set-batch errno=EPERM
EOF
for d in 1 2 3 4; do xslab_add_domain "$d" "guest$d" || exit 1; done
for d in 1 2 3 4; do
	as_guest $d xenstore-write /local/domain/$d/$G/caps "$CAPS"
	ack_requests $d &
done

start_daemon --verbose
check "daemon starts (the map's errno= is understood)" \
	wait_for 20 xs_is $T/daemon/pid "$DPID"

check "dom1 reaches batch" wait_for 30 xs_is $T/domain/1/mode batch
as_guest 1 xenstore-write /local/domain/1/$G/caps ""
check "dom1's failing set-mode emulate is published with its errno" \
	wait_for 10 xs_is $T/domain/1/reason set-mode-emulate-failed:EBUSY
check "... while the guest is still in batch" xs_is $T/domain/1/mode batch
sleep 5
n=$(grep -c "dom1: set-mode emulate failed" "$D/daemon.log")
check "... logged once in 5 s of 200 ms ticks ($n)" [ "$n" -eq 1 ]
# Every guest's set-mode calls so far: one each for dom2-4's BATCH, one
# for dom1's, and dom1's EMULATE tries at 1, 2, 4 s: not one a tick (25).
kill -USR1 "$DPID"
sleep 0.5
calls=$(grep figures: "$D/daemon.log" | tail -n 1 |
	sed -n 's/.* set-mode-calls=\([0-9]*\).*/\1/p')
check "... and retried with a back-off, not on every tick ($calls calls)" \
	[ "${calls:-99}" -le 12 ]

n=$(grep -c "dom2: cannot read the counters (Function not implemented)" "$D/daemon.log")
check "dom2's failing get-stats is logged once ($n)" [ "$n" -eq 1 ]
check "dom3's set-mode batch fails with the injected EINVAL" \
	wait_for 30 xs_is $T/domain/3/reason set-mode-batch-failed:EINVAL
check "dom4's with EPERM" \
	wait_for 30 xs_is $T/domain/4/reason set-mode-batch-failed:EPERM
check "dom3 and dom4 are in emulate" eval \
	"xs_is $T/domain/3/mode emulate && xs_is $T/domain/4/mode emulate"

finish_daemon

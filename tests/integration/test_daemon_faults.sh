#!/bin/bash
# SPDX-License-Identifier: MIT
# Hypervisor calls that keep failing (issue 20, item 8), against the real
# xenstored (xslab), with failures injected by the sim backend: a
# set-mode EMULATE that fails is retried with a back-off, published as
# set-mode-emulate-failed:<errno> and logged once; a failing get-stats
# is logged once; every errno the domctl can return can be injected.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DAEMON=$PTSWITCH_BUILD/ptswitchd
need_bins "$DAEMON"
lab_setup
D=$LAB/daemon
mkdir -p "$D"
T=/tool/ptswitch
G=data/ptswitch
CAPS="missing-pde spurious-fault lazy-flush"

cat >"$D/policy.yaml" <<'YAML'
action: enforce
interval: 200ms
window: 3
handshake-timeout: 5s
backoff: 60s
backoff-max: 120s
dwell: 0s
thresholds:
  enter-saving: 0.20
  leave-saving: 0.05
  min-write-rate: 100
YAML
TRACE=$TOP/tests/traces/fork-heavy.trace
cat >"$D/sim.map" <<EOF
1 $TRACE optin=yes fail=set-emulate errno=EBUSY
2 $TRACE optin=yes fail=get-stats errno=ENOSYS
3 $TRACE optin=yes fail=set-batch errno=EINVAL
4 $TRACE optin=yes fail=set-batch errno=EPERM
EOF
for d in 1 2 3 4; do xslab_add_domain "$d" "guest$d" || exit 1; done

responder() {
	local domid=$1 seen="" req sock
	sock=$(xslab_guest_env "$domid")
	while :; do
		req=$(XENSTORED_PATH=$sock timeout 5 xenstore-read \
			"/local/domain/$domid/ptswitch/request" 2>/dev/null)
		if [ -n "$req" ] && [ "$req" != "$seen" ]; then
			seen=$req
			XENSTORED_PATH=$sock timeout 5 xenstore-write \
				"/local/domain/$domid/$G/ack" "${req%% *} ok"
		fi
		sleep 0.1
	done
}
for d in 1 2 3 4; do
	as_guest $d xenstore-write /local/domain/$d/$G/caps "$CAPS"
	responder $d &
done

"$DAEMON" --foreground --verbose --config "$D/policy.yaml" \
	--backend "sim:$D/sim.map" >"$D/daemon.log" 2>&1 &
DPID=$!
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

check "the daemon survives" kill -0 "$DPID"
kill -TERM "$DPID"
wait "$DPID"
check "the daemon exits cleanly" test $? -eq 0
check "no sanitizer report" eval "! grep -q 'Sanitizer\\|runtime error' $D/daemon.log"
[ "$T_FAIL" -eq 0 ] || tail -n 30 "$D/daemon.log"
finish

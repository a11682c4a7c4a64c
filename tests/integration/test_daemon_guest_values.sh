#!/bin/bash
# SPDX-License-Identifier: MIT
# The guest-written values the daemon reads only now and then, against the
# real xenstored: the agent's version string, caps-reason and the metrics
# it shows in the stats node.  A hostile guest's values are rejected,
# counted and logged once; its stats show nothing it wrote; a well-behaved
# guest next to it is read as written and never blamed.
#
# Metrics are read when a guest's stats are due: at most once a minute,
# staggered by domid (domid % 60 seconds early), so domains 58 and 59 are
# due one and two seconds after the daemon finds them.  Their values are
# written before the daemon starts, so its first reading sees them.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab
GOOD=58
BAD=59
MANY=57

xslab_add_domain $GOOD good || exit 1
xslab_add_domain $BAD hostile || exit 1
xslab_add_domain $MANY many || exit 1

as_guest $GOOD xenstore-write /local/domain/$GOOD/$G/agent "ptswitch-agent 0.1.0"
as_guest $GOOD xenstore-write /local/domain/$GOOD/$G/caps ""
as_guest $GOOD xenstore-write /local/domain/$GOOD/$G/caps-reason not-xen
as_guest $GOOD xenstore-write /local/domain/$GOOD/$G/metrics/forks 42
as_guest $GOOD xenstore-write /local/domain/$GOOD/$G/metrics/pgfault 7

# A control character in the version, a reason that is not one token,
# a negative count and one in floating point.
as_guest $BAD xenstore-write /local/domain/$BAD/$G/agent \
	"$(printf 'ptswitch-agent\t0.1.0')"
as_guest $BAD xenstore-write /local/domain/$BAD/$G/caps ""
as_guest $BAD xenstore-write /local/domain/$BAD/$G/caps-reason "Not Xen!"
as_guest $BAD xenstore-write -- /local/domain/$BAD/$G/metrics/forks -5
as_guest $BAD xenstore-write /local/domain/$BAD/$G/metrics/pgfault 1e9

# More metric keys than allowed, and caps longer than any value may be.
args=()
for i in $(seq 40); do args+=("/local/domain/$MANY/$G/metrics/m$i" "$i"); done
as_guest $MANY xenstore-write "${args[@]}"
as_guest $MANY xenstore-write /local/domain/$MANY/$G/caps \
	"$(head -c 300 /dev/zero | tr '\0' x)"

cat >"$D/policy.yaml" <<'YAML'
interval: 200ms
window: 3
YAML
printf '%s\n' "$GOOD $TRACES/idle.trace optin=yes" \
	"$BAD $TRACES/idle.trace optin=yes" \
	"$MANY $TRACES/idle.trace optin=yes" >"$D/sim.map"
start_daemon --verbose
check "daemon starts" wait_for 20 xs_is $T/daemon/pid "$DPID"

stats() { xenstore-read "$T/domain/$1/stats" 2>/dev/null; }
check "the good guest's stats carry its metrics" wait_for 20 eval \
	"stats $GOOD | grep -q 'guest-forks=42 guest-pgfault=7'"
check "the hostile guest's stats are published" wait_for 20 eval \
	"stats $BAD | grep -q 'guest-forks='"
check "... with none of the values it wrote ($(stats $BAD | tr ' ' '\n' |
	grep guest- | tr '\n' ' '))" \
	eval "stats $BAD | grep -q 'guest-forks=0 guest-pgfault=0'"
check "agent, caps-reason and two metric values rejected" wait_for 10 eval \
	"[ \"\$(xenstore-read $T/domain/$BAD/rejected)\" -ge 4 ]"
check "the good guest has nothing rejected" \
	xs_is $T/domain/$GOOD/rejected 0
check "the good guest's reason comes from its agent" \
	xs_is $T/domain/$GOOD/reason incapable:not-xen
check "the hostile guest's reason is not its own text" \
	xs_is $T/domain/$BAD/reason incapable
for what in agent caps-reason "a metric value"; do
	n=$(grep -c "dom$BAD: rejected $what written" "$D/daemon.log")
	check "rejected $what: logged once ($n)" [ "$n" -eq 1 ]
done
check "metric keys beyond 32 are rejected and counted" grep -q \
	"dom$MANY: rejected metrics written by the guest (40 keys, at most 32)" \
	"$D/daemon.log"
check "oversized caps: said in words, and what the daemon does" grep -q \
	"dom$MANY: rejected caps written by the guest (longer than 256 bytes); counting it as no capability" \
	"$D/daemon.log"
check "... 8 keys and the caps counted" wait_for 10 xs_is $T/domain/$MANY/rejected 9
n=$(grep -c "dom$GOOD: rejected" "$D/daemon.log")
check "nothing logged against the good guest ($n)" [ "$n" -eq 0 ]
check "the daemon survives" kill -0 "$DPID"

stop_daemon
check "the daemon exits cleanly" test $? -eq 0
finish

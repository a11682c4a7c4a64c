#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd against the real xenstored (xslab) on the sim backend:
# handshake ok / refuse / timeout / hypervisor refusal / failed hypercall,
# incapable guests, permissions, hostile guest values, domains coming and
# going, policy reload, and a restart that flips no guest.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab

fork_policy 2s "backoff: 60s" "backoff-max: 120s" "rate-limit:" \
	"  switches: 30" "  per: 1h"
cat >"$D/sim.map" <<EOF2
1 $TRACES/fork-heavy.trace optin=yes
2 $TRACES/fork-heavy.trace optin=yes
3 $TRACES/fork-heavy.trace optin=yes
4 $TRACES/fork-heavy.trace optin=yes
5 $TRACES/idle.trace optin=yes
6 $TRACES/fork-heavy.trace optin=no
7 $TRACES/fork-heavy.trace optin=yes fail=set-mode
8 $TRACES/fork-heavy.trace optin=yes
EOF2

for d in 1 2 3 4 5 6 7; do xslab_add_domain "$d" "guest$d" || exit 1; done

# A minimal guest agent in shell, speaking through the guest's own
# connection: publish caps, answer each new request with $2.
responder() {
	local domid=$1 answer=$2 last="" req seq
	local sock
	sock=$(xslab_guest_env "$domid")
	XENSTORED_PATH=$sock xenstore-write \
		"/local/domain/$domid/data/ptswitch/agent" "shell-responder 1"
	XENSTORED_PATH=$sock xenstore-write \
		"/local/domain/$domid/data/ptswitch/caps" "$CAPS"
	while :; do
		req=$(XENSTORED_PATH=$sock timeout 5 xenstore-read \
			"/local/domain/$domid/ptswitch/request" 2>/dev/null)
		if [ -n "$req" ] && [ "$req" != "$last" ]; then
			last=$req
			seq=${req%% *}
			[ "$answer" = silent ] ||
				XENSTORED_PATH=$sock timeout 5 xenstore-write \
					"/local/domain/$domid/data/ptswitch/ack" \
					"$seq $answer"
		fi
		sleep 0.2
	done
}
responder 1 ok &
responder 2 "refuse test-says-no" &
responder 3 silent &
responder 5 ok &
responder 6 ok &
responder 7 ok &
# dom4 runs a stock kernel: its agent publishes no BATCH capability.
as_guest 4 xenstore-write /local/domain/4/data/ptswitch/caps "" \
	/local/domain/4/data/ptswitch/caps-reason kernel-lacks-ptswitch-note

start_daemon --verbose
check "daemon starts and publishes its pid" \
	wait_for 20 xs_is $T/daemon/pid "$DPID"
check "daemon mode is enforce" xs_is $T/daemon/mode enforce
check "backend is sim" xs_is $T/daemon/backend sim

check "dom1 (ok) reaches batch" wait_for 30 xs_is $T/domain/1/mode batch
check "dom1 guest-visible mode is batch" \
	xs_is /local/domain/1/ptswitch/mode batch
check "dom1 switched once" xs_is $T/domain/1/switches 1
check "dom2 (refuse) stays emulate with the guest's reason" \
	wait_for 30 xs_is $T/domain/2/reason refused:test-says-no
check "dom3 (silent) times out" \
	wait_for 30 xs_is $T/domain/3/reason handshake-timeout
check "dom3 is in emulate" xs_is $T/domain/3/mode emulate
check "dom4 (stock kernel) is incapable, with the agent's reason" \
	wait_for 30 xs_is $T/domain/4/reason incapable:kernel-lacks-ptswitch-note
check "dom4 was never asked for batch" \
	xs_absent /local/domain/4/ptswitch/request
check "dom5 (idle) stays emulate" xs_is $T/domain/5/mode emulate
check "dom6 (not opted in) refused by the hypervisor" \
	wait_for 30 xs_is $T/domain/6/reason set-mode-batch-failed:EPERM
check "dom6 is in emulate" xs_is $T/domain/6/mode emulate
check "dom7 failed set-mode leaves a known mode" \
	wait_for 30 xs_is $T/domain/7/reason set-mode-batch-failed:EIO
check "dom7 is in emulate" xs_is $T/domain/7/mode emulate

# Permissions: the guest may read its mode but not write the daemon's
# nodes, nor another guest's, nor read the admin view.
check "guest reads its own ptswitch/mode" \
	as_guest 1 xenstore-read /local/domain/1/ptswitch/mode
check_not "guest cannot write ptswitch/request" \
	as_guest 1 xenstore-write /local/domain/1/ptswitch/request "9 batch"
check_not "guest cannot write ptswitch/mode" \
	as_guest 1 xenstore-write /local/domain/1/ptswitch/mode batch
check_not "guest cannot write the admin view" \
	as_guest 1 xenstore-write $T/domain/1/mode batch
check_not "guest cannot read the admin view" \
	as_guest 1 xenstore-read $T/daemon/pid
check_not "guest cannot write another guest's data" \
	as_guest 1 xenstore-write /local/domain/2/data/ptswitch/caps "$CAPS"
check_not "guest cannot read another guest's ptswitch node" \
	as_guest 2 xenstore-read /local/domain/1/ptswitch/mode

# Hostile values from dom5: rejected, logged once, nothing else changes.
# The daemon folds watch events that arrive together into one read, so
# each write waits for its own count: a fixed total after a burst would
# depend on how the burst was cut.
before=$(xenstore-read $T/domain/1/switches)
rejected5() { xenstore-read $T/domain/5/rejected 2>/dev/null || echo 0; }
# hostile KEY VALUE: dom5 writes it; the count must rise.
hostile() {
	local n0
	n0=$(rejected5)
	as_guest 5 xenstore-write -- "/local/domain/5/data/ptswitch/$1" "$2"
	wait_for 10 eval "[ \"\$(rejected5)\" -gt $n0 ]"
}
# xenstored's default per-node limit for guests is 2048 bytes.
big=$(head -c 2000 /dev/zero | tr '\0' 'x')
check "oversized caps are counted" hostile caps "$big"
check "the same oversized caps again are counted" hostile caps "$big"
check "an ack seq beyond 64 bits is counted" \
	hostile ack "99999999999999999999999 ok"
check "an ack with trailing junk is counted" hostile ack "1 ok; rm -rf"
check "a negative ack seq is counted" hostile ack "-1 ok"
# Metric values are read once a stats period (test_daemon_guest_values.sh);
# a metric's name is checked as its watch event comes.
check "a metric name in capitals is counted" hostile metrics/BAD_NAME 1
check "an unknown node is counted" hostile junk "$big"
check_not "xenstored refuses a metric name with a space" \
	as_guest 5 xenstore-write "/local/domain/5/data/ptswitch/metrics/BAD NAME" 1
check "daemon survives hostile values" kill -0 "$DPID"
n=$(grep -c "dom5: rejected caps" "$D/daemon.log")
check "a bad key is logged once, not per write ($n)" [ "$n" -eq 1 ]
check "hostile caps leave dom5 incapable" xs_is $T/domain/5/caps ""
check "other guests unaffected" xs_is $T/domain/1/switches "$before"
check "dom1 still in batch" xs_is $T/domain/1/mode batch
# A replayed ack is ignored: dom2 stays refused, dom1 stays put.
as_guest 2 xenstore-write /local/domain/2/data/ptswitch/ack "1 ok"
sleep 1
check "replayed ack does not switch dom2" xs_is $T/domain/2/mode emulate

# Domains come and go.
xslab_add_domain 8 guest8
check "new domain is picked up" wait_for 20 xs_is $T/domain/8/name guest8
xslab_del_domain 3
check "released domain is forgotten" wait_for 20 xs_absent $T/domain/3
check "daemon survives a domain destroyed mid-handshake" kill -0 "$DPID"

# Policy reload: a bad file is reported and the old policy stays.
cp "$D/policy.yaml" "$D/good.yaml"
printf 'action: enforce\ninterval: 200ms\nwindow: many\n' >"$D/policy.yaml"
kill -HUP "$DPID"
check "bad policy published as policy-error with line:column" \
	wait_for 10 eval "xenstore-read $T/daemon/policy-error | grep -q 'policy.yaml:3:9'"
check "daemon keeps running on the last good policy" kill -0 "$DPID"
check "still enforcing" xs_is $T/daemon/mode enforce
cp "$D/good.yaml" "$D/policy.yaml"
kill -HUP "$DPID"
check "fixed policy clears policy-error" \
	wait_for 10 xs_is $T/daemon/policy-error ""

# Restart: every guest keeps its mode; nothing flips.
seq1=$(xenstore-read /local/domain/1/ptswitch/request | cut -d' ' -f1)
kill -TERM "$DPID"
check "daemon stops on SIGTERM" wait_for 10 eval "! kill -0 $DPID"
wait "$DPID"
check "clean exit status" [ $? -eq 0 ]
check "dom1 still batch while the daemon is down" \
	xs_is $T/domain/1/mode batch
start_daemon --verbose
wait_for 20 xs_is $T/daemon/pid "$DPID"
sleep 3
check "restarted daemon keeps dom1 in batch" xs_is $T/domain/1/mode batch
check "no switch counted on restart" xs_is $T/domain/1/switches 1
check "no new handshake after the restart (same seq)" \
	eval "[ \"\$(xenstore-read /local/domain/1/ptswitch/request | cut -d' ' -f1)\" -eq $seq1 ]"
check "no ASan/UBSan report" eval "! grep -q 'ERROR: AddressSanitizer\|runtime error' $D/daemon.log"
# xenstored goes away: the daemon notices within a tick and exits 1, so
# that systemd restarts it (a steady state makes no xenstore requests).
xslab_stop
check "daemon exits when xenstored is gone" wait_for 10 eval "! kill -0 $DPID"
kill -0 "$DPID" 2>/dev/null && kill -9 "$DPID"
wait "$DPID"
check "... with status 1" [ $? -eq 1 ]
check "... saying why" grep -q "lost the xenstore connection" "$D/daemon.log"
[ -n "${VERBOSE:-}" ] && cat "$D/daemon.log"
finish

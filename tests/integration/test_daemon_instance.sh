#!/bin/bash
# SPDX-License-Identifier: MIT
# The handshake belongs to one domain instance and survives lost state
# (issue 20, items 2-4), against the real xenstored (xslab), sim backend:
#  - a guest in BATCH that removes its whole data/ptswitch subtree goes
#    back to EMULATE (logged), and the real agent publishes again;
#  - a domid destroyed and created again while the daemon is stopped
#    (SIGSTOP: slow) starts afresh: the old instance's pending handshake,
#    acks and switch count do not carry over, and new seqs are above
#    the old ones;
#  - the daemon's request seqs survive losing /local/domain/<id>/ptswitch
#    and /tool/ptswitch (what a restarted xenstored forgets), so an agent
#    that remembers its last answered seq answers the next request.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab "$AGENT"

fork_policy 120s "backoff: 60s" "backoff-max: 120s"
for d in 1 2 3 4 5; do echo "$d $TRACES/fork-heavy.trace optin=yes"; done >"$D/sim.map"
for d in 1 2 3 4 5; do xslab_add_domain "$d" "guest$d" || exit 1; done

# An agent in shell that, like the real one, answers only requests whose
# seq is above the last it answered; silent while $LAB/silent<domid>
# exists.  It logs what it ignores.
responder() {
	local domid=$1 last=0 seen="" req seq sock
	sock=$(xslab_guest_env "$domid")
	while :; do
		req=$(XENSTORED_PATH=$sock timeout 5 xenstore-read \
			"/local/domain/$domid/ptswitch/request" 2>/dev/null)
		seq=${req%% *}
		if [ -n "$req" ] && [ "$req" != "$seen" ] &&
			[ ! -e "$LAB/silent$domid" ]; then
			seen=$req
			if [ "$seq" -gt "$last" ] 2>/dev/null; then
				last=$seq
				XENSTORED_PATH=$sock timeout 5 xenstore-write \
					"/local/domain/$domid/$G/ack" "$seq ok"
			else
				echo "dom$domid: ignoring \"$req\" (last $last)"
			fi
		fi
		sleep 0.1
	done
}
caps() { as_guest "$1" xenstore-write "/local/domain/$1/$G/caps" "$2"; }

# dom1: the real agent.  dom2, dom5: the shell agent.  dom3, dom4:
# silent shell agents (their handshake stays pending).
XENSTORED_PATH=$(xslab_guest_env 1) "$AGENT" \
	--root "$TOP/tests/fixtures/guest/synthetic-capable" --interval 30 \
	--foreground --verbose >"$LAB/agent1.log" 2>&1 &
APID=$!
touch "$LAB/silent3" "$LAB/silent4"
for d in 2 3 4 5; do caps $d "$CAPS"; responder $d >>"$LAB/responder.log" & done

start_daemon --verbose
check "daemon starts" wait_for 20 xs_is $T/daemon/pid "$DPID"
for d in 1 2 5; do
	check "dom$d reaches batch" wait_for 30 xs_is $T/domain/$d/mode batch
done
check "dom3 and dom4 are asked" wait_for 20 eval \
	"xs_is $T/domain/3/state requested && xs_is $T/domain/4/state requested"

# --- Item 3: dom3 destroyed and created again while the daemon is stopped.
old=$(xenstore-read /local/domain/3/ptswitch/request)
oldseq=${old%% *}
kill -STOP "$DPID"
xslab_del_domain 3 || exit 1
xslab_add_domain 3 guest3-again || exit 1
caps 3 "$CAPS"
# The new instance's first word is the old instance's answer.
as_guest 3 xenstore-write /local/domain/3/$G/ack "$oldseq ok"
kill -CONT "$DPID"
check "dom3's re-creation is noticed" wait_for 10 \
	grep -q "dom3: domain 3 was destroyed and created again" "$D/daemon.log"
sleep 2
check "the old instance's ack does not switch the new one" \
	xs_is $T/domain/3/mode emulate
check "... nor is the old switch count carried over" \
	xs_is $T/domain/3/switches 0
check "the new instance is asked with a seq above the old one's ($oldseq)" \
	wait_for 20 eval "r=\$(xenstore-read /local/domain/3/ptswitch/request) &&
		[ \"\${r%% *}\" -gt $oldseq ]"

# dom4: destroyed and created again in plain sight.
old=$(xenstore-read /local/domain/4/ptswitch/request)
xslab_del_domain 4 || exit 1
check "dom4's destruction is noticed" wait_for 10 xs_absent $T/domain/4/mode
xslab_add_domain 4 guest4-again || exit 1
caps 4 "$CAPS"
check "dom4's new instance is asked with a seq above ${old%% *}" \
	wait_for 20 eval "r=\$(xenstore-read /local/domain/4/ptswitch/request) &&
		[ \"\${r%% *}\" -gt ${old%% *} ]"

# --- Item 2: the guest removes its whole subtree while in BATCH.
as_guest 2 xenstore-rm /local/domain/2/$G
check "dom2 removed data/ptswitch: back to emulate" \
	wait_for 10 xs_is $T/domain/2/mode emulate
check "... logged" grep -q "dom2: the guest removed $G" "$D/daemon.log"
check "... as forced by the state machine (incapable)" \
	grep -q "switched guest2 to emulate (incapable)" "$D/daemon.log"
check "... its published caps are empty" xs_is $T/domain/2/caps ""

as_guest 1 xenstore-rm /local/domain/1/$G
check "dom1's real agent publishes its caps again" \
	wait_for 10 xs_is /local/domain/1/$G/caps "$CAPS"
check "... and says why" grep -q "publishing again" "$LAB/agent1.log"
check "dom1 is (again) in batch" wait_for 30 xs_is $T/domain/1/mode batch

# --- Item 4: the daemon's state in xenstore is lost (xenstored restart).
# dom5 goes through a second handshake first: its agent's last seq is 3+.
caps 5 ""
check "dom5 withdraws its caps: emulate" wait_for 10 xs_is $T/domain/5/mode emulate
caps 5 "$CAPS"
check "dom5 back in batch" wait_for 30 xs_is $T/domain/5/mode batch
stop_daemon
check "the daemon stops cleanly" test $? -eq 0
ign0=$(grep -c "dom5: ignoring" "$LAB/responder.log")
xenstore-rm /local/domain/5/ptswitch
xenstore-rm $T
as_guest 5 xenstore-rm /local/domain/5/$G/ack
start_daemon --verbose
check "daemon starts again" wait_for 20 xs_is $T/daemon/pid "$DPID"
check "dom5 is still in batch" wait_for 10 xs_is $T/domain/5/mode batch
caps 5 ""
check "dom5 withdraws its caps again: emulate" \
	wait_for 10 xs_is $T/domain/5/mode emulate
caps 5 "$CAPS"
check "dom5's agent answers the next request: batch within 10 s" \
	wait_for 10 xs_is $T/domain/5/mode batch
n=$(($(grep -c "dom5: ignoring" "$LAB/responder.log") - ign0))
check "dom5's agent ignored no request after the restart ($n)" [ "$n" -eq 0 ]

check "the daemon survives" kill -0 "$DPID"
kill -TERM "$DPID" "$APID"
wait "$DPID"
check "the daemon exits cleanly" test $? -eq 0
check "no sanitizer report" eval \
	"! grep -q 'Sanitizer\\|runtime error' $D/daemon.log $LAB/agent1.log"
[ "$T_FAIL" -eq 0 ] || tail -n 40 "$D/daemon.log" "$LAB/responder.log"
finish

#!/bin/bash
# SPDX-License-Identifier: MIT
# Integration test of ptswitch-agent against Debian's real xenstored (the
# xslab): the agent connects through a guest's bridge, so it holds that
# guest's permissions, not dom0's; the test plays ptswitchd as dom0.
#
# usage: tests/integration/test_agent.sh   (PTSWITCH_BUILD: default build/san)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

AGENT=$PTSWITCH_BUILD/ptswitch-agent
FIX=$TOP/tests/fixtures/guest
need_bins "$AGENT"
lab_setup

CAPS_BATCH="missing-pde spurious-fault lazy-flush"
VERSION=$("$AGENT" --version)

# --- command line, no xenstore needed ---
check "--once on the stock Debian capture says why not" eval \
	"'$AGENT' --once --root '$FIX/debian-6.1-pv-domu' |
	 grep -qx 'batch: no (kernel-lacks-ptswitch-note)'"
check "--once --json is valid JSON with the verdict" eval \
	"'$AGENT' --once --json --root '$FIX/synthetic-capable' |
	 python3 -c 'import json,sys; d=json.load(sys.stdin);
sys.exit(not (d[\"batch\"] and d[\"metrics\"][\"forks\"] == 300))'"
# The guest's strings in the JSON: quotes and backslashes escaped; a
# value with control characters (or bytes above ASCII) is not taken at
# all (the escaping of those: unit test test_journal).
cp -r "$FIX/synthetic-capable" "$LAB/odd-root"
printf 'x"e\\n\n' >"$LAB/odd-root/sys/hypervisor/type"
printf 'PV\033[31m\n' >"$LAB/odd-root/sys/hypervisor/guest_type"
out=$("$AGENT" --once --json --root "$LAB/odd-root")
check "--once --json escapes quotes and backslashes ($(head -c 80 <<<"$out"))" \
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(d["hypervisor"] != "x\"e\\n" or d["guest_type"] != "")' "$out"
check "... and holds no raw control byte" \
	eval '! tr -d "\n" <<<"$out" | LC_ALL=C grep -q "[[:cntrl:]]"'
check "--help documents the xenstore keys" eval \
	"'$AGENT' --help | grep -q 'data/ptswitch/ack'"
for bad in "--interval 0" "--interval 3601" "--interval 5x" "--json" \
	"--root /nonexistent-dir" "--bogus" "extra-arg"; do
	# shellcheck disable=SC2086
	"$AGENT" $bad >/dev/null 2>&1
	check "usage error '$bad' exits 2" test $? -eq 2
done

# start_agent DOMID ROOT: the agent as that guest, in the background.
start_agent() {
	local domid=$1 root=$2 sock
	sock=$(xslab_guest_env "$domid") || return 1
	XENSTORED_PATH=$sock "$AGENT" --root "$root" --interval 1 \
		--foreground --verbose >"$LAB/agent$domid.log" 2>&1 &
	echo $! >"$LAB/agent$domid.pid"
}
agent_pid() { cat "$LAB/agent$1.pid"; }
agent_alive() { kill -0 "$(agent_pid "$1")" 2>/dev/null; }

# request DOMID VALUE: ptswitchd's write (dom0), guest read-only.
request() {
	timeout 5 xenstore-write -- "/local/domain/$1/ptswitch/request" "$2" &&
		timeout 5 xenstore-chmod "/local/domain/$1/ptswitch/request" \
			n0 "r$1"
}

# A private, writable copy of the capable fixture, so counters can move.
ROOT5=$LAB/root5
cp -r "$FIX/synthetic-capable" "$ROOT5"
D5=/local/domain/5/data/ptswitch
D6=/local/domain/6/data/ptswitch

xslab_add_domain 5 capable
xslab_add_domain 6 stock
start_agent 5 "$ROOT5"
start_agent 6 "$FIX/debian-6.1-pv-domu"

# --- publication ---
check "agent 5 publishes its version" wait_for 30 xs_is "$D5/agent" "$VERSION"
check "agent 5 publishes the BATCH caps" wait_for 30 xs_is "$D5/caps" \
	"$CAPS_BATCH"
check "agent 5 publishes forks" wait_for 30 xs_is "$D5/metrics/forks" 300
check "agent 5 publishes pgfault" xs_is "$D5/metrics/pgfault" 50000
check "agent 6 (stock Debian kernel) publishes empty caps" \
	wait_for 30 xs_is "$D6/caps" ""
check "agent 6 publishes its version" xs_is "$D6/agent" "$VERSION"
check "agent 6 publishes why it lacks caps" \
	xs_is "$D6/caps-reason" kernel-lacks-ptswitch-note
check "agent 5 publishes an empty caps-reason" xs_is "$D5/caps-reason" ""
check "values sit under the guest's own home" \
	xs_absent /local/domain/0/data/ptswitch/agent

# Metrics are written only when they change: with a static root, the
# watch sees its registration event and nothing for 3 intervals.
XENSTORED_PATH=$XSLAB_DIR/run/socket timeout 20 \
	xenstore-watch "$D5/metrics" >"$LAB/mwatch.out" 2>&1 &
MWATCH=$!
wait_for 10 test -s "$LAB/mwatch.out"
sleep 3.5
check "unchanged metrics are not rewritten" \
	test "$(wc -l <"$LAB/mwatch.out")" -eq 1
kill "$MWATCH" 2>/dev/null
wait "$MWATCH" 2>/dev/null
sed -i 's/^processes 300$/processes 301/' "$ROOT5/proc/stat"
check "a changed counter is republished" \
	wait_for 30 xs_is "$D5/metrics/forks" 301

# --- handshake ---
check "dom0 writes request 1 batch for dom5" request 5 "1 batch"
check "capable guest acks 1 ok" wait_for 30 xs_is "$D5/ack" "1 ok"
check "dom0 writes request 1 batch for dom6" request 6 "1 batch"
check "stock guest refuses with the reason" wait_for 30 xs_is "$D6/ack" \
	"1 refuse kernel-lacks-ptswitch-note"

# Malformed, hostile and stale requests are ignored; a later valid one
# is answered, which proves the agent read past them.
for bad in "garbage" "" "2" "2 batch " "2 BATCH" "-2 batch" "02 batch" \
	"18446744073709551616 batch" "2 batch\\x00x" "\\x01\\xff 2 batch" \
	"$(head -c 3000 /dev/zero | tr '\0' 9) batch" "1 emulate"; do
	request 5 "$bad"
done
sleep 1.5
check "ignored requests left the ack alone" xs_is "$D5/ack" "1 ok"
check "agent 5 survived hostile requests" agent_alive 5
check "agent 5 saw and logged them" \
	grep -q 'ignoring malformed request "-2 batch"' "$LAB/agent5.log"
request 5 "2 emulate"
check "next valid request is answered" wait_for 30 xs_is "$D5/ack" "2 ok"
request 5 "18446744073709551615 batch"
check "the largest seq is answered" wait_for 30 xs_is "$D5/ack" \
	"18446744073709551615 ok"

# Re-check at request time: the kernel withdraws its opt-in.
echo 0 >"$ROOT5/sys/hypervisor/ptswitch/vm_assist"
timeout 5 xenstore-rm "$D5/ack"
request 5 "3 batch" # stale now (seq below the last answered): ignored
sleep 1.5
check "stale request after a high seq is ignored" xs_absent "$D5/ack"
check "... and the agent logs why" grep -q \
	'ignoring request "3 batch": its seq is not above the last one answered (18446744073709551615)' \
	"$LAB/agent5.log"
check "the withdrawn opt-in shows in caps and caps-reason" \
	wait_for 30 eval "xs_is $D5/caps '' && xs_is $D5/caps-reason vm-assist-off"

# --- a guest's permissions ---
check_not "the agent's guest cannot write ptswitch/request" \
	as_guest 5 xenstore-write ptswitch/request "9 batch"
check "dom0 sees the guest's values" xs_is "$D5/caps" ""

# --- xenstore goes away and comes back ---
timeout 5 xenstore-rm "$D5/agent"
_xslab_stop_pid "$XSLAB_DIR/guest/5.pid"
sleep 2
check "agent 5 survives losing xenstore" agent_alive 5
xslab_guest_env 5 >/dev/null
check "agent 5 reconnects and republishes" \
	wait_for 60 xs_is "$D5/agent" "$VERSION"
request 5 "1 batch"
timeout 5 xenstore-rm "$D6/ack"
request 6 "2 batch"
check "agent 6 still answers" wait_for 30 xs_is "$D6/ack" \
	"2 refuse kernel-lacks-ptswitch-note"

# --- restart: what was answered is not answered again ---
kill -TERM "$(agent_pid 6)"
wait "$(agent_pid 6)"
timeout 5 xenstore-rm "$D6/agent"
XENSTORED_PATH=$XSLAB_DIR/run/socket timeout 30 \
	xenstore-watch "$D6/ack" >"$LAB/awatch.out" 2>&1 &
AWATCH=$!
wait_for 10 test -s "$LAB/awatch.out"
start_agent 6 "$FIX/debian-6.1-pv-domu"
check "restarted agent 6 republishes" wait_for 30 xs_is "$D6/agent" "$VERSION"
sleep 1.5
check "restarted agent does not re-answer request 2" \
	test "$(wc -l <"$LAB/awatch.out")" -eq 1
kill "$AWATCH" 2>/dev/null
wait "$AWATCH" 2>/dev/null
request 6 "3 batch"
check "restarted agent answers the next request" wait_for 30 xs_is \
	"$D6/ack" "3 refuse kernel-lacks-ptswitch-note"

# --- clean stop ---
for d in 5 6; do
	pid=$(agent_pid $d)
	kill -TERM "$pid"
	rc=0
	if wait_for 30 eval "! kill -0 $pid"; then
		wait "$pid"
		rc=$?
	else
		rc=timeout
	fi
	check "agent $d exits 0 on SIGTERM (rc=$rc)" test "$rc" = 0
done
check "no sanitizer report in the agents' logs" \
	eval "! grep -l 'Sanitizer\\|runtime error' $LAB/agent*.log"
[ "$T_FAIL" -eq 0 ] || tail -n 30 "$LAB"/agent*.log
finish

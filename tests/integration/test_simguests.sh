#!/bin/bash
# SPDX-License-Identifier: MIT
# Integration test of simguests against Debian's real xenstored (xslab):
# one dom0 connection plays the agents of several domains, publishes
# trace metrics, answers requests per the map's ack= option, follows
# domains that come and go.  The test plays ptswitchd as dom0.
#
# usage: tests/integration/test_simguests.sh   (PTSWITCH_BUILD: build/san)
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SG=$PTSWITCH_BUILD/simguests
TR=$TOP/tests/traces
[ -x "$SG" ] || { echo "no $SG (make tools)"; exit 1; }
lab_setup

CAPS_BATCH="missing-pde spurious-fault lazy-flush"
VERSION=$(sed -n 's/^#define PTSWITCH_VERSION "\(.*\)"$/\1/p' \
	"$TOP/common/ptswitch.h")

# --- command line ---
check "--help documents the ack option" eval "'$SG' --help | grep -q 'ack=ok|refuse|silent'"
for bad in "" "--map" "--map x extra" "--map x --interval 0" \
	"--map x --duration -1" "--bogus"; do
	# shellcheck disable=SC2086
	"$SG" $bad >/dev/null 2>&1
	check "usage error '$bad' exits 2" test $? -eq 2
done
printf '1 %s/idle.trace vcpus=0\n' "$TR" >"$LAB/bad.map"
"$SG" --map "$LAB/bad.map" --duration 1 >/dev/null 2>"$LAB/bad.err"
check "a bad map fails" test $? -ne 0
check "the error names map file and line" \
	grep -q "bad.map:1: vcpus must be" "$LAB/bad.err"

# --- a small fleet ---
for d in 1 2 3 6; do xslab_add_domain $d "sim$d" >/dev/null; done
cp "$TR/webserver.trace" "$LAB/"
cat >"$LAB/fleet.map" <<EOF
# domid trace options
1 webserver.trace offset=5
2 $TR/kernel-build.trace ack=refuse vcpus=2
3 $TR/idle.trace optin=no ack=silent
5 $TR/fork-heavy.trace
6 $TR/idle.trace caps=none
EOF
"$SG" --map "$LAB/fleet.map" --interval 1 --verbose \
	>"$LAB/sg.out" 2>"$LAB/sg.err" &
SGPID=$!

D=/local/domain
check "dom1 agent written" wait_for 30 xs_is $D/1/data/ptswitch/agent \
	"simguests $VERSION"
check "dom1 caps: all BATCH capabilities" \
	wait_for 10 xs_is $D/1/data/ptswitch/caps "$CAPS_BATCH"
check "dom3 (optin=no) advertises no capability" \
	wait_for 10 xs_is $D/3/data/ptswitch/caps ""
check "dom6 caps=none advertises nothing" \
	wait_for 10 xs_is $D/6/data/ptswitch/caps ""
check "the nodes belong to the guest, not dom0" eval \
	"xenstore-ls -p $D/1/data/ptswitch | grep -q '^agent = .*(n1)'"
check "dom5 (not yet created) gets nothing" xs_absent $D/5/data/ptswitch/agent

for m in forks pgfault pgmajfault ctxt; do
	check "dom1 metric $m published" wait_for 10 xenstore-read \
		$D/1/data/ptswitch/metrics/$m
done

# prefix_sum_ok TRACE OFFSET COLUMN VALUE: VALUE is the sum of the first k
# rows of COLUMN from OFFSET on, for some k >= 1 (what an agent that took
# k one-second rows would have published).
prefix_sum_ok() {
	awk -v off="$2" -v col="$3" -v want="$4" '
		/^[0-9]/ { v[n++] = $col }
		END {
			s = 0
			for (k = 0; k < 2 * n; k++) {
				s += v[(off + k) % n]
				if (s == want) exit 0
				if (s > want) exit 1
			}
			exit 1
		}' "$1"
}
pg1=$(xenstore-read $D/1/data/ptswitch/metrics/pgfault)
# Column 9 of a row is pgfault (7 run/write columns, then forks).
check "dom1 pgfault ($pg1) is a prefix sum of its trace from row 5" \
	prefix_sum_ok "$TR/webserver.trace" 5 9 "$pg1"
metric_moved() {
	[ "$(xenstore-read $D/1/data/ptswitch/metrics/pgfault)" != "$pg1" ]
}
check "dom1 pgfault moves on" wait_for 10 metric_moved
pg1=$(xenstore-read $D/1/data/ptswitch/metrics/pgfault)
check "... and is still a prefix sum ($pg1)" \
	prefix_sum_ok "$TR/webserver.trace" 5 9 "$pg1"

# --- handshake ---
request() { timeout 5 xenstore-write "$D/$1/ptswitch/request" "$2"; }
ack_is() { xs_is "$D/$1/data/ptswitch/ack" "$2"; }

request 1 "1 batch"
check "dom1 ack=ok acks batch" wait_for 10 ack_is 1 "1 ok"
request 2 "1 batch"
check "dom2 ack=refuse refuses batch" wait_for 10 ack_is 2 "1 refuse sim-refuse"
request 2 "2 emulate"
check "dom2 ack=refuse accepts emulate" wait_for 10 ack_is 2 "2 ok"
request 6 "7 batch"
check "dom6 without caps refuses batch" \
	wait_for 10 ack_is 6 "7 refuse missing-caps"
request 3 "1 batch"
# Give it as long as the others needed, then some.
sleep 2
check "dom3 ack=silent never answers" xs_absent $D/3/data/ptswitch/ack

# Stale and unrelated events are not answered again.
timeout 5 xenstore-rm $D/1/data/ptswitch/ack
request 1 "1 batch"
timeout 5 xenstore-write $D/1/ptswitch/mode batch
sleep 2
check "a repeated seq is not answered again" xs_absent $D/1/data/ptswitch/ack
request 1 "seven batch"
sleep 1
check "a malformed request is not answered" xs_absent $D/1/data/ptswitch/ack
request 1 "2 emulate"
check "the next seq is answered" wait_for 10 ack_is 1 "2 ok"

# --- domains coming and going ---
xslab_add_domain 5 sim5 >/dev/null
check "a domain created later gets its agent" \
	wait_for 20 xs_is $D/5/data/ptswitch/caps "$CAPS_BATCH"
xslab_del_domain 2 >/dev/null
check "a destroyed domain's agent stops" \
	wait_for 20 grep -q "dom2: domain gone" "$LAB/sg.err"
sleep 2
check "and nothing recreates its nodes" xs_absent $D/2
check "simguests is still running" kill -0 $SGPID

kill -TERM $SGPID
wait $SGPID
check "SIGTERM: clean exit" test $? -eq 0
check "the summary line counts the acks" \
	grep -q "total domains=5 started=5 stopped=1 .* acks_ok=3 acks_refuse=2 unanswered=1 malformed=1" \
	"$LAB/sg.out"
grep -q "ERROR: AddressSanitizer\|runtime error" "$LAB/sg.err" &&
	not_ok "sanitizer report in simguests' log" || ok "no sanitizer report"

# --- a bounded run ends by itself ---
"$SG" --map "$LAB/fleet.map" --duration 2 >"$LAB/sg2.out" 2>&1
check "--duration 2 exits 0" test $? -eq 0
check "... with a summary" grep -q "^simguests: total domains=5" "$LAB/sg2.out"

# --- xenstored goes away: simguests notices and fails ---
"$SG" --map "$LAB/fleet.map" --interval 1 >"$LAB/sg3.out" 2>"$LAB/sg3.err" &
SGPID=$!
check "simguests up again" wait_for 20 grep -q "domains present" "$LAB/sg3.err"
xslab_stop
sg_gone() { ! kill -0 $SGPID 2>/dev/null; }
check "simguests exits when xenstored is gone" wait_for 20 sg_gone
sg_gone || kill -9 $SGPID # never hang the suite on a failure
wait $SGPID
check "... with status 1" test $? -eq 1
check "... saying why" grep -q "xenstore connection lost" "$LAB/sg3.err"

echo "$T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]

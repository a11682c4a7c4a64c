#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchctl status against the real xenstored: each guest's mode,
# desired mode, reason, saving, switches and time since its last switch;
# one guest by name or domid; an unknown guest, a usage error, no daemon
# running: a clear message and a non-zero exit; and it never writes
# xenstore (a watch on / sees nothing, the tree is unchanged).
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
daemon_lab "$AGENT" "$CTL"

pin_policy batch
xslab_add_domain 1 g1 || exit 1
xslab_add_domain 2 g2 || exit 1
printf '1 %s optin=yes\n2 %s optin=yes\n' "$TRACES/idle.trace" \
	"$TRACES/idle.trace" >"$D/sim.map"
capable_agent 1
start_daemon
check "g1 reaches batch" wait_for 30 xs_is $T/domain/1/mode batch

out=$("$CTL" status 2>"$D/err")
check "status exits 0 with the daemon running" test $? -eq 0
echo "$out" | sed 's/^/  ctl: /'
check "it names the daemon" grep -q "^ptswitchd: pid $DPID, enforce" <<<"$out"
check "g1: batch, desired batch, no runtime pin, pinned, 1 switch, seconds ago" \
	grep -qE '^1 +g1 +batch +batch +- +pinned +(-|[+-][0-9]+%) +1  [0-9]+s ago$' <<<"$out"
check "g2: emulate, never switched" \
	grep -qE '^2 +g2 +emulate +emulate +- +[a-z:-]+ +(-|[+-][0-9]+%) +0  never$' <<<"$out"
check "one guest by name" test "$("$CTL" status g1 | grep -c '^[0-9]')" -eq 1
check "one guest by domid" test "$("$CTL" status 2 | grep -cE '^2 +g2 ')" -eq 1
"$CTL" status nosuch >"$D/out" 2>"$D/err"
check "an unknown guest: exit 1" test $? -eq 1
check "with a message naming it" grep -q "no guest 'nosuch'" "$D/err"
"$CTL" status a b >"$D/out" 2>"$D/err"
check "extra arguments: usage error 2" test $? -eq 2
"$CTL" frobnicate >"$D/out" 2>"$D/err"
check "an unknown command: usage error 2" test $? -eq 2
check "saying so" grep -q "unknown command" "$D/err"

stop_daemon
before=$(xenstore-ls -f / 2>/dev/null)
xenstore-watch / >"$D/watch" 2>&1 &
WPID=$!
wait_for 5 test -s "$D/watch"
out=$("$CTL" status 2>"$D/err")
rc=$?
"$CTL" status g1 >/dev/null 2>&1
sleep 0.5
kill "$WPID" 2>/dev/null
check "no daemon: exit 3" test $rc -eq 3
check "saying it is not running and the state may be stale" \
	grep -q "ptswitchd is not running; what follows was published by pid $DPID and may be stale" "$D/err"
check "the last published state is still shown" grep -qE '^1 +g1 +batch' <<<"$out"
check "no xenstore write: the watch on / fired only when set up ($(wc -l <"$D/watch") events)" \
	test "$(wc -l <"$D/watch")" -eq 1
check "no xenstore write: the tree is unchanged" \
	test "$(xenstore-ls -f / 2>/dev/null)" = "$before"
XENSTORED_PATH=$LAB/none "$CTL" status >"$D/out" 2>"$D/err"
check "no xenstored: exit 1" test $? -eq 1
check "with a message" grep -q "cannot connect to xenstore" "$D/err"
check "ptswitchctl.8 renders without warnings" \
	test -z "$(groff -t -man -ww -z -Tutf8 "$TOP/man/ptswitchctl.8" 2>&1)"
finish

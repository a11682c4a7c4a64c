#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon's own xenstore client (daemon/xswire.c under daemon/store.c)
# against the real xenstored, checked with the stock xenstore tools:
# posted writes land in order, a failed one is logged and retried, long
# directories come in parts, events read during a call are kept, and
# several reads share one trip.
set -u
. "$(dirname "$0")/lib.sh"
lab_setup
C=$PTSWITCH_BUILD/xs-storecheck
D=$LAB/store
mkdir -p "$D"

# More posted writes than may be in flight at once (64), and a directory
# longer than one xenstore reply (4096 bytes): 700 x "child-NNNN".
check "700 posted writes complete" "$C" post-many /tool/sc/many 700
check "... xenstored holds all 700" \
	eval '[ "$(xenstore-list /tool/sc/many | wc -l)" -eq 700 ]'
check "... with the values posted" \
	eval 'xs_is /tool/sc/many/child-0000 0000 && xs_is /tool/sc/many/child-0699 0699'
"$C" ls /tool/sc/many >"$D/ls.out" 2>"$D/ls.err"
check "a 7.7 KB directory is listed in parts" \
	eval '[ "$(sort "$D/ls.out")" = "$(xenstore-list /tool/sc/many | sort)" ]'
check "... all 700 names" eval '[ "$(wc -l <"$D/ls.out")" -eq 700 ]'
check "a short directory is listed" \
	eval '[ "$("$C" ls /tool/sc 2>/dev/null)" = many ]'
check_not "listing a missing directory fails" "$C" ls /tool/sc/none

check "a read after a posted write sees it" \
	eval '[ "$("$C" post-read /tool/sc/x hello 2>/dev/null)" = hello ]'
check "... and xenstored has it" xs_is /tool/sc/x hello

"$C" post-bad /tool/sc/good yes >"$D/bad.out" 2>"$D/bad.err"
check "a refused posted write does not stop the client" [ $? -eq 0 ]
check "... the write after it lands" xs_is /tool/sc/good yes
check "... the refusal is logged with its path, each time" \
	eval '[ "$(grep -c "cannot write /tool//bad: Invalid argument" "$D/bad.err")" -eq 2 ]'
check "... and retried while the good one is not (3 writes)" \
	grep -q "^writes=3$" "$D/bad.err"

"$C" events /tool/sc/ev >"$D/ev.out" 2>"$D/ev.err"
check "events: the client exits cleanly" [ $? -eq 0 ]
check "... events read during a call are pending" grep -q "^pending=1$" "$D/ev.out"
for k in a b c; do
	check "... the event for $k is kept" grep -q "^/tool/sc/ev/$k tok$" "$D/ev.out"
done
check "... and the watch's first firing" grep -q "^/tool/sc/ev tok$" "$D/ev.out"

xenstore-write /tool/sc/r1 one /tool/sc/r2 "two words"
"$C" read-many /tool/sc/r1 /tool/sc/none /tool/sc/r2 >"$D/rm.out" 2>&1
check "several reads in one trip" [ $? -eq 0 ]
check "... the first value" grep -q "^/tool/sc/r1 3 one$" "$D/rm.out"
check "... a missing node says ENOENT" grep -q "^/tool/sc/none -2 $" "$D/rm.out"
check "... the last value" grep -q "^/tool/sc/r2 9 two words$" "$D/rm.out"

echo "$T_PASS passed, $T_FAIL failed"
[ "$T_FAIL" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo, shortened: demo/run-demo.sh runs to the end, and its tables
# show every guest's modeled saving (the SAVING column was blank when the
# demo read a stats/saving node that no longer exists).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need_bins "$PTSWITCH_BUILD/ptswitchd" "$PTSWITCH_BUILD/ptswitch-agent"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

DEMO_SECONDS=16 DEMO_TABLE_EVERY=16 "$TOP/demo/run-demo.sh" \
	"$PTSWITCH_BUILD" >"$out" 2>&1
check "the demo runs to its end" test $? -eq 0
sed 's/^/  demo: /' "$out" | grep -A9 'DOMID NAME' | head -n 20

# The last table: the header, then one row per guest (the daemon's log
# lines may come between them).
table=$(awk '/DOMID +NAME +MODE +STATE +REASON +SAVING/ {t = ""; on = 1; next}
	on && NF == 0 {on = 0}
	on && /^ +[0-9]+ +[a-z]/ {t = t $0 "\n"}
	END {printf "%s", t}' "$out")
check "the demo prints a table of its seven guests" \
	test "$(grep -c . <<<"$table")" -eq 7
# SAVING is the last column: a signed percentage.
bad=$(awk '$NF !~ /^[+-][0-9]+%$/' <<<"$table")
check "every row shows a saving as a percentage (bad rows: ${bad:-none})" \
	test -z "$bad"
check "the fork-heavy guest's saving is positive" \
	eval "grep -E '^ +3 +fork-1 ' <<<\"\$table\" | grep -qE ' \\+[0-9]+%\$'"
check "the summary has a SAVING column" grep -qE '^DOMID .* SAVING' "$out"
finish

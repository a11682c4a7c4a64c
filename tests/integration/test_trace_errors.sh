#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitch-eval names what is wrong with a bad trace row: a row whose time
# is negative, signed or not a number is a bad time, not an unknown
# keyword (issue 20 item 9).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${PTSWITCH_BUILD:-$TOP/build}
EVAL=$BUILD/ptswitch-eval
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trace-errors.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fields=$(grep -m1 '^fields' "$TOP/tests/traces/idle.trace")
row=$(grep -m1 '^[0-9]' "$TOP/tests/traces/idle.trace")
rest=${row#* }

# check TIME WANT: a trace whose only row starts with TIME fails with WANT.
check() {
	local time=$1 want=$2 out
	printf 'ptswitch-trace 1\nname t\n%s\n%s %s\n' "$fields" "$time" \
		"$rest" >"$tmp/t.trace"
	out=$("$EVAL" "$tmp/t.trace" 2>&1 >/dev/null)
	if [ $? -ne 0 ] && grep -qF -- "t.trace:4: $want" <<<"$out"; then
		echo "ok   - time '$time': $want"
		pass=$((pass + 1))
	else
		echo "FAIL - time '$time': wanted '$want', got: $out"
		fail=$((fail + 1))
	fi
}
for t in -5 +5 nan inf -inf NaN .5; do
	check "$t" "bad time '$t'"
done
check frobnicate "unknown keyword 'frobnicate'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

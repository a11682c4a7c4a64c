#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/trixie/fork-figures.sh, the CI log's fork table, on made-up console
# logs: a row with figures, a missing log (fails), a stale log (fails
# with --since), and a run that recorded why it skipped its patched part
# (a row that reads skipped, not a failure, as long as the record is
# fresh: a cold CI run has no Xen 4.20 source to build from).
set -u
# ok, not_ok, finish
. "$(dirname "$0")/lib.sh"
FF=$TOP/tests/trixie/fork-figures.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/forkfig.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b"

console() {
	cat <<'LOG'
(XEN) Xen version 4.17.5 (Debian ) debug=n
E2E: RESULT emulate forkbench: label=emulate mib=128 forks=20 fork_us_median=193027 result=ok
E2E: RESULT batch forkbench: label=batch mib=128 forks=20 fork_us_median=40548 result=ok
E2E: RESULT ratio emulate/batch fork median 4.76
E2E: PASS forks
LOG
}

# expect RC PATTERN WHAT ARGS...: fork-figures.sh ARGS exits RC and its
# output holds PATTERN.
expect() {
	local want=$1 pattern=$2 what=$3 out rc
	shift 3
	out=$("$FF" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -q "$pattern" <<<"$out"; then
		ok "$what"
	else
		not_ok "$what: exit $rc: $out"
	fi
}

touch -d '2 hours ago' "$tmp/old"
console >"$tmp/a/console.log"
touch -d '1 hour ago' "$tmp/since"

out=$("$FF" --since "$tmp/since" "good=$tmp/a/console.log" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q '4.76' <<<"$out" &&
	grep -q '193.0 ms' <<<"$out" && grep -q '40.5 ms' <<<"$out"; then
	ok "a log with figures gives its row, exit 0"
else
	not_ok "a log with figures: exit $rc: $out"
fi

expect 1 'no log' "a missing log fails" \
	"good=$tmp/a/console.log" "gone=$tmp/b/console.log"

console >"$tmp/b/console.log"
touch -d '3 hours ago' "$tmp/b/console.log"
expect 1 'stale' "a log older than --since fails" \
	--since "$tmp/since" "stale=$tmp/b/console.log"

rm -f "$tmp/b/console.log"
echo "SKIP - patched Xen 4.20: no source to build it from" \
	>"$tmp/b/patched-skipped"
expect 0 'skipped: SKIP - patched Xen 4.20' \
	"a fresh skip record makes the row read skipped, exit 0" \
	--since "$tmp/since" "good=$tmp/a/console.log" \
	"skipped=$tmp/b/console.log"

touch -d '3 hours ago' "$tmp/b/patched-skipped"
expect 1 'no log' \
	"a skip record from an earlier run does not excuse a missing log" \
	--since "$tmp/since" "skipped=$tmp/b/console.log"

finish

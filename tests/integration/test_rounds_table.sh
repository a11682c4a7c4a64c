#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/traces/record/rounds-table.sh, the wall-time table of record.sh
# --rounds, on made-up console logs: the table and the means of a good
# run (its warm-up round shown, not averaged), and the runs that must
# fail: a damaged trace, a BATCH round in which no batch happened, an
# EMULATE round with batches, a workload measured in one mode only, a
# failure dom0 reported.
set -u
# ok, not_ok, finish
. "$(dirname "$0")/lib.sh"
RT=$TOP/tests/traces/record/rounds-table.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roundstab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

trace_line='1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1000'
sum=$(printf '%s\n' "$trace_line" | md5sum | cut -d' ' -f1)

# round W R MODE SECS BATCHES: the console lines of one round.
round() {
	printf '[  %d.0] REC: ROUND %s %s %s %s tps 1.0\r\n' "$2" "$1" "$2" \
		"$3" "$4"
	printf '[  1.0] REC: RHV %s %s mode %s\r\n' "$1" "$2" "$3"
	printf 'REC: RHV %s %s emulated_writes 10\n' "$1" "$2"
	printf 'REC: RHV %s %s batches %s\n' "$1" "$2" "$5"
	printf 'REC: LINE %s-r%s-%s %s\n' "$1" "$2" "$3" "$trace_line"
	printf 'REC: SUM %s-r%s-%s %s\n' "$1" "$2" "$3" "$sum"
}

good() {
	round db 0 emulate 99.0 0
	round db 1 emulate 40.0 0
	round db 2 batch 20.0 7
	round db 3 batch 22.0 9
	round db 4 emulate 44.0 0
}

# run NAME: rounds-table.sh on $tmp/NAME.log into $tmp/NAME.
run() {
	out=$("$RT" --header "made up" "$tmp/$1.log" "$tmp/$1" 2>&1)
	rc=$?
}

good >"$tmp/good.log"
run good
if [ "$rc" -eq 0 ] && grep -q '| db | 42.00 (2) | 21.00 (2) | 2.00 |' <<<"$out" &&
	grep -q '| db | 2 | batch | 20.0 | 10 | 7 |' <<<"$out" &&
	grep -q '| db | 0 (warm-up) | emulate | 99.0 |' <<<"$out"; then
	ok "a good run gives its rounds and the means per mode without the warm-up, exit 0"
else
	not_ok "a good run: exit $rc: $out"
fi
if [ -s "$tmp/good/db-r2-batch.trace" ] &&
	grep -q "^# made up" "$tmp/good/db-r2-batch.trace" &&
	grep -q "^# round 2 of workload db, in batch throughout" \
		"$tmp/good/db-r2-batch.trace" &&
	grep -qx "$trace_line" "$tmp/good/db-r2-batch.trace"; then
	ok "each round's trace is written, with the header"
else
	not_ok "the round's trace: $(ls "$tmp/good")"
fi

# fails NAME PATTERN WHAT: rounds-table.sh on NAME's log exits 1 and
# says PATTERN.
fails() {
	run "$1"
	if [ "$rc" -eq 1 ] && grep -q "$2" <<<"$out"; then
		ok "$3 fails"
	else
		not_ok "$3: exit $rc: $out"
	fi
}

good | sed 's/^REC: SUM db-r3-batch .*/REC: SUM db-r3-batch 0123/' \
	>"$tmp/damaged.log"
fails damaged 'db-r3-batch: trace damaged' "a damaged trace"

good | sed 's/batches 9/batches 0/' >"$tmp/nobatch.log"
fails nobatch 'round 3: BATCH round without a batch' \
	"a BATCH round without a batch"

good | sed 's/RHV db 1 batches 0/RHV db 1 batches 4/' >"$tmp/embatch.log"
fails embatch 'round 1: EMULATE round with 4 batches' \
	"an EMULATE round with batches"

{
	good
	round redis 1 emulate 30.0 0
} >"$tmp/onemode.log"
fails onemode 'redis: no round in BATCH' "a workload measured in one mode only"

{
	good
	echo "REC: FAIL rec-kbuild not ready after 1800s"
} >"$tmp/fail.log"
fails fail 'dom0: rec-kbuild not ready' "a failure dom0 reported"

finish

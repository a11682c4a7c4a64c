#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/forkbench on the host (the sanitizer build of make check): a few
# small rounds must pass and report, a child that sees damaged memory must
# be caught, and bad arguments must be refused.  The benchmark itself runs
# in the guests of guestagent/linux-patches/fork-e2e.sh.
set -u
. "$(dirname "$0")/lib.sh"
FB=$PTSWITCH_BUILD/forkbench

out=$("$FB" -m 4 -f 5 -l host -v 2>&1)
rc=$?
check "5 forks of a 4 MiB parent pass" [ $rc -eq 0 ]
check "... with one line per fork" \
	[ "$(grep -c '^fork [0-9]* ' <<<"$out")" -eq 5 ]
sum=$(grep '^forkbench: ' <<<"$out")
check "... and a summary line ($sum)" \
	grep -qE '^forkbench: label=host mib=4 forks=5 fork_us_median=[0-9]+ .* bad_child=0 bad_parent=0 final=ok result=ok$' <<<"$sum"
check "... whose p10 <= median <= p90" awk '{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	exit !(v["fork_us_p10"] <= v["fork_us_median"] &&
	       v["fork_us_median"] <= v["fork_us_p90"]) }' <<<"$sum"

out=$("$FB" -m 4 -f 5 -l host -t 2>&1)
rc=$?
sum=$(grep '^forkbench: ' <<<"$out")
check "-t: the side threads run and pass ($sum)" [ $rc -eq 0 ]
check "... and report their passes, rounds and checks" \
	grep -qE ' final=ok reader_passes=[1-9][0-9]* reader_bad=0 churn_rounds=[1-9][0-9]* churn_bad=0 side_error=0 result=ok$' <<<"$sum"

out=$("$FB" -m 2 -f 3 --corrupt-child 2>&1)
rc=$?
check "a child seeing damaged memory makes it exit 1" [ $rc -eq 1 ]
check "... counted in bad_child, result FAIL" \
	grep -q 'bad_child=3 bad_parent=0 final=ok result=FAIL' <<<"$out"

"$FB" -m 0 >/dev/null 2>&1
check "-m 0 is refused (exit 2)" [ $? -eq 2 ]
"$FB" -f x >/dev/null 2>&1
check "-f x is refused (exit 2)" [ $? -eq 2 ]
"$FB" stray >/dev/null 2>&1
check "a stray argument is refused (exit 2)" [ $? -eq 2 ]
finish

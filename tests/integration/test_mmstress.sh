#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/mmstress on the host (the sanitizer build of make check): a short
# bounded run must pass with every feature either run or skipped with a
# reason, the corruption switch must make it report the damaged page and
# fail, and bad arguments must be refused.  --no-sysfs: a test changes no
# system-wide setting (KSM's), and it is given no swap.  The stress itself
# runs in the guests of guestagent/linux-patches/smp-e2e.sh and
# kdeb-e2e.sh.
set -u
. "$(dirname "$0")/lib.sh"
MM=$PTSWITCH_BUILD/mmstress
need_bins "$MM"

out=$("$MM" -s 2 -l host --no-sysfs 2>&1)
rc=$?
sum=$(grep '^mmstress: label=' <<<"$out")
check "a 2 s run passes ($sum)" [ $rc -eq 0 ]
check "... with a summary line, no bad page" \
	grep -qE '^mmstress: label=host seconds=[0-9]+ rounds=[1-9][0-9]* workers=2 .* bad_pages=0 child_bad=0 ran=.* skipped=.* result=ok$' <<<"$sum"
check "... one line per feature (16)" \
	[ "$(grep -cE '^mmstress: feature [a-z_-]+ (ran count=[0-9]+|SKIPPED .+)' <<<"$out")" -eq 16 ]
check "... none failed" [ "$(grep -c ' FAILED ' <<<"$out")" -eq 0 ]
# What every kernel this runs on has: the walkers of mremap, mprotect and
# fork, on two threads.
for f in threads mremap-move mremap-grow mprotect fork madv-dontneed; do
	check "... $f ran" grep -qE "^mmstress: feature $f ran count=[1-9]" \
		<<<"$out"
done
check "... a skipped feature says why" \
	bash -c '! grep -E "^mmstress: feature [a-z_-]+ SKIPPED *$" <<<"$1"' \
	_ "$out"

out=$("$MM" -s 2 --no-sysfs --self-test-corrupt 2>&1)
rc=$?
check "--self-test-corrupt makes it exit 1" [ $rc -eq 1 ]
check "... naming the damaged page" \
	grep -q '^mmstress: BAD main page 7 word 256 at the end of the round' \
	<<<"$out"
check "... which the fork child saw too" \
	grep -q '^mmstress: BAD main page 7 word 256 in the fork child' <<<"$out"
check "... result FAIL after round 1" \
	grep -qE '^mmstress: label=.* rounds=1 .* bad_pages=1 child_bad=1 .* result=FAIL$' \
	<<<"$out"

# --swap: the header is written whatever swapon() says; a sparse file
# is refused by swapon (holes) on every filesystem, so this changes
# nothing on the host, and the refusal is reported with its errno.
dir=$(mktemp -d)
truncate -s 1M "$dir/swap"
out=$("$MM" -s 1 -m 1 --no-sysfs --swap "$dir/swap" 2>&1)
check "--swap on a sparse file: swap SKIPPED with swapon's errno" \
	grep -qE "^mmstress: feature swap SKIPPED swapon $dir/swap: E[A-Z]+$" \
	<<<"$out"
check "... after writing a version-1 swap header" \
	[ "$(dd if="$dir/swap" bs=1 skip=4086 count=10 2>/dev/null)" = SWAPSPACE2 ]
truncate -s 8K "$dir/small"
out=$("$MM" -s 1 -m 1 --no-sysfs --swap "$dir/small" 2>&1)
check "--swap on 8 KiB: too small for a swap area (ENOSPC)" \
	grep -q "^mmstress: feature swap SKIPPED cannot write a swap header on $dir/small: ENOSPC$" \
	<<<"$out"
rm -rf "$dir"

"$MM" -s 0 >/dev/null 2>&1
check "-s 0 is refused (exit 2)" [ $? -eq 2 ]
"$MM" -w 9 >/dev/null 2>&1
check "-w 9 is refused (exit 2)" [ $? -eq 2 ]
"$MM" stray >/dev/null 2>&1
check "a stray argument is refused (exit 2)" [ $? -eq 2 ]
finish

#!/bin/bash
# SPDX-License-Identifier: MIT
# The committed workload traces are exactly what their generator makes
# (tests/traces/gen-traces.py is deterministic), so the assumptions stated
# in the generator and README are the ones the traces carry.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
if python3 "$TOP/tests/traces/gen-traces.py" --check; then
	echo "ok   - committed traces match gen-traces.py"
	pass=$((pass + 1))
else
	echo "FAIL - committed traces differ from gen-traces.py output"
	fail=$((fail + 1))
fi
# A scratch regeneration twice gives identical files (seeded RNG).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/traces.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/a" "$tmp/b"
python3 "$TOP/tests/traces/gen-traces.py" "$tmp/a" &&
	python3 "$TOP/tests/traces/gen-traces.py" "$tmp/b"
if [ "$(ls "$tmp/a" | wc -l)" -eq 6 ] && diff -r "$tmp/a" "$tmp/b" >/dev/null; then
	echo "ok   - the generator is deterministic (6 traces)"
	pass=$((pass + 1))
else
	echo "FAIL - two generator runs differ"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

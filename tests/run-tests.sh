#!/bin/bash
# Run every unit test binary and every integration test script against one
# build directory, and print one closing line: "N passed, N failed".
# Usage: tests/run-tests.sh BUILD_DIR   (make check builds build/san)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-build/san}
case $build in /*) ;; *) build="$top/$build" ;; esac
export PTSWITCH_BUILD="$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 failures=()
run_one() {
	local name=$1; shift
	local log
	log=$(mktemp)
	echo "=== $name"
	if timeout --kill-after=10 "${TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		tail -n 3 "$log"
		echo "--- PASS $name"
	else
		failed=$((failed + 1))
		failures+=("$name")
		cat "$log"
		echo "--- FAIL $name"
	fi
	rm -f "$log"
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$top"/tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" bash "$t"
done

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/bin/bash
# SPDX-License-Identifier: MIT
# Run each libFuzzer harness over its seed corpus for a bounded time (or
# a number of inputs), print what it did, and end with one line:
# "N passed, N failed".
#   tests/fuzz/run-fuzz.sh BUILD_DIR SECONDS [TARGET...]
#   FUZZ_RUNS=N tests/fuzz/run-fuzz.sh BUILD_DIR 0 TARGET...   N inputs
# BUILD_DIR is a FUZZ=1 build (make fuzz builds build/fuzz).  Seeds:
# tests/fuzz/corpus/<target>/ (committed, with every crash's regression
# input) and the fixtures named below; what the fuzzer finds goes to
# BUILD_DIR/corpus/<target>/, crashes to BUILD_DIR/artifacts/<target>/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:-60}
shift 2 || shift $#
case $build in /*) ;; *) build="$top/$build" ;; esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
	targets=(proto policy xswire trace metrics elfnotes)
# A 1 MiB quarantine (ASan's default is 256): freed memory is reused
# sooner, which made fuzz_trace 2.4 times faster here (page faults are
# dear in this VM); a use-after-free within one input is still caught.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Seeds from the fixtures and tests, beside the committed corpus.
seeds() {
	local t=$1 f
	case $t in
	policy)
		echo "$top/config/ptswitch.yaml" ;;
	trace)
		ls "$top"/tests/traces/*.trace "$top"/tests/traces/recorded/*.trace ;;
	metrics)
		for f in "$top"/tests/fixtures/guest/*/proc/vmstat \
			"$top"/tests/fixtures/guest/*/proc/stat; do echo "$f"; done ;;
	elfnotes)
		ls "$top"/tests/fixtures/guest/*/sys/kernel/notes ;;
	esac
}

# Longest input per target: the largest real file it parses, rounded up.
max_len() {
	case $1 in
	proto) echo 512 ;;		# PROTO_MAX_VALUE and then some
	policy) echo 8192 ;;
	xswire) echo 8192 ;;
	trace | metrics) echo 4096 ;;
	elfnotes) echo 4096 ;;
	esac
}

passed=0 failed=0
for t in "${targets[@]}"; do
	bin=$build/fuzz/fuzz_$t
	work=$build/corpus/$t
	art=$build/artifacts/$t/
	log=$build/fuzz-$t.log
	if [ ! -x "$bin" ]; then
		echo "fuzz_$t: not built ($bin)"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work" "$art" "$build/seeds/$t"
	while read -r f; do
		[ -f "$f" ] && cp "$f" "$build/seeds/$t/$(echo "$f" | tr / _)"
	done < <(seeds "$t")
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit=(-runs="$FUZZ_RUNS")
	else
		limit=(-max_total_time="$secs")
	fi
	# Targets seeded only from the fixtures have no committed corpus
	# (yet): libFuzzer refuses a directory that does not exist.
	committed=()
	[ -d "$here/corpus/$t" ] && committed=("$here/corpus/$t")
	start=$(date +%s)
	"$bin" "${limit[@]}" -max_len="$(max_len "$t")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art" "$work" "${committed[@]}" \
		"$build/seeds/$t" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
	ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")
	line="fuzz_$t: ${execs:-?} execs in ${took} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
	if [ $rc -eq 0 ] && [ -n "$execs" ]; then
		echo "$line: ok"
		passed=$((passed + 1))
	else
		echo "$line: FAILED (exit $rc; log $log)"
		grep -E 'ERROR|SUMMARY|check failed|Test unit written' "$log" | head -n 5
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

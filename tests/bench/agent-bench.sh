#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark of ptswitch-agent's footprint (prints figures, not pass/fail):
# resident memory, and wake-ups while idle, against the real xenstored
# (xslab) with the agent holding a guest's connection.
#
# usage: tests/bench/agent-bench.sh [BUILD_DIR] [SECONDS] [INTERVAL]
#   defaults: build (the release build), 30 s, 10 s interval
# Targets: RSS <= 2 MiB; no wake-ups beyond one per metric interval.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
SECS=${2:-30}
INTERVAL=${3:-10}
AGENT=$BUILD/ptswitch-agent
[ -x "$AGENT" ] || { echo "no $AGENT (make)"; exit 1; }
export XSLAB_BUILD=$BUILD
# shellcheck source=../xslab/xslab.sh
. "$TOP/tests/xslab/xslab.sh"

TMP=$(mktemp -d)
APID=
cleanup() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null && wait "$APID" 2>/dev/null
	xslab_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

xslab_start "$TMP/lab" || exit 1
xslab_add_domain 7 bench || exit 1
SOCK=$(xslab_guest_env 7) || exit 1

# switches PID: voluntary + involuntary context switches of all threads,
# i.e. how often the agent's threads were scheduled in.
switches() {
	local t n=0 v
	for t in /proc/"$1"/task/*/status; do
		v=$(awk '/_ctxt_switches:/ { s += $2 } END { print s + 0 }' "$t")
		n=$((n + v))
	done
	echo "$n"
}
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

# run_case NAME ROOT: start the agent, let it settle, then measure.
run_case() {
	local name=$1 root=$2 before after threads
	XENSTORED_PATH=$SOCK "$AGENT" --root "$root" --interval "$INTERVAL" \
		--foreground >"$TMP/agent.log" 2>&1 &
	APID=$!
	for _ in $(seq 100); do
		[ "$(timeout 5 xenstore-read /local/domain/7/data/ptswitch/agent \
			2>/dev/null)" ] && break
		sleep 0.1
	done
	sleep 2 # let the first publication finish
	before=$(switches "$APID")
	sleep "$SECS"
	after=$(switches "$APID")
	threads=$(find /proc/"$APID"/task -mindepth 1 -maxdepth 1 | wc -l)
	printf '%-28s RSS %5s KiB (peak %5s KiB), %d threads, ' "$name" \
		"$(kib "$APID" VmRSS)" "$(kib "$APID" VmHWM)" "$threads"
	printf '%d wake-ups in %d s (%d metric intervals)\n' \
		$((after - before)) "$SECS" $((SECS / INTERVAL))
	kill "$APID"
	wait "$APID" 2>/dev/null
	APID=
	timeout 5 xenstore-rm /local/domain/7/data/ptswitch 2>/dev/null
}

echo "ptswitch-agent $("$AGENT" --version | cut -d' ' -f2), interval" \
	"${INTERVAL} s, idle ${SECS} s, $(basename "$BUILD") build"
echo "libraries mapped: $(ldd "$AGENT" | awk '{ print $1 }' |
	grep -v vdso | tr '\n' ' ')"
# Counters that do not move: every tick finds nothing to write.
run_case "static counters (fixture)" \
	"$TOP/tests/fixtures/guest/synthetic-capable"
# This machine's live /proc: some counters change every interval, so each
# tick writes them (one transaction) to xenstore.
run_case "live counters (/proc)" /

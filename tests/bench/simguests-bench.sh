#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark of simguests alone (prints figures, not pass/fail): N guests
# (default 1000) on the xslab's real xenstored, no daemon.  Reports the
# start-up time of the fleet, then for a steady window: metric writes per
# second and the CPU of simguests and of xenstored, as % of one core.
#
# usage: tests/bench/simguests-bench.sh [BUILD_DIR] [GUESTS] [SECONDS] [-- SIMGUESTS-ARGS]
# e.g.   tests/bench/simguests-bench.sh build 1000 60 -- --interval 1
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
N=${2:-1000}
SECS=${3:-60}
shift $(($# < 3 ? $# : 3))
[ "${1:-}" = "--" ] && shift
export XSLAB_BUILD=$BUILD
# shellcheck source=../xslab/xslab.sh
. "$TOP/tests/xslab/xslab.sh"

TMP=$(mktemp -d)
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	xslab_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
last_report() { grep "^simguests: so-far" "$TMP/sg.out" | tail -n 1; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

xslab_start "$TMP/xs" >/dev/null || exit 1
t0=$SECONDS
xslab_add_domains 1 "$N" "sg-" >/dev/null || exit 1
echo "$N domains introduced in $((SECONDS - t0)) s"
traces=(idle webserver kernel-build fork-heavy database phase-change)
for ((i = 1; i <= N; i++)); do
	echo "$i $TOP/tests/traces/${traces[i % 6]}.trace offset=$((i * 7 % 300))"
done >"$TMP/sim.map"
XPID=$(cat "$TMP/xs/xenstored.pid")

"$BUILD/simguests" --map "$TMP/sim.map" --report 1 "$@" \
	>"$TMP/sg.out" 2>"$TMP/sg.err" &
SPID=$!
t0=$(date +%s.%N)
for _ in $(seq 600); do
	grep -q "mapped domains present" "$TMP/sg.err" && break
	sleep 0.1
done
# Started once the first full publication is out: writes >= 6 per guest
# (agent, caps, four metrics).
for _ in $(seq 1200); do
	r=$(last_report)
	[ -n "$r" ] && [ "$(field writes "$r")" -ge $((6 * N)) ] && break
	sleep 0.1
done
echo "fleet started (agent, caps, first metrics of every guest) in" \
	"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
sleep 10
r0=$(last_report)
x0=$(cpu_ticks "$XPID")
sleep "$SECS"
r1=$(last_report)
x1=$(cpu_ticks "$XPID")
awk -v w0="$(field writes "$r0")" -v w1="$(field writes "$r1")" \
	-v s0="$(field seconds "$r0")" -v s1="$(field seconds "$r1")" \
	-v c0="$(field cpu_s "$r0")" -v c1="$(field cpu_s "$r1")" \
	-v x="$((x1 - x0))" -v hz="$HZ" -v n="$N" -v args="$*" 'BEGIN {
	d = s1 - s0
	printf "steady window %.0f s, simguests %s\n", d, args
	printf "  metric writes: %.0f/s (%.2f per guest per second)\n", (w1 - w0) / d, (w1 - w0) / d / n
	printf "  simguests CPU: %.1f %% of one core\n", 100 * (c1 - c0) / d
	printf "  xenstored CPU: %.1f %% of one core (%.0f us per write)\n", 100 * x / hz / d, (w1 > w0) ? 1e6 * x / hz / (w1 - w0) : 0
}'

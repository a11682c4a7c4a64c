#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark of ptswitchd at scale (prints figures, not pass/fail): N
# simulated guests (default 1000) at a 1 s interval against the real
# xenstored (xslab), the sim backend for the hypervisor counters and
# simguests playing every guest's agent.
#
# Three runs, each with a fresh lab:
#   quiet:  no guest writes any PTE and no metric changes: the daemon
#           should issue no xenstore writes at all per tick;
#   mixed:  fork-heavy, database, webserver, kernel-build, phase-change
#           and idle guests: switches happen, stats are refreshed once a
#           window;
#   flood:  the mixed guests, then the last one turns hostile and
#           rewrites its caps as fast as xenstored answers (through its
#           own bridge, with its own privileges): ticks per second and
#           how long other guests take to leave BATCH when they withdraw
#           their caps, SECS seconds without the flood, then SECS with.
# Figures: the daemon's CPU as % of one core (utime+stime over the run)
# and per tick, RSS (VmRSS and VmHWM), xenstore operations and watch
# events per tick as counted by the daemon, tick time (the time to sample
# and decide for every guest; answers to posted writes are collected
# after it), and the load simguests made.
#
# usage: tests/bench/daemon-bench.sh [BUILD_DIR] [GUESTS] [SECONDS]
# BENCH_ONLY=quiet|mixed|flood runs one of them.
# Targets: <= 1 % CPU, <= 8 MiB RSS, 0 writes per tick when quiet.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
N=${2:-1000}
SECS=${3:-60}
export XSLAB_BUILD=$BUILD
# shellcheck source=../xslab/xslab.sh
. "$TOP/tests/xslab/xslab.sh"

TMP=$(mktemp -d)
DPID= SPID=
cleanup() {
	for p in $DPID $SPID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	xslab_stop
	[ -n "${KEEP_BENCH:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# The daemon logs its counters on SIGUSR1: "figures: ticks=.. ...".
# On a busy machine the line may take a while: wait for it (up to 20 s).
figures() {
	local log=$TMP/$1/daemon.log n i
	n=$(grep -c "figures:" "$log")
	kill -USR1 "$DPID"
	for ((i = 0; i < 200; i++)); do
		[ "$(grep -c "figures:" "$log")" -gt "$n" ] && break
		sleep 0.1
	done
	grep "figures:" "$log" | tail -n 1
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }

# A trace in which nothing happens.
quiet_trace() {
	{
		echo "ptswitch-trace 1"
		echo "name quiet"
		echo "fields runs-1 runs-2-9 runs-10-49 runs-50-99 runs-100-511 runs-512 writes forks pgfault"
		for _ in $(seq 60); do echo "0 0 0 0 0 0 0 0 0"; done
	} >"$1"
}

# setup NAME: a fresh lab, N domains, simguests, the daemon, settled.
setup() {
	local name=$1 lab=$TMP/$1 i t
	mkdir -p "$lab"
	xslab_start "$lab/xs" >/dev/null || exit 1
	local t0=$SECONDS
	xslab_add_domains 1 "$N" "bench-" >/dev/null || exit 1
	echo "[$name] $N domains introduced in $((SECONDS - t0)) s"
	quiet_trace "$lab/quiet.trace"
	local mixed=(fork-heavy database webserver kernel-build phase-change idle)
	for ((i = 1; i <= N; i++)); do
		if [ "$name" = quiet ]; then
			t=$lab/quiet.trace
		else
			t=$TOP/tests/traces/${mixed[i % ${#mixed[@]}]}.trace
		fi
		echo "$i $t optin=yes offset=$((i % 97))"
	done >"$lab/sim.map"
	cat >"$lab/policy.yaml" <<-EOF
	action: enforce
	interval: 1s
	window: 10
	dwell: 30s
	EOF

	"$BUILD/simguests" --map "$lab/sim.map" --interval 10 \
		>"$lab/simguests.log" 2>&1 &
	SPID=$!
	sleep 3
	"$BUILD/ptswitchd" --foreground --config "$lab/policy.yaml" \
		--backend "sim:$lab/sim.map" >"$lab/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 300); do
		[ "$(xenstore-read /tool/ptswitch/daemon/pid 2>/dev/null)" = "$DPID" ] && break
		sleep 0.2
	done
	local t_ready=$SECONDS
	until [ "$(xenstore-list /tool/ptswitch/domain 2>/dev/null | wc -l)" -ge "$N" ] ||
		((SECONDS - t_ready > 120)); do sleep 0.5; done
	echo "[$name] daemon managing $(xenstore-list /tool/ptswitch/domain | wc -l) guests"

	# Settle past the first stats period (60 s, staggered by domid).
	sleep "${SETTLE:-70}"
}

run() {
	local name=$1 lab=$TMP/$1
	setup "$name"
	# Measure for SECS seconds.
	local f0 f1 c0 c1 w0 w1 x0 x1 xpid
	xpid=$(cat "$lab/xs/xenstored.pid")
	f0=$(figures "$name")
	x0=$(cpu_ticks "$xpid")
	c0=$(cpu_ticks "$DPID")
	w0=$(date +%s.%N)
	sleep "$SECS"
	f1=$(figures "$name")
	c1=$(cpu_ticks "$DPID")
	x1=$(cpu_ticks "$xpid")
	w1=$(date +%s.%N)
	local ticks=$(($(field ticks "$f1") - $(field ticks "$f0")))
	((ticks > 0)) || ticks=1
	awk -v c=$((c1 - c0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" -v n="$name" \
		'BEGIN { printf "[%s] CPU: %.2f %% of one core over %.0f s\n", n, 100 * c / hz / (w1 - w0), w1 - w0 }'
	# On a loaded machine ticks get late and fewer happen: CPU per
	# tick compares runs better than CPU per second.
	awk -v c=$((c1 - c0)) -v hz="$HZ" -v t="$ticks" -v n="$name" \
		'BEGIN { printf "[%s] CPU per tick: %.2f ms (over %d ticks)\n", n, 1000 * c / hz / t, t }'
	awk -v c=$((x1 - x0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" -v n="$name" \
		'BEGIN { printf "[%s] xenstored CPU (all clients): %.2f %% of one core\n", n, 100 * c / hz / (w1 - w0) }'
	echo "[$name] RSS: $(status_kib "$DPID" VmRSS) KiB (peak $(status_kib "$DPID" VmHWM) KiB)"
	for k in writes reads removes events; do
		awk -v a="$(field xs-$k "$f0")" -v b="$(field xs-$k "$f1")" -v t="$ticks" -v k="$k" -v n="$name" \
			'BEGIN { printf "[%s] xenstore %s per tick: %.2f (%d over %d ticks)\n", n, k, (b - a) / t, b - a, t }'
	done
	echo "[$name] tick time (sample + decide for $N guests): last $(field tick-us-last "$f1") us, max $(field tick-us-max "$f1") us"
	echo "[$name] guests in batch: $(xenstore-ls /tool/ptswitch/domain | grep -c '^ mode = "batch"')"
	echo "[$name] switches so far: $(grep -c 'switched' "$lab/daemon.log")"
	kill "$SPID" "$DPID"
	wait "$SPID" "$DPID" 2>/dev/null
	SPID= DPID=
	# The load the guests made (whole run): compare runs at equal load.
	echo "[$name] simguests (whole run): $(grep '^simguests: total' "$lab/simguests.log" |
		grep -o 'writes_per_s=[0-9]*\|acks_ok=[0-9]*' | tr '\n' ' ')"
	xslab_stop
}

# ms for up to 5 guests in BATCH to be back in EMULATE after their caps
# are withdrawn (written as dom0, as simguests does), then caps restored.
probe_leave() {
	local d t0 i out=""
	for d in $(xenstore-ls /tool/ptswitch/domain 2>/dev/null | awk -v n="$N" '
		/^[0-9]+ = / { d = $1 }
		/^ mode = "batch"/ && d < n { print d; if (++k == 5) exit }'); do
		t0=$(date +%s%N)
		xenstore-write "/local/domain/$d/data/ptswitch/caps" ""
		for ((i = 0; i < 1000; i++)); do
			[ "$(xenstore-read "/tool/ptswitch/domain/$d/mode")" = emulate ] && break
			sleep 0.01
		done
		out="$out $((($(date +%s%N) - t0) / 1000000))"
		xenstore-write "/local/domain/$d/data/ptswitch/caps" \
			"missing-pde spurious-fault lazy-flush"
	done
	echo "${out# }"
}

# flood_phase LABEL: SECS seconds; ticks per second and probe_leave.
flood_phase() {
	local f0 f1 w0 w1 lat
	f0=$(figures flood)
	w0=$(date +%s.%N)
	sleep $((SECS / 2))
	lat=$(probe_leave)
	sleep $((SECS - SECS / 2))
	f1=$(figures flood)
	w1=$(date +%s.%N)
	awk -v t=$(($(field ticks "$f1") - $(field ticks "$f0"))) -v w0="$w0" \
		-v w1="$w1" -v l="$1" \
		'BEGIN { printf "[flood] %s: %.2f ticks/s (interval 1 s)\n", l, t / (w1 - w0) }'
	echo "[flood] $1: ms from caps withdrawn to emulate, 5 guests in batch: ${lat:-none in batch}"
	echo "[flood] $1: tick time last $(field tick-us-last "$f1") us, max $(field tick-us-max "$f1") us"
}

run_flood() {
	local lab=$TMP/flood c0 c1 w0 w1 fpid
	setup flood
	echo "[flood] dom$N turns hostile after the first ${SECS} s"
	c0=$(cpu_ticks "$DPID")
	w0=$(date +%s.%N)
	flood_phase "without flood"
	XENSTORED_PATH=$(xslab_guest_env "$N") "$BUILD/xs-storecheck" flood \
		"/local/domain/$N/data/ptswitch/caps" "$((SECS + 5))" \
		"missing-pde spurious-fault lazy-flush" "" "garbage!" \
		2>"$lab/flood.log" &
	fpid=$!
	sleep 1
	flood_phase "flooding"
	c1=$(cpu_ticks "$DPID")
	w1=$(date +%s.%N)
	wait "$fpid"
	echo "[flood] the hostile guest's caps writes: $(sed -n 's/^writes=//p' "$lab/flood.log") in $((SECS + 5)) s"
	echo "[flood] log lines about dom$N: $(grep -c "dom$N:" "$lab/daemon.log")"
	awk -v c=$((c1 - c0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" \
		'BEGIN { printf "[flood] daemon CPU over both phases: %.2f %% of one core\n", 100 * c / hz / (w1 - w0) }'
	kill "$SPID" "$DPID"
	wait "$SPID" "$DPID" 2>/dev/null
	SPID= DPID=
	xslab_stop
}

echo "ptswitchd benchmark: $N guests, 1 s interval, ${SECS} s measured per run"
[ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != quiet ] || run quiet
[ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != mixed ] || run mixed
[ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != flood ] || run_flood

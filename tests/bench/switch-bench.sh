#!/bin/bash
# SPDX-License-Identifier: MIT
# What one mode switch costs the host outside the hypervisor (prints
# figures, not pass/fail): the CPU that ptswitchd, the guest agents and
# xenstored spend on the handshake and the publication of one switch,
# measured against the real xenstored (xslab) with real ptswitch-agent
# processes and the sim backend standing in for the hypervisor.
#
# Two runs of the same length reload the policy every PERIOD seconds:
#   switching: the policy pins every guest alternately to batch and to
#              emulate, so each reload switches every guest once;
#   baseline:  it pins every guest to emulate both times (the same
#              reloads, no switch).
# Per switch = (CPU of the switching run - CPU of the baseline) / switches,
# per process and in all, in microseconds and in cycles of this CPU.
# Not included: the set-mode hypercall itself (the sim backend answers at
# once; on Xen, set-mode BATCH pauses the domain) and the guest kernel's
# side of a switch.  docs/cost-model.md (M) says how this bears on
# cost.mode-switch.
#
# usage: tests/bench/switch-bench.sh [BUILD_DIR] [GUESTS] [SECONDS] [PERIOD]
#   defaults: build (the release build), 8 guests, 40 s, 1 s
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
N=${2:-8}
SECS=${3:-40}
PERIOD=${4:-1}
for b in ptswitchd ptswitch-agent; do
	[ -x "$BUILD/$b" ] || { echo "no $BUILD/$b (make)"; exit 1; }
done
export XSLAB_BUILD=$BUILD
# shellcheck source=../xslab/xslab.sh
. "$TOP/tests/xslab/xslab.sh"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	xslab_stop
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# CPU time of a process, every thread, in nanoseconds.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
		awk '{ s += $1 } END { printf "%d\n", s }'
}
sum_cpu() {
	local p s=0
	for p in "$@"; do s=$((s + $(cpu_ns "$p"))); done
	echo "$s"
}
switches() {
	local d s=0 v
	for d in $(xenstore-list /tool/ptswitch/domain 2>/dev/null); do
		v=$(xenstore-read "/tool/ptswitch/domain/$d/switches" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}

policy() { # policy FILE MODE: every guest pinned to MODE
	cat >"$1" <<-EOF
	interval: 100ms
	window: 3
	dwell: 0s
	handshake-timeout: 5s
	rate-limit:
	  switches: 32
	  per: 1s
	guests:
	  - match: {name: "sw-*"}
	    pin: $2
	EOF
}

# run NAME MODE_A MODE_B: prints "daemon agents xenstored switches" (ns).
run() {
	local a=$2 b=$3 lab=$TMP/$1 d sock dpid xpid
	local agents=() t0 t_end c0 c1 s0 s1 i=0
	mkdir -p "$lab"
	xslab_start "$lab/xs" >/dev/null || exit 1
	xpid=$(cat "$lab/xs/xenstored.pid")
	for ((d = 1; d <= N; d++)); do
		xslab_add_domain "$d" "sw-$d" >/dev/null || exit 1
		echo "$d $TOP/tests/traces/idle.trace optin=yes"
	done >"$lab/sim.map"
	for ((d = 1; d <= N; d++)); do
		sock=$(xslab_guest_env "$d") || exit 1
		XENSTORED_PATH=$sock "$BUILD/ptswitch-agent" --foreground \
			--root "$TOP/tests/fixtures/guest/synthetic-capable" \
			--interval 3600 >"$lab/agent$d.log" 2>&1 &
		agents+=($!)
		PIDS+=($!)
	done
	policy "$lab/policy.yaml" "$a"
	"$BUILD/ptswitchd" --foreground --config "$lab/policy.yaml" \
		--backend "sim:$lab/sim.map" >"$lab/daemon.log" 2>&1 &
	dpid=$!
	PIDS+=($dpid)
	# Settle: every guest known, capable, in MODE_A.
	for _ in $(seq 300); do
		[ "$(xenstore-ls /tool/ptswitch/domain 2>/dev/null |
			grep -c "^ mode = \"$a\"")" -ge "$N" ] && break
		sleep 0.1
	done
	sleep 2
	s0=$(switches)
	c0="$(cpu_ns "$dpid") $(sum_cpu "${agents[@]}") $(cpu_ns "$xpid")"
	t0=$SECONDS
	t_end=$((t0 + SECS))
	while [ "$SECONDS" -lt "$t_end" ]; do
		i=$((i + 1))
		if [ $((i % 2)) -eq 1 ]; then
			policy "$lab/policy.yaml" "$b"
		else
			policy "$lab/policy.yaml" "$a"
		fi
		kill -HUP "$dpid"
		sleep "$PERIOD"
	done
	c1="$(cpu_ns "$dpid") $(sum_cpu "${agents[@]}") $(cpu_ns "$xpid")"
	s1=$(switches)
	kill "$dpid" "${agents[@]}" 2>/dev/null
	wait "$dpid" "${agents[@]}" 2>/dev/null
	PIDS=()
	xslab_stop
	# shellcheck disable=SC2086 # six numbers
	set -- $c0 $c1
	echo "$(($4 - $1)) $(($5 - $2)) $(($6 - $3)) $((s1 - s0)) $i"
}

mhz=$(awk -F: '/^cpu MHz/ { printf "%d", $2; exit }' /proc/cpuinfo)
echo "switch cost outside the hypervisor: $N guests, ${SECS} s per run," \
	"a reload every ${PERIOD} s, CPU at ${mhz:-?} MHz"
read -r sd sa sx sw sr <<<"$(run switching batch emulate)"
read -r bd ba bx bw br <<<"$(run baseline emulate emulate)"
echo "switching run: $sw switches in $sr reloads;" \
	"CPU ms: daemon $((sd / 1000000)), agents $((sa / 1000000))," \
	"xenstored $((sx / 1000000))"
echo "baseline run:  $bw switches in $br reloads;" \
	"CPU ms: daemon $((bd / 1000000)), agents $((ba / 1000000))," \
	"xenstored $((bx / 1000000))"
if [ "$sw" -le 0 ]; then
	echo "no switch happened: no figure"
	exit 1
fi
awk -v sd="$sd" -v sa="$sa" -v sx="$sx" -v bd="$bd" -v ba="$ba" -v bx="$bx" \
	-v sw="$sw" -v sr="$sr" -v br="$br" -v mhz="${mhz:-0}" 'BEGIN {
	# The baseline scaled to the same number of reloads.
	k = br ? sr / br : 1
	d = (sd - k * bd) / sw / 1000
	a = (sa - k * ba) / sw / 1000
	x = (sx - k * bx) / sw / 1000
	printf "per switch, us of CPU: daemon %.0f, agent %.0f, xenstored %.0f, in all %.0f\n", d, a, x, d + a + x
	if (mhz > 0)
		printf "per switch, cycles at %d MHz: %.3g (cost.mode-switch is 1e7 by default)\n", mhz, (d + a + x) * mhz
}'

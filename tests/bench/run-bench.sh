#!/bin/bash
# SPDX-License-Identifier: MIT
# make bench: every benchmark, each printing its figures (nothing here
# passes or fails on a figure: these machines are shared and noisy).
# usage: tests/bench/run-bench.sh [BUILD_DIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
echo "=== ptswitch-agent footprint"
"$here/agent-bench.sh" "$build" "${AGENT_SECS:-30}"
echo
echo "=== ptswitchd at scale"
"$here/daemon-bench.sh" "$build" "${BENCH_GUESTS:-1000}" "${DAEMON_SECS:-60}"
echo
echo "=== one mode switch, outside the hypervisor"
"$here/switch-bench.sh" "$build" "${SWITCH_GUESTS:-8}" "${SWITCH_SECS:-40}"

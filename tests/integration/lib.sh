#!/bin/bash
# SPDX-License-Identifier: MIT
# Helpers for integration tests: checks with a running tally, polling with
# timeouts, a private lab directory cleaned up on exit.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${PTSWITCH_BUILD:=$TOP/build/san}"
export XSLAB_BUILD=$PTSWITCH_BUILD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# shellcheck source=../xslab/xslab.sh
. "$TOP/tests/xslab/xslab.sh"

T_PASS=0
T_FAIL=0

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok   - $*"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL - $*"
}

# need_bins PATH...: each must be built, or the test cannot run.
need_bins() {
	local b
	for b in "$@"; do
		[ -x "$b" ] || { echo "no $b (make tests)"; exit 1; }
	done
}

# check DESCRIPTION CMD...: CMD must succeed.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# check_not DESCRIPTION CMD...: CMD must fail.
check_not() {
	local what=$1
	shift
	if "$@"; then not_ok "$what"; else ok "$what"; fi
}

# wait_for SECS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# xs_is PATH VALUE: the node exists and holds VALUE.
xs_is() {
	[ "$(timeout 5 xenstore-read "$1" 2>/dev/null)" = "$2" ]
}

xs_absent() {
	! timeout 5 xenstore-read "$1" >/dev/null 2>&1
}

# As a guest: run a xenstore client through the domain's bridge.
as_guest() {
	local domid=$1
	shift
	XENSTORED_PATH=$(xslab_guest_env "$domid") timeout 5 "$@"
}

lab_setup() {
	LAB=$(mktemp -d "${TMPDIR:-/tmp}/ptswitch-test.XXXXXX")
	echo "# lab: $LAB"
	trap lab_teardown EXIT
	xslab_start "$LAB/xs" || { echo "xslab failed to start"; exit 1; }
}

lab_teardown() {
	local pid
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	xslab_stop
	[ -n "${KEEP_LAB:-}" ] || rm -rf "$LAB"
}

# Print the tally and exit with it.
finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -gt 0 ]
	exit $?
}

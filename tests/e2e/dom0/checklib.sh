#!/bin/sh
# SPDX-License-Identifier: MIT
# Sourced by every dom0 check script of the QEMU labs (tests/e2e,
# tests/pvguest, guestagent/linux-patches): one line per check, in the
# format the launchers count, and the small probes they all use.
#   E2E: PASS <name> [detail]
#   E2E: FAIL <name> <why>
#   E2E: SKIP <name> <why>
pass() { echo "E2E: PASS $*"; }
fail() { echo "E2E: FAIL $*"; }
skip() { echo "E2E: SKIP $*"; }
info() { echo "E2E: INFO $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
xs() { xenstore-read "$1" 2>/dev/null; }

# wait_until SECONDS COMMAND...: poll once a second.
wait_until() {
	limit=$1
	shift
	waited=0
	until "$@"; do
		waited=$((waited + 1))
		[ $waited -ge "$limit" ] && return 1
		sleep 1
	done
	return 0
}

# stat_of DOMID KEY: one counter from the hypervisor, daemon bypassed.
stat_of() {
	pt-domctl get-stats "$1" 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}

#!/bin/sh
# Sourced by every dom0 check script of the QEMU labs (tests/e2e,
# tests/pvguest, guestagent/linux-patches): one line per check, in the
# format the launchers count, and dom0's uptime for the timing lines.
#   E2E: PASS <name> [detail]
#   E2E: FAIL <name> <why>
#   E2E: SKIP <name> <why>
pass() { echo "E2E: PASS $*"; }
fail() { echo "E2E: FAIL $*"; }
skip() { echo "E2E: SKIP $*"; }
info() { echo "E2E: INFO $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

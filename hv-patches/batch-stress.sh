#!/bin/sh
# SPDX-License-Identifier: MIT
# Put a running, opted-in guest in BATCH mode for a while and check that the
# hypervisor survives it, then leave BATCH (or destroy the guest while it is
# in BATCH).  Runs in a control domain that has pt-domctl
# (tests/tools/pt-domctl.c) and xl in its PATH.  POSIX sh (busybox is
# enough).  One line per check, in the e2e format:
#   E2E: PASS hv-batch-<name>  |  E2E: FAIL hv-batch-<name> <why>
#
#   batch-stress.sh DOMID SECONDS [--destroy]
#
# The guest must have enabled VMASST_TYPE_pt_batch and have one vCPU.  A
# stock Linux guest is not written for BATCH (an unhooked PMD looks bad to
# it) and may corrupt itself: what this checks is the hypervisor (and, on a
# CONFIG_DEBUG=y build, its assertions), not the guest.  With --destroy the
# guest is destroyed while in BATCH, and must disappear (no zombie left by
# leaked page references).  Exit status 1 if any check failed.
set -u

[ $# -ge 2 ] || { echo "usage: $0 DOMID SECONDS [--destroy]" >&2; exit 2; }
dom=$1
secs=$2
destroy=${3:-}
failed=0

pass() { echo "E2E: PASS hv-batch-$1"; }
fail() {
	name=$1
	shift
	echo "E2E: FAIL hv-batch-$name $*"
	failed=1
}
stat_of() {
	pt-domctl get-stats "$1" 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}
show_stats() {
	pt-domctl get-stats "$dom" 2>&1 |
		grep -E '^(batch|flush|spurious|unhook|revalid|emulated)' |
		sed "s/^/E2E: INFO   dom$dom /"
}

if [ "$(stat_of "$dom" opted_in)" != 1 ]; then
	fail enter "dom$dom has not enabled VMASST_TYPE_pt_batch"
	exit 1
fi

b0=$(stat_of "$dom" batches)
e0=$(stat_of "$dom" emulated_writes)
out=$(pt-domctl set-mode "$dom" batch 2>/dev/null)
if [ "$out" != batch ]; then
	fail enter "set-mode batch: '$out'"
	exit 1
fi
pass enter

# Stay in BATCH; the hypervisor must keep answering and keep the mode.
i=0
while [ $i -lt "$secs" ]; do
	sleep 1
	i=$((i + 1))
	m=$(pt-domctl get-mode "$dom" 2>&1)
	[ "$m" = batch ] || break
done
if [ "$m" = batch ]; then
	pass stay
else
	fail stay "after ${i}s get-mode says '$m'"
fi

b1=$(stat_of "$dom" batches)
e1=$(stat_of "$dom" emulated_writes)
echo "E2E: INFO dom$dom in BATCH for ${i}s: batches ${b0:-?} -> ${b1:-?}," \
	"emulated_writes ${e0:-?} -> ${e1:-?}"
show_stats
if [ -n "$b0" ] && [ -n "$b1" ] && [ "$b1" -gt "$b0" ]; then
	pass used
else
	fail used "no batch was flushed (batches ${b0:-?} -> ${b1:-?})"
fi

if [ "$destroy" = --destroy ]; then
	xl destroy "$dom" >/dev/null 2>&1
	gone() { ! xl list "$dom" >/dev/null 2>&1; }
	j=0
	until gone; do
		sleep 1
		j=$((j + 1))
		[ $j -ge 60 ] && break
	done
	if gone; then
		pass destroy
	else
		fail destroy "dom$dom still listed 60s after xl destroy:" \
			"$(xl list "$dom" 2>&1 | tail -n 1)"
	fi
else
	out=$(pt-domctl set-mode "$dom" emulate 2>/dev/null)
	if [ "$out" = emulate ] &&
		[ "$(pt-domctl get-mode "$dom" 2>&1)" = emulate ]; then
		pass leave
	else
		fail leave "set-mode emulate: '$out'"
	fi
	show_stats
fi

exit $failed

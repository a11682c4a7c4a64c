#!/bin/sh
# SPDX-License-Identifier: MIT
# Check the refusals of XEN_DOMCTL_pt_mode on a patched hypervisor, from a
# control domain that has pt-domctl (tests/tools/pt-domctl.c) in its PATH.
# POSIX sh (busybox is enough).  One line per check, in the e2e format:
#   E2E: PASS hv-errno-<name>  |  E2E: FAIL hv-errno-<name> <why>
#
#   errno-checks.sh [--smp-opted-in DOMID] [--shadow DOMID]
#
# Without options it checks what dom0 and a missing domain allow (dom0 must
# be 64-bit PV).  --smp-opted-in names a guest with more than one vCPU that
# enabled VMASST_TYPE_pt_batch (since 0006 BATCH is accepted for it; the
# check switches it back to EMULATE); --shadow a guest with shadow paging
# or log-dirty active (expects EBUSY).  Exit status 1 if any check failed.
set -u

smp=
shadow=
while [ $# -gt 0 ]; do
	case $1 in
	--smp-opted-in) smp=$2; shift 2 ;;
	--shadow) shadow=$2; shift 2 ;;
	*) echo "errno-checks: unknown argument $1" >&2; exit 2 ;;
	esac
done

failed=0
# expect NAME WANT COMMAND...: WANT is the exact first line of stdout.
expect() {
	name=$1
	want=$2
	shift 2
	got=$("$@" 2>/dev/null | head -n 1)
	if [ "$got" = "$want" ]; then
		echo "E2E: PASS hv-errno-$name"
	else
		echo "E2E: FAIL hv-errno-$name '$*' gave '$got', want '$want'"
		failed=1
	fi
}

# Sub-ops 0 get, 1 set, 2 get_stats; modes 0 emulate, 1 batch.
expect dom0-get emulate pt-domctl get-mode 0
expect dom0-stats "mode emulate" pt-domctl get-stats 0
expect dom0-batch-eperm "error EPERM" pt-domctl set-mode 0 batch
expect dom0-emulate emulate pt-domctl set-mode 0 emulate
expect bad-op-einval "error EINVAL" pt-domctl raw 0 3 0 0
expect bad-mode-einval "error EINVAL" pt-domctl raw 0 1 2 0
expect flags-in-einval "error EINVAL" pt-domctl raw 0 0 0 1
# A size query (no buffer) returns Xen's stats size: 26 counters.
expect stats-size "2 0 0 208" pt-domctl raw 0 2 0 0 0
expect stats-null-efault "error EFAULT" pt-domctl raw 0 2 0 0 8
expect missing-esrch "error ESRCH" pt-domctl get-mode 32000
if [ -n "$smp" ]; then
	expect smp-batch batch pt-domctl set-mode "$smp" batch
	expect smp-back-to-emulate emulate pt-domctl set-mode "$smp" emulate
fi
[ -n "$shadow" ] &&
	expect shadow-ebusy "error EBUSY" pt-domctl set-mode "$shadow" batch
exit $failed

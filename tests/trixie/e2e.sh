#!/bin/bash
# SPDX-License-Identifier: MIT
# The trixie lab's runs for CI (`make e2e-trixie`), Xen 4.20 under QEMU
# (TCG) with the trixie dom0 and guests, beside the bookworm lab's:
#   1. stock Xen 4.20: ptswitchd in advise mode on an unpatched host;
#   2. the patched Xen 4.20 (hv-patches/xen-4.20): the dom0 checks with
#      the patched expectations (lab.sh --patched);
#   3. the PV test kernel on it: the per-PTE table for 4.20 and the
#      safety cases (tests/pvguest/run.sh --dom0-image);
#   4. the patched Linux 6.12 guest's fork end to end on it, ptswitchd
#      switching it to BATCH (fork-e2e.sh --release 6.12 --dom0-image);
#   5. the same kernel with two vCPUs in BATCH under the SMP stress
#      (smp-e2e.sh --release 6.12 --dom0-image).
# Parts 2-5 boot the trixie images part 1 made (build/trixie/lab: dom0,
# stock guest, tools, all from the trixie root); only the hypervisor and
# the patched guest kernel are built on this host.  fork-figures.sh
# prints part 4's figures beside the bookworm lab's (make e2e-linux).
# The registry serves trixie's binary packages but answers 404 for its
# Xen source; build-xen.sh then takes an upstream 4.20 tree from XEN_SRC
# or the copy it cached (hv-patches/README.md).  With neither, parts 2
# to 5 cannot be built: they are reported as SKIP, loudly, and part 1
# still runs.  Ends with one line: N passed, N failed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP"

passed=0 failed=0
# part NAME CMD...: run it, add its closing tally (a run with no tally
# or a non-zero exit counts one failure more).
part() {
	local name=$1 log line rc
	shift
	log=$(mktemp)
	echo "=== e2e-trixie: $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		passed=$((passed + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")))
		failed=$((failed + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")))
	fi
	if [ "$rc" -ne 0 ] &&
		! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$log"; then
		failed=$((failed + 1))
		echo "FAIL - $name exited $rc"
	fi
	rm -f "$log"
}

part "stock Xen 4.20" tests/trixie/lab.sh

out=build/trixie/lab
# Why the patched parts did not run, for fork-figures.sh: a run that
# skipped them says so here, so a missing figure is not read as a failure.
skipped=$out/patched-skipped
mkdir -p "$out"
rm -f "$skipped"
blog=$(mktemp)
if XEN_RELEASE=4.20 hv-patches/build-xen.sh "$out/xen-patched" 2>"$blog"; then
	cat "$blog" >&2
	# It builds again (a cache hit) and runs check-abi.sh on the result.
	part "patched Xen 4.20" tests/trixie/lab.sh --patched
	part "PV test kernel on the patched Xen 4.20" tests/pvguest/run.sh \
		--xen "$out/xen-patched/xen.gz" --expect patched \
		--dom0-image "$out" --repeats 5 \
		--log build/pvguest/console-patched-4.20.log \
		--calibration build/pvguest/calibration-patched-4.20.txt
	part "Linux 6.12 fork on the patched Xen 4.20" \
		guestagent/linux-patches/fork-e2e.sh --release 6.12 \
		--xen "$out/xen-patched/xen.gz" --dom0-image "$out" \
		--log "$out/console-fork-6.12.log"
	part "Linux 6.12 SMP on the patched Xen 4.20" \
		guestagent/linux-patches/smp-e2e.sh --release 6.12 \
		--xen "$out/xen-patched/xen.gz" --dom0-image "$out" \
		--log "$out/console-smp-6.12.log"
elif grep -q "no source for Xen 4.20" "$blog"; then
	cat "$blog" >&2
	echo "SKIP - patched Xen 4.20: no source to build it from (the" \
		"registry serves no trixie Xen source; set XEN_SRC to a Xen" \
		"checkout, hv-patches/README.md)" | tee "$skipped"
else
	cat "$blog" >&2
	failed=$((failed + 1))
	echo "FAIL - building the patched Xen 4.20"
fi
rm -f "$blog"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

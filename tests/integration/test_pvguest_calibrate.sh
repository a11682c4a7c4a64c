#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/pvguest without Xen: the test kernel builds (freestanding) and
# carries the ELF notes Xen's libelf insists on; calibrate.sh fits robustly,
# reads a real console log and writes a policy snippet the daemon accepts.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CAL=$TOP/tests/pvguest/calibrate.sh
FIXTURE=$TOP/tests/fixtures/pvguest/console-stock-tcg.log
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvguest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The kernel, into a private build dir.
if make -s -C "$TOP" BUILD="$tmp/build" pvguest >"$tmp/make.log" 2>&1; then
	ok "make pvguest"
else
	bad "make pvguest: $(tail -n 5 "$tmp/make.log")"
fi
# Note types: 1 ENTRY, 2 HYPERCALL_PAGE, 5 XEN_VERSION, 6 GUEST_OS,
# 8 LOADER, 10 FEATURES.  readelf names some of them oddly; count "Xen".
notes=$(readelf -n "$tmp/build/pvguest.elf" 2>/dev/null | grep -c '^ *Xen ')
if [ "$notes" -ge 9 ] &&
	strings "$tmp/build/pvguest.elf" | grep -qx 'xen-3.0' &&
	strings "$tmp/build/pvguest.elf" | grep -qx 'generic'; then
	ok "ELF notes ($notes Xen notes, xen-3.0, generic)"
else
	bad "ELF notes: $notes Xen notes"
fi
if readelf -h "$tmp/build/pvguest.elf" | grep -q 'Entry point address: *0x10' &&
	! nm "$tmp/build/pvguest.elf" | grep -q ' U '; then
	ok "linked at 1 MiB, nothing undefined"
else
	bad "entry point or undefined symbols"
fi

# Theil-Sen: an outlier at k=512 (host preemption) must not move the fit.
{
	echo "PVGUEST: START xen=4.17 domid=1 tsc_khz=1000000"
	for k in 1 2 4 8 16 32 64 128 256 512; do
		y=$((500 + 1000 * k))
		[ "$k" = 512 ] && y=$((y * 10))
		echo "PVGUEST: ROW mode=emulate k=$k reps=15 median=$y min=$y" \
			"per_pte=$((y / k))"
	done
	echo "PVGUEST: NA batch test reason"
} >"$tmp/synthetic.log"
out=$("$CAL" <"$tmp/synthetic.log")
if echo "$out" | grep -qx 'fit.emulate.per-entry 1000.0' &&
	echo "$out" | grep -qx 'fit.emulate.fixed 500.0' &&
	echo "$out" | grep -qx 'cost.emulated-write 1000' &&
	echo "$out" | grep -qx 'batch n/a test reason'; then
	ok "robust fit ignores a 10x outlier"
else
	bad "robust fit: $(echo "$out" | grep '^fit\|^cost' | tr '\n' ' ')"
fi

if "$CAL" </dev/null >/dev/null 2>&1; then
	bad "no ROW lines must be an error"
else
	ok "no ROW lines is an error"
fi

# A real run's console log.
out=$("$CAL" --xen stock-fixture --flavour stock <"$FIXTURE")
per=$(echo "$out" | awk '$1 == "cost.emulated-write" { print $2 }')
mmu=$(echo "$out" | awk '$1 == "fit.mmu_update.per-entry" { print $2 }')
if echo "$out" | grep -qx 'format 1' && [ -n "$per" ] && [ -n "$mmu" ] &&
	awk -v e="$per" -v m="$mmu" 'BEGIN { exit !(e > m && m > 0) }' &&
	echo "$out" | grep -q '^fit.emulate-2vcpu.per-entry ' &&
	[ "$(echo "$out" | grep -c '^row.emulate.k')" = 10 ]; then
	ok "real log: emulated-write $per > mmu_update entry $mmu, 2-vCPU fit"
else
	bad "real log: $(echo "$out" | grep '^fit\|^cost' | tr '\n' ' ')"
fi

# A run with BATCH: the batch keys, and nothing written beside stdout.
mkdir "$tmp/cwd"
out=$(cd "$tmp/cwd" && "$CAL" <"$TOP/tests/fixtures/pvguest/console-patched-tcg.log")
b=$(echo "$out" | awk '$1 == "cost.batch" { print $2 }')
v=$(echo "$out" | awk '$1 == "cost.batch-entry" { print $2 }')
if [ -n "$b" ] && [ -n "$v" ] && [ "$b" != n/a ] && [ "$v" != n/a ] &&
	awk -v b="$b" -v v="$v" 'BEGIN { exit !(b > v && v > 0) }' &&
	echo "$out" | grep -qx 'crossover.batch-vs-emulate 16' &&
	[ -z "$(ls -A "$tmp/cwd")" ]; then
	ok "BATCH log: batch $b, batch-entry $v, crossover 16, no stray files"
else
	bad "BATCH log: batch '$b' batch-entry '$v'; cwd: $(ls -A "$tmp/cwd")"
fi

# The policy snippet is a valid policy on its own (needs ptswitchd).
daemon=${PTSWITCH_BUILD:-$TOP/build}/ptswitchd
if [ -x "$daemon" ]; then
	"$CAL" --policy --xen stock-fixture --flavour stock <"$FIXTURE" \
		>"$tmp/cost.yaml"
	if "$daemon" --check-config "$tmp/cost.yaml" >"$tmp/check.log" 2>&1 &&
		grep -q "emulated-write: $per\$" "$tmp/cost.yaml"; then
		ok "policy snippet passes ptswitchd --check-config"
	else
		bad "policy snippet: $(cat "$tmp/check.log")"
	fi
	"$CAL" --policy --flavour patched \
		<"$TOP/tests/fixtures/pvguest/console-patched-tcg.log" \
		>"$tmp/cost-batch.yaml"
	if "$daemon" --check-config "$tmp/cost-batch.yaml" \
		>"$tmp/check.log" 2>&1 &&
		grep -q "^  batch: $b\$" "$tmp/cost-batch.yaml"; then
		ok "policy snippet with BATCH costs passes --check-config"
	else
		bad "policy snippet with BATCH: $(cat "$tmp/check.log")"
	fi
else
	echo "skip - no $daemon for --check-config"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Where a batch's fixed cost goes (issue 19), measured in the QEMU lab.
#
#   hv-patches/experiments/flush-cost.sh [RUNS] [SETTINGS...]
#
# Builds the 4.17 series plus pt-batch-phase-ticks.patch (measurement only:
# never for a host), then boots it RUNS times (default 3) per setting of
# its pt_batch_exp= option (default: 1 0 2 6) and runs the pvguest
# benchmark (tests/pvguest/run.sh --no-attacks).  Settings: bit 0 = find
# the L2 slot by find_pde() alone (as before 0014), bit 1 = the open's
# flush by address, bit 2 = the close's flush by the alias's address (NOT
# SAFE, see README.md: it shows what the close's flush costs), bit 3 =
# no shortcut for a write-protected entry (before 0015).  Prints,
# per setting, the median over the runs of batch cycles per PTE at k = 1,
# 8 and 512, batch/emulate at the same k in the same boot, and the
# crossover; one vCPU, then two.  Figures are QEMU TCG.  RUNS 0 only
# summarises the logs of an earlier run (FLUSH_COST_OUT, default
# build/flush-cost).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=${1:-3}
[ $# -gt 0 ] && shift
settings=${*:-1 0 2 6}
out=${FLUSH_COST_OUT:-$top/build/flush-cost}

mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flush-cost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# RUNS 0: only summarise the logs a previous run left in $out.
if [ "$runs" -gt 0 ]; then
	# build-xen.sh with the measurement patch last in its series.
	cp -R "$top/hv-patches" "$tmp/hv-patches"
	ln -s "$top/scripts" "$tmp/scripts"
	cp "$here/pt-batch-phase-ticks.patch" "$tmp/hv-patches/"
	echo pt-batch-phase-ticks.patch >>"$tmp/hv-patches/series"
	"$tmp/hv-patches/build-xen.sh" "$out/xen" >&2

	for s in $settings; do
		i=1
		while [ "$i" -le "$runs" ]; do
			log=$out/console-exp$s-run$i.log
			echo "flush-cost: pt_batch_exp=$s run $i" >&2
			E2E_XEN_ARGS="pt_batch_exp=$s" "$top/tests/pvguest/run.sh" \
				--xen "$out/xen/xen.gz" --expect patched --no-attacks \
				--repeats 5 --log "$log" >"$out/run-exp$s-run$i.out" 2>&1 ||
				echo "flush-cost: run failed, see $out/run-exp$s-run$i.out" >&2
			i=$((i + 1))
		done
	done
fi

# One line per setting and table (1 or 2 vCPUs): medians over the runs.
for s in $settings; do
	for f in "$out"/console-exp"$s"-run*.log; do
		awk -v s="$s" '
		/PVGUEST: TABLE +k +native/ { t++ }
		/PVGUEST: TABLE +[0-9]+ / {
			for (f = 1; $f != "TABLE"; f++)
				;
			k = $(f + 1); emu = $(f + 3); bat = $(f + 5)
			if (k == 1 || k == 8 || k == 512)
				printf "%s %d k%d %d %.2f\n", s, t, k, bat, bat / emu
		}
		/CROSSOVER batch/ { split($NF, a, "="); printf "%s %d x %s\n", s, t, a[2] }
		' "$f"
	done
done | sort -k1,1 -k2,2n -k3,3V -k4,4n | awk '
function flush() {
	if (n == 0) return
	m = v[int((n + 1) / 2)]; r = q[int((n + 1) / 2)]
	line[key] = line[key] sprintf("  %s %s (%s)", what, m, r)
	n = 0
}
{
	k = $1 " " $2
	if (k != key || $3 != what) { flush(); if (k != key) order[++nk] = k; key = k; what = $3 }
	n++; v[n] = $4; q[n] = ($5 == "" ? "-" : $5)
}
END {
	flush()
	print "pt_batch_exp vCPUs: batch cycles/PTE (batch/emulate), median of runs; x = crossover k (QEMU TCG)"
	for (i = 1; i <= nk; i++) { split(order[i], a, " "); printf "exp=%s %s vCPU%s\n", a[1], a[2], line[order[i]] }
}'

# The same table from a stated model of hardware, beside the TCG one.
"$top/tests/pvguest/hw-model.sh"

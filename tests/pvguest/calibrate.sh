#!/bin/sh
# SPDX-License-Identifier: MIT
# Read the pvguest console output (stdin: "PVGUEST: ..." lines; anything
# before "PVGUEST:" on a line is ignored) and write a calibration file
# (stdout) in the format of docs/calibration.md.
#
#   calibrate.sh [--xen FILE] [--flavour stock|patched] [--policy] <log
#
# --policy  write a policy `cost:` snippet instead of the calibration file
#
# Per mode, a line through the median cycles of the k = 1, 2, ..., 512
# runs, cycles(k) = fixed + per_entry * k, fitted with the Theil-Sen
# estimator (median of the pairwise slopes, then median intercept): a
# long run disturbed by the host (a shared machine, or QEMU's TCG) moves
# it much less than a least-squares fit.
set -eu

xen=unknown
flavour=unknown
what=calibration
while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--flavour) flavour=$2; shift 2 ;;
	--policy) what=policy; shift ;;
	*) echo "calibrate.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

sed -n 's/^.*PVGUEST: //p' | awk -v xen="$xen" -v flavour="$flavour" \
	-v what="$what" '
function val(key,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == key)
			return kv[2]
	}
	return ""
}
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# Theil-Sen over the rows of mode m: sets slope[m] and icpt[m].
function fit(m,   i, j, s, ns, c) {
	ns = 0
	for (i = 1; i <= n[m]; i++)
		for (j = i + 1; j <= n[m]; j++)
			if (kk[m, j] != kk[m, i])
				s[++ns] = (yy[m, j] - yy[m, i]) / \
					(kk[m, j] - kk[m, i])
	slope[m] = ns ? median(s, ns) : 0
	for (i = 1; i <= n[m]; i++)
		c[i] = yy[m, i] - slope[m] * kk[m, i]
	icpt[m] = median(c, n[m])
}
$1 == "START" { tsc_khz = val("tsc_khz") }
$1 == "ROW" {
	m = val("mode")
	if (!(m in n)) order[++nmodes] = m
	i = ++n[m]
	kk[m, i] = val("k") + 0; yy[m, i] = val("median") + 0
	mn[m, i] = val("min") + 0
	reps = val("reps")
}
$1 == "CROSSOVER" { split($3, kv, "="); cross[$2] = kv[2] }
$1 == "NA" && $2 == "batch" {
	batch_na = $0; sub(/^NA batch /, "", batch_na)
}
function calibration(   i, j, m, c) {
	print "# ptswitch calibration (docs/calibration.md)"
	print "format 1"
	print "source pvguest"
	printf "xen %s\n", xen
	printf "xen-flavour %s\n", flavour
	printf "tsc-khz %s\n", tsc_khz
	printf "repeats %s\n", reps
	for (i = 1; i <= nmodes; i++) {
		m = order[i]
		printf "fit.%s.per-entry %.1f\n", m, slope[m]
		printf "fit.%s.fixed %.1f\n", m, icpt[m]
	}
	for (i = 1; i <= nmodes; i++) {
		m = order[i]
		for (j = 1; j <= n[m]; j++)
			printf "row.%s.k%d median %d min %d per-pte %.1f\n", m,
				kk[m, j], yy[m, j], mn[m, j], yy[m, j] / kk[m, j]
	}
	for (c in cross)
		printf "crossover.%s %s\n", c, cross[c]
	if (batch_na != "")
		printf "batch n/a %s\n", batch_na
	print "# the daemon cost model (policy cost: keys), see docs/calibration.md"
	if ("emulate" in slope)
		printf "cost.emulated-write %.0f\n", slope["emulate"]
	if ("batch" in slope) {
		printf "cost.batch %.0f\n", (icpt["batch"] > 0 ? icpt["batch"] : 0)
		printf "cost.batch-entry %.0f\n", slope["batch"]
	} else {
		print "cost.batch n/a"
		print "cost.batch-entry n/a"
	}
	print "cost.spurious-fault n/a"
	print "cost.mode-switch n/a"
}
function policy() {
	printf "# Measured by tests/pvguest (calibrate.sh --policy): %s Xen %s,\n",
		flavour, xen
	printf "# TSC %s kHz, median of %s runs.  Keys without a measurement\n",
		tsc_khz, reps
	print "# keep the values of the policy you paste this into."
	print "cost:"
	if ("emulate" in slope)
		printf "  emulated-write: %.0f\n", slope["emulate"]
	if ("batch" in slope) {
		printf "  batch: %.0f\n", (icpt["batch"] > 0 ? icpt["batch"] : 0)
		printf "  batch-entry: %.0f\n", slope["batch"]
	} else {
		printf "  # batch, batch-entry: not measured (%s)\n", batch_na
	}
	print "  # spurious-fault: not measured (needs the 2-vCPU run in BATCH)"
	print "  # mode-switch: not measured here (handshake + set-mode)"
}
END {
	if (!nmodes) {
		print "calibrate.sh: no PVGUEST: ROW lines on stdin" > "/dev/stderr"
		exit 1
	}
	for (i = 1; i <= nmodes; i++)
		fit(order[i])
	if (what == "policy")
		policy()
	else
		calibration()
}'

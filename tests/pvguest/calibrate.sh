#!/bin/sh
# Read the pvguest console output (stdin, "PVGUEST: ..." lines, any
# prefix before "PVGUEST:" is ignored) and write a calibration file
# (stdout) in the format of docs/calibration.md.
#
#   calibrate.sh [--xen FILE] [--flavour stock|patched] <console.log
#
# Per mode, a least-squares line through the median cycles of the k = 1,
# 2, ..., 512 runs: cycles(k) = fixed + per_entry * k.
set -eu

xen=unknown
flavour=unknown
while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--flavour) flavour=$2; shift 2 ;;
	*) echo "calibrate.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

sed -n 's/^.*PVGUEST: //p' | awk -v xen="$xen" -v flavour="$flavour" '
function val(key,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == key)
			return kv[2]
	}
	return ""
}
$1 == "START" { start = $0; tsc_khz = val("tsc_khz") }
$1 == "ROW" {
	m = val("mode"); k = val("k") + 0; med = val("median") + 0
	if (!(m in n)) order[++nmodes] = m
	n[m]++; sx[m] += k; sy[m] += med; sxx[m] += k * k; sxy[m] += k * med
	row[m, n[m]] = k " " med " " val("min") + 0
	reps = val("reps")
}
$1 == "CROSSOVER" { split($3, kv, "="); cross[$2] = kv[2] }
$1 == "NA" && $2 == "batch" {
	batch_na = $0; sub(/^NA batch /, "", batch_na)
}
END {
	if (!nmodes) {
		print "calibrate.sh: no PVGUEST: ROW lines on stdin" > "/dev/stderr"
		exit 1
	}
	print "# ptswitch calibration (docs/calibration.md)"
	print "format 1"
	print "source pvguest"
	printf "xen %s\n", xen
	printf "xen-flavour %s\n", flavour
	printf "tsc-khz %s\n", tsc_khz
	printf "repeats %s\n", reps
	for (i = 1; i <= nmodes; i++) {
		m = order[i]
		d = n[m] * sxx[m] - sx[m] * sx[m]
		slope = d ? (n[m] * sxy[m] - sx[m] * sy[m]) / d : 0
		icpt = (sy[m] - slope * sx[m]) / n[m]
		printf "%s.per-entry %.1f\n", m, slope
		printf "%s.fixed %.1f\n", m, icpt
		fit[m] = slope; fix[m] = icpt
	}
	for (i = 1; i <= nmodes; i++) {
		m = order[i]
		for (j = 1; j <= n[m]; j++) {
			split(row[m, j], r, " ")
			printf "%s.k%d %d %d %.1f\n", m, r[1], r[2], r[3], \
				r[2] / r[1]
		}
	}
	for (c in cross)
		printf "crossover.%s %s\n", c, cross[c]
	if (batch_na != "")
		printf "batch n/a %s\n", batch_na
	# The daemon cost model (policy "cost:" keys).
	print "# cost model (policy cost: keys); see docs/calibration.md"
	if ("emulate" in fit)
		printf "cost.emulated-write %.0f\n", fit["emulate"]
	if ("batch" in fit) {
		printf "cost.batch %.0f\n", fix["batch"] > 0 ? fix["batch"] : 0
		printf "cost.batch-entry %.0f\n", fit["batch"]
	} else {
		print "cost.batch n/a"
		if ("mmu_update" in fit)
			printf "cost.batch-entry-proxy %.0f\n", fit["mmu_update"]
	}
	print "cost.spurious-fault n/a"
	print "cost.mode-switch n/a"
}'

#!/bin/sh
# SPDX-License-Identifier: MIT
# Compare what the sim counter model (daemon/simbook.c) predicts for
# BATCH from an EMULATE recording with the counters Xen kept for the same
# workload run in BATCH (record.sh --batch W), per round of the workload.
#
#   batch-check.sh [--total] EMULATE.hv BATCH.hv
#
# --total compares the totals over the recording instead (workloads that
# count no rounds, as pmix's compile phases: both guests were recorded
# over the same seconds and run the same timed phases).
#
# Both files are record.sh's <w>.hv: pt-domctl get-stats at the start and
# the end of the recording, and workload_runs (rounds done) from the
# guest.  The prediction books each EMULATE run as one batch, as
# simbook.c does for one vCPU; these are its expected values (the model
# draws around them): 1 % of the unhooks refused (those runs stay
# emulated), the flush reasons spread by its weights, no spurious faults.
# The last lines price both with E, B and V of the policy's cost model
# (docs/cost-model.md): the pvguest calibration's and the placeholders.
set -eu

total=0
[ "${1:-}" = --total ] && { total=1; shift; }
[ $# -eq 2 ] || { sed -n '2,18p' "$0"; exit 2; }

awk -v total="$total" '
# The constants of daemon/simbook.c for one vCPU.
BEGIN {
	REFUSE = 0.01
	split("explicit fault second-page hypercall cr3 desched grant mode",
	      reason, " ")
	w["explicit"] = 0.50; w["fault"] = 0.06; w["second-page"] = 0.22
	w["hypercall"] = 0.10; w["cr3"] = 0.07; w["desched"] = 0.04
	w["grant"] = 0.01; w["mode"] = 0
	nb = split("1 2-9 10-49 50-99 100-511 512", bucket, " ")
}
# File 1 is EMULATE, 2 is BATCH: the increase of each counter.
FNR == 1 { f++ }
$2 == "mode" { mode[f, $1] = $3; next }
$1 == "start" { v[f, $2] -= $3 }
$1 == "end" { v[f, $2] += $3 }
function pr(name, pred, real) {
	printf "%-26s %12.1f %12.1f %8s\n", name, pred, real,
	       (pred > 0 ? sprintf("%.2f", real / pred) : "-")
}
END {
	re = v[1, "workload_runs"]; rb = v[2, "workload_runs"]
	unit = "round"
	if (!total && (re <= 0 || rb <= 0)) {
		print "batch-check: no workload_runs in both files" > "/dev/stderr"
		exit 1
	}
	nre = re + 0; nrb = rb + 0
	if (total) {
		re = rb = 1
		unit = "recording"
	}
	runs = 0
	for (i = 1; i <= nb; i++)
		runs += v[1, "emul_runs." bucket[i]]
	wr = v[1, "emulated_writes"]
	printf "EMULATE guest: %d rounds, %d emulated writes in %d runs\n",
	       nre, wr, runs
	printf "modes (start, end): EMULATE guest %s, %s; BATCH guest %s, %s\n",
	       mode[1, "start"], mode[1, "end"], mode[2, "start"], mode[2, "end"]
	printf "BATCH guest: %d rounds\n", nrb
	printf "\nper %-9s               predicted         real  real/pred\n", unit
	pb = runs * (1 - REFUSE) / re
	pr("batches", pb, v[2, "batches"] / rb)
	for (i = 1; i <= nb; i++)
		pr("  batches of " bucket[i],
		   v[1, "emul_runs." bucket[i]] * (1 - REFUSE) / re,
		   v[2, "batch_hist." bucket[i]] / rb)
	pr("PTEs revalidated", wr * (1 - REFUSE) / re, v[2, "batch_ptes"] / rb)
	pr("unhooks refused", runs * REFUSE / re, v[2, "unhook_refused"] / rb)
	pr("emulated writes", wr * REFUSE / re, v[2, "emulated_writes"] / rb)
	for (i = 1; i <= 8; i++)
		pr("flush." reason[i], pb * w[reason[i]], v[2, "flush." reason[i]] / rb)
	pr("spurious faults", 0, v[2, "spurious_faults"] / rb)
	pr("revalidation failures", 0, v[2, "revalidation_failures"] / rb)

	# Cycles per round: EMULATE W x E; BATCH batches x B + PTEs x V +
	# emulated writes x E (no switch cost: the guest never switches).
	split("7033 72867 726 2000 8000 150", c, " ")
	for (k = 0; k <= 3; k += 3) {
		E = c[k + 1]; B = c[k + 2]; V = c[k + 3]
		emul = wr / re * E
		pred = pb * B + wr * (1 - REFUSE) / re * V + wr * REFUSE / re * E
		real = v[2, "batches"] / rb * B + v[2, "batch_ptes"] / rb * V
		real += v[2, "emulated_writes"] / rb * E
		printf "\nMcycles per %s, E %d B %d V %d (%s):\n", unit, E, B, V,
		       k ? "placeholders" : "pvguest calibration"
		printf "  EMULATE %.1f, BATCH predicted %.1f (%+.0f %%),",
		       emul / 1e6, pred / 1e6, (pred / emul - 1) * 100
		printf " BATCH real %.1f (%+.0f %%)\n", real / 1e6,
		       (real / emul - 1) * 100
	}
}' "$1" "$2"

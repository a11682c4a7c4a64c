#!/bin/sh
# SPDX-License-Identifier: MIT
# The results of record.sh --rounds, from the lab's console log: every
# round's trace (checked against dom0's checksum) into OUT, and a table
# of wall times per workload and mode on standard output (markdown).
#
#   rounds-table.sh [--header TEXT] [--eval PTSWITCH_EVAL] LOG OUT
#
# --header  a comment line put on top of every trace
# --eval    check that each trace parses
#
# Exits 1 when dom0 reported a failure, a trace is damaged, a workload
# lacks a round in either mode, or a round's counters show that its mode
# did not hold (a BATCH round without a batch, an EMULATE round with
# one): the table is then no comparison of the two modes.
set -eu

header=
eval_bin=
while [ $# -gt 0 ]; do
	case $1 in
	--header) header=$2; shift 2 ;;
	--eval) eval_bin=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: rounds-table.sh [--header T] [--eval BIN] LOG OUT" >&2; exit 2; }
log=$1
out=$2
mkdir -p "$out"
status=0

# Console lines carry the kernel's timestamp prefix and a CR.
lines() {
	grep -a "REC: $1 " "$log" | sed "s/^\[ *[0-9.]*\] //; s/^REC: $1 //" |
		tr -d '\r'
}

if lines FAIL | grep -q .; then
	lines FAIL | sed 's/^/rounds-table: dom0: /' >&2
	status=1
fi

# Every trace's lines, read from the log once.
lines LINE >"$out/.lines"
lines SUM | while read -r t want; do
	f=$out/$t.trace
	sed -n "s/^$t //p" "$out/.lines" >"$f.new"
	got=$(md5sum <"$f.new" | cut -d' ' -f1)
	if [ "$want" != "$got" ]; then
		echo "rounds-table: $t: trace damaged (md5 $got, dom0 said $want)" >&2
		rm -f "$f.new"
		echo 1 >"$out/.damaged"
		continue
	fi
	if [ -n "$eval_bin" ] &&
		! "$eval_bin" --duration 10s "$f.new" >/dev/null 2>&1; then
		echo "rounds-table: $t: trace does not parse" >&2
		echo 1 >"$out/.damaged"
	fi
	{
		[ -z "$header" ] || echo "# $header"
		r=${t##*-r}
		echo "# round ${r%-*} of workload ${t%-r*}, in ${t##*-} throughout"
		cat "$f.new"
	} >"$f"
	rm -f "$f.new"
done
rm -f "$out/.lines"
if [ -e "$out/.damaged" ]; then
	rm -f "$out/.damaged"
	status=1
fi

# One awk over the ROUND and RHV lines: the rounds, then the means.
{
	lines ROUND | sed 's/^/R /'
	lines RHV | sed 's/^/H /'
} | awk '
function fail(msg) { print "rounds-table: " msg > "/dev/stderr"; bad = 1 }
$1 == "R" {
	w = $2; r = $3; m = $4; s = $5
	detail = ""
	for (i = 6; i <= NF; i++)
		detail = detail (i > 6 ? " " : "") $i
	key = w SUBSEP r
	mode[key] = m; secs[key] = s; det[key] = detail
	if (!(w in seen)) { seen[w] = 1; order[nw++] = w }
	if (r > maxr[w]) maxr[w] = r
	# Round 0 is the warm-up (dom0-rounds.sh): shown, not averaged.
	if (r > 0) { sum[w, m] += s; n[w, m]++ }
	next
}
$1 == "H" { hv[$2, $3, $4] = $5; next }
END {
	print "| workload | round | mode | wall s | emulated writes | batches | batch PTEs | spurious faults | detail |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 0; i < nw; i++) {
		w = order[i]
		for (r = 0; r <= maxr[w]; r++) {
			key = w SUBSEP r
			if (!(key in mode))
				continue
			m = mode[key]
			b = hv[w, r, "batches"]
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w,
			    r == 0 ? "0 (warm-up)" : r, m, secs[key], hv[w, r, "emulated_writes"], b,
			    hv[w, r, "batch_ptes"], hv[w, r, "spurious_faults"],
			    det[key]
			if (m == "batch" && b + 0 == 0)
				fail(w " round " r ": BATCH round without a batch")
			if (m == "emulate" && b + 0 != 0)
				fail(w " round " r ": EMULATE round with " b " batches")
			if (hv[w, r, "mode"] != "" && hv[w, r, "mode"] != m)
				fail(w " round " r ": mode " hv[w, r, "mode"] " at its end, not " m)
		}
	}
	print ""
	print "| workload | EMULATE mean s | BATCH mean s | EMULATE / BATCH |"
	print "|---|---|---|---|"
	for (i = 0; i < nw; i++) {
		w = order[i]
		if (!n[w, "emulate"] || !n[w, "batch"]) {
			fail(w ": no round in " (n[w, "emulate"] ? "BATCH" : "EMULATE"))
			continue
		}
		e = sum[w, "emulate"] / n[w, "emulate"]
		b = sum[w, "batch"] / n[w, "batch"]
		printf "| %s | %.2f (%d) | %.2f (%d) | %.2f |\n", w, e,
		    n[w, "emulate"], b, n[w, "batch"], (b > 0 ? e / b : 0)
	}
	if (nw == 0)
		fail("no round at all")
	exit bad
}' || status=1
exit $status

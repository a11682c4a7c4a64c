#!/bin/sh
# SPDX-License-Identifier: MIT
# One line per trace: rows, mean PTE writes per second, mean run length,
# the share of runs and of writes in runs of 10 or more (estimated: each
# run counted at its bucket's shortest length), forks per second, and
# the mean interval.  For the README of recorded traces.
#   summarize.sh TRACE...
for f in "$@"; do
	awk -v file="$(basename "$f" .trace)" '
	/^fields / {
		for (i = 2; i <= NF; i++) col[$i] = i - 1
		next
	}
	/^[0-9]/ && col["writes"] {
		n++
		w += $col["writes"]
		for (b = 1; b <= 6; b++) runs[b] += $b
		if (col["forks"]) forks += $col["forks"]
		if (col["ms"]) ms += $col["ms"]
	}
	END {
		split("1 2 10 50 100 512", lo, " ")
		for (b = 1; b <= 6; b++) {
			r += runs[b]
			if (b >= 3) { rl += runs[b]; wl += runs[b] * lo[b] }
		}
		secs = ms ? ms / 1000 : n
		printf "%-9s %4d rows  %8.0f writes/s  run %6.1f  runs>=10 %5.1f%%" \
			"  writes in runs>=10 >=%5.1f%%  forks/s %5.1f  interval %4.0f ms\n",
			file, n, w / secs, r ? w / r : 0, r ? 100 * rl / r : 0,
			w ? 100 * wl / w : 0, forks / secs, n ? (ms ? ms / n : 1000) : 0
	}' "$f"
done

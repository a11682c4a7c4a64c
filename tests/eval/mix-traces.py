#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compose held-out test traces from the committed synthetic ones.

The committed traces (tests/traces/) are what the policy was looked at
with; these mixes are for checking that a policy change generalises.
Every row is copied from a committed trace, so the mixes carry the same
(synthetic) assumptions; only the order of the rows is new.  Output is
deterministic (fixed seed).

  mix-q20 .. mix-q35  stationary: each second is a fork-heavy row with
                      probability q, else a kernel-build row.  The
                      expected saving of BATCH lies between the policy's
                      leave and enter thresholds, and consecutive samples
                      differ wildly: a test of hysteresis, not of speed.
  bursts              webserver, with fork-heavy bursts of 5..90 s at
                      random gaps of 30..600 s.
  slow-phases         kernel-build and fork-heavy alternating every 10 min.

Usage: mix-traces.py OUTDIR   (reads the traces next to this script's
                               ../traces directory)
"""

import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "traces")
ROWS = 3600


def load(name):
    fields, rows = None, []
    with open(os.path.join(SRC, name + ".trace")) as f:
        for line in f:
            if line.startswith("fields "):
                fields = line
            elif line[:1].isdigit():
                rows.append(line)
    return fields, rows


def write(outdir, name, fields, rows, what):
    with open(os.path.join(outdir, name + ".trace"), "w") as f:
        f.write("# SYNTHETIC: rows copied from tests/traces, mixed by "
                "tests/eval/mix-traces.py\n# %s\n" % what)
        f.write("ptswitch-trace 1\nname %s\n" % name)
        f.write(fields)
        f.writelines(rows)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    rng = random.Random(7)
    fields, fork = load("fork-heavy")
    _, kb = load("kernel-build")
    _, web = load("webserver")
    for q in (20, 25, 30, 35):
        rows = [(fork if rng.random() < q / 100 else kb)[i % 300]
                for i in range(ROWS)]
        write(out, "mix-q%d" % q, fields, rows,
              "each second fork-heavy with p=%.2f, else kernel-build"
              % (q / 100))
    rows, i = [], 0
    while len(rows) < ROWS:
        for _ in range(rng.randint(30, 600)):
            rows.append(web[i % 300])
            i += 1
        for _ in range(rng.randint(5, 90)):
            rows.append(fork[i % 300])
            i += 1
    write(out, "bursts", fields, rows[:ROWS],
          "webserver with fork-heavy bursts of 5..90 s every 30..600 s")
    rows = [(kb if (i // 600) % 2 == 0 else fork)[i % 300]
            for i in range(ROWS)]
    write(out, "slow-phases", fields, rows,
          "kernel-build and fork-heavy alternating every 10 minutes")


if __name__ == "__main__":
    main()

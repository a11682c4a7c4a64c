#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the policy evaluation suite: seeded synthetic traces, one per
case of the classes issue 18 lists, each an hour of 1 s rows.

Every trace is a MODEL written from the assumptions below, not a
recording.  The workloads are described by what the cost model reads:
PTE writes per second and the mean length of their runs (consecutive
writes to one L1 page).  With the default (placeholder) costs,
emulated-write 2000, batch 8000, batch-entry 150 cycles, BATCH breaks even
at runs of 8000 / (2000 - 150) = 4.3 writes; it saves 86 % at runs of 60
and costs 2.7 times EMULATE at runs of 1.5.

Trace names are CLASS.CASE: ptswitch-eval groups its summary by CLASS.
Traces of the class `faults` also get counter faults injected by the
replay (resets, wraps, a bogus jump, missing samples: --counter-faults).

Usage: gen-suite.py [--seed N] OUTDIR
Output is deterministic for a given seed (default 1).
"""

import math
import os
import random
import sys

ROWS = 3600
FIELDS = "runs-1 runs-2-9 runs-10-49 runs-50-99 runs-100-511 runs-512 writes"
BUCKET_HI = [1, 9, 49, 99, 511, 512]


def bucket(length):
    for b, hi in enumerate(BUCKET_HI):
        if length <= hi:
            return b
    return 5


def row(rng, rate, runlen, noise=0.0):
    """One second of `rate` PTE writes in runs of about `runlen`, both
    varied by up to +-noise (uniform)."""
    if noise:
        rate *= 1.0 + noise * (2.0 * rng.random() - 1.0)
        runlen *= 1.0 + noise * (2.0 * rng.random() - 1.0)
    runlen = min(max(runlen, 1.0), 512.0)
    runs = int(round(rate / runlen))
    if runs <= 0:
        return [0] * 6 + [0]
    lo = int(math.floor(runlen))
    n_hi = int(round(runs * (runlen - lo))) if lo < 512 else 0
    n_lo = runs - n_hi
    out = [0] * 6
    out[bucket(lo)] += n_lo
    writes = n_lo * lo
    if n_hi:
        out[bucket(lo + 1)] += n_hi
        writes += n_hi * (lo + 1)
    return out + [writes]


ZERO = [0] * 7

# Phases (rate in writes/s, mean run length), placeholder costs in Mcyc/s:
FORKY = (200000, 60.0)     # EMULATE 400, BATCH 57: fork/exit of big heaps
COMPILE = (150000, 1.5)    # EMULATE 300, BATCH 822: short runs
WEB = (10000, 1.2)         # EMULATE 20, BATCH 68


def alternation(rng, period):
    half = period / 2.0
    return [row(rng, *(FORKY if (t // half) % 2 == 0 else COMPILE),
                noise=0.1) for t in range(ROWS)]


def drift(rng):
    # Run length drifts between 2 and 10 across break-even (4.3), a
    # 40-minute period, 100k writes/s, +-20 % noise.
    out = []
    for t in range(ROWS):
        runlen = 6.0 - 4.0 * math.cos(2.0 * math.pi * t / 2400.0)
        out.append(row(rng, 100000, runlen, noise=0.2))
    return out


def storms(rng, mean_gap):
    out, t = [], 0
    nxt = int(rng.expovariate(1.0 / mean_gap)) + 5
    for t in range(ROWS):
        if t == nxt:
            out.append(row(rng, *FORKY, noise=0.1))
            nxt = t + 5 + int(rng.expovariate(1.0 / mean_gap))
        else:
            out.append(row(rng, *WEB, noise=0.2))
    return out


def breakeven(rng, runlen):
    return [row(rng, 100000, runlen, noise=0.3) for _ in range(ROWS)]


def dips(rng, mean_gap):
    out, t = [], 0
    while len(out) < ROWS:
        gap = 30 + int(rng.expovariate(1.0 / mean_gap))
        out += [row(rng, *FORKY, noise=0.1) for _ in range(gap)]
        out += [row(rng, *COMPILE, noise=0.1)
                for _ in range(rng.randint(1, 5))]
    return out[:ROWS]


def steady(rng, rate, runlen, noise):
    return [row(rng, rate, runlen, noise=noise) for _ in range(ROWS)]


def faults(rng):
    # Ten-minute phases, with stretches of zeros (30-120 s) and of huge
    # but possible values (2e6 writes/s in full pages, ten times the
    # fork phase, 5-30 s).
    out = alternation(rng, 1200)
    for _ in range(4):
        a = rng.randrange(ROWS - 120)
        for t in range(a, a + rng.randint(30, 120)):
            out[t] = ZERO
    for _ in range(4):
        a = rng.randrange(ROWS - 30)
        for t in range(a, a + rng.randint(5, 30)):
            out[t] = row(rng, 2e6, 512.0, noise=0.1)
    return out


def suite(seed):
    cases = {}

    def add(name, fn, *args):
        # Each trace its own stream: adding one moves no other.
        rng = random.Random("%d/%s" % (seed, name))
        cases[name] = fn(rng, *args)

    for p in (5, 20, 60, 180, 600):
        add("alternation.p%ds" % p, alternation, p)
    add("drift.d40m", drift)
    for g in (20, 60, 300):
        add("storms.gap%ds" % g, storms, g)
    for runlen, tag in ((4.0, "below"), (4.3, "even"), (4.7, "above")):
        add("breakeven." + tag, breakeven, runlen)
    for g in (120, 300):
        add("dips.gap%ds" % g, dips, g)
    # Below min-write-rate (1000/s), runs of 200: BATCH saves about
    # 0.9 Mcyc/s, a 1e7-cycle switch in about 11 s.
    add("subthreshold.slow", steady, 500, 200.0, 0.2)
    # A steady saving of about 12 %, inside the old hysteresis band.
    add("subthreshold.band", steady, 50000, 5.0, 0.05)
    add("faults.mixed", faults)
    return cases


def main(argv):
    seed = 1
    if len(argv) >= 3 and argv[1] == "--seed":
        seed = int(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, rows in suite(seed).items():
        with open(os.path.join(outdir, name + ".trace"), "w") as f:
            f.write("# SYNTHETIC trace from gen-suite.py (seed %d); "
                    "not a recording\n" % seed)
            f.write("ptswitch-trace 1\nname %s\nfields %s\n" % (name, FIELDS))
            for r in rows:
                f.write(" ".join(str(int(v)) for v in r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the synthetic workload traces in this directory.

Every trace here is a MODEL, not a recording: guest events (page faults,
forks, exits, unmaps) arrive at assumed rates, and each event writes page-
table entries in runs (consecutive writes to one L1 page) whose lengths
follow the assumptions spelled out below and in README.md.  Output is
deterministic (the random generator is seeded by the trace name), so
running this script again reproduces the files byte for byte.

Usage: gen-traces.py [--check] [OUTDIR]
  --check   regenerate into memory and fail if a file differs
"""

import math
import os
import random
import sys

ROWS = 300                      # one row per second: five minutes
BUCKETS = [(1, 1), (2, 9), (10, 49), (50, 99), (100, 511), (512, 512)]
FIELDS = ("runs-1 runs-2-9 runs-10-49 runs-50-99 runs-100-511 runs-512 "
          "writes forks pgfault pgmajfault ctxt")

# How the PTEs of a process's address space fall into runs when a whole
# range is walked (fork write-protects it, exit/exec zaps it): share of
# the PTEs per bucket and the mean run length in that bucket.  Assumed:
# most of a warm process's memory sits in densely populated L1 pages
# (heap, stacks of threads, big mappings), the rest in sparse ones
# (libraries, small mappings).
WALK_PROFILE = [
    # (bucket, share of PTEs, mean run length)
    (5, 0.55, 512.0),
    (4, 0.25, 260.0),
    (3, 0.08, 72.0),
    (2, 0.08, 24.0),
    (1, 0.03, 4.5),
    (0, 0.01, 1.0),
]


def poisson(rng, lam):
    """Poisson draw: exact below 30, normal approximation above."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


class Row:
    def __init__(self):
        self.runs = [0] * 6
        self.writes = 0
        self.forks = 0
        self.pgfault = 0
        self.pgmajfault = 0
        self.ctxt = 0

    def add_runs(self, rng, bucket, runs, mean):
        """Add runs of one bucket with total length about runs * mean."""
        if runs <= 0:
            return
        lo, hi = BUCKETS[bucket]
        w = int(round(runs * mean * rng.gauss(1.0, 0.05)))
        self.runs[bucket] += runs
        self.writes += min(max(w, runs * lo), runs * hi)

    def walk(self, rng, events, ptes):
        """events walks of an address range of about ptes PTEs each."""
        if events <= 0:
            return
        for bucket, share, mean in WALK_PROFILE:
            runs = poisson(rng, events * ptes * share / mean)
            self.add_runs(rng, bucket, runs, mean)

    def faults(self, rng, anon, around, cow):
        """Demand faults: one PTE each, or ~12 by file fault-around."""
        a, f, c = poisson(rng, anon), poisson(rng, around), poisson(rng, cow)
        self.add_runs(rng, 0, a + c, 1.0)
        self.add_runs(rng, 2, f, 12.0)
        self.pgfault += a + f + c
        self.pgmajfault += poisson(rng, f * 0.02)

    def unmaps(self, rng, events, bucket, mean):
        """munmap/madvise of mid-size ranges: one run each."""
        self.add_runs(rng, bucket, poisson(rng, events), mean)

    def processes(self, rng, forks, parent_anon, exits, exit_rss,
                  cow_per_fork=20):
        """forks write-protect the parent's anon PTEs; exits zap an mm."""
        n = poisson(rng, forks)
        self.walk(rng, n, parent_anon)
        self.faults(rng, 0, 0, n * cow_per_fork)
        self.forks += n
        self.ctxt += 3 * n
        self.walk(rng, poisson(rng, exits), exit_rss)

    def line(self):
        return " ".join(str(v) for v in self.runs + [
            self.writes, self.forks, self.pgfault, self.pgmajfault,
            self.ctxt])


def idle(rng, t):
    r = Row()
    r.faults(rng, 25, 4, 0)
    # A cron-like short job now and then: a shell forks and exits.
    r.processes(rng, 0.05, 300, 0.05, 600)
    r.ctxt += poisson(rng, 150)
    return r


def webserver(rng, t):
    # Long-lived workers; load swings slowly (+-30 % over 4 minutes).
    load = 1.0 + 0.3 * math.sin(2 * math.pi * t / 240.0)
    r = Row()
    r.faults(rng, 2500 * load, 150 * load, 0)
    r.unmaps(rng, 350 * load, 1, 5.0)     # small malloc frees
    r.unmaps(rng, 60 * load, 2, 20.0)     # request buffers
    # A worker recycled every few seconds (pm.max_requests style).
    r.processes(rng, 0.3, 2000, 0.3, 6000)
    r.ctxt += poisson(rng, 12000 * load)
    return r


def kernel_build(rng, t):
    # make -j2: ~40 short processes a second (sh, gcc, fixdep, sed) with
    # ~700 PTEs each, plus ~4 cc1 (~12000 PTEs) and ~4 as (~1500) a
    # second; every page they map is faulted in and zapped at exit.
    r = Row()
    small, cc1, asm = 32, 4, 4
    r.processes(rng, small + cc1 + asm, 400, small, 700)
    r.walk(rng, poisson(rng, cc1), 12000)
    r.walk(rng, poisson(rng, asm), 1500)
    mapped = small * 700 + cc1 * 12000 + asm * 1500
    r.faults(rng, 0.6 * mapped, 0.4 * mapped / 12.0, 0)
    r.ctxt += poisson(rng, 9000)
    return r


def fork_heavy(rng, t):
    # A prefork server / test runner: a 32 MiB parent (8000 anon PTEs)
    # forks 15 children a second; each touches a few pages and exits.
    r = Row()
    r.processes(rng, 15, 8000, 15, 8200, cow_per_fork=120)
    r.faults(rng, 400, 40, 0)
    r.ctxt += poisson(rng, 4000)
    return r


def database(rng, t):
    # Long-lived backends touching a shared buffer pool, sort areas
    # released with madvise, a couple of connections a second; a vacuum
    # burst of large unmaps for 10 s every minute.
    r = Row()
    r.faults(rng, 3000, 100, 0)
    r.unmaps(rng, 25, 3, 70.0)
    r.unmaps(rng, 15, 4, 220.0)
    r.processes(rng, 2, 2000, 2, 20000)
    if t % 60 >= 50:
        r.unmaps(rng, 60, 5, 512.0)
        r.unmaps(rng, 40, 4, 300.0)
    r.ctxt += poisson(rng, 20000)
    return r


def phase_change(rng, t):
    # 150 s cycle: build 50 s, idle 25 s, webserver 50 s, fork-heavy 25 s.
    p = t % 150
    if p < 50:
        return kernel_build(rng, t)
    if p < 75:
        return idle(rng, t)
    if p < 125:
        return webserver(rng, t)
    return fork_heavy(rng, t)


TRACES = [
    ("idle", idle, "an idle guest: background faults, a short job every "
     "~20 s"),
    ("webserver", webserver, "long-lived web workers: many single-PTE "
     "faults and short unmaps, rare forks; load swings +-30 %"),
    ("kernel-build", kernel_build, "make -j2 of a kernel: ~40 processes/s "
     "faulting in and zapping whole address spaces"),
    ("fork-heavy", fork_heavy, "a 32 MiB parent forking 15 short-lived "
     "children a second"),
    ("database", database, "database backends on a shared buffer pool; "
     "a vacuum burst 10 s every minute"),
    ("phase-change", phase_change, "150 s cycle: kernel-build 50 s, idle "
     "25 s, webserver 50 s, fork-heavy 25 s"),
]


def render(name, fn, about):
    rng = random.Random("ptswitch-trace-" + name)
    out = [
        "# SYNTHETIC workload trace, generated by gen-traces.py from the",
        "# assumptions stated there and in README.md; not a recording.",
        "# " + about,
        "# One row per 1 s: runs of consecutive PTE writes to one L1 page",
        "# per bucket, total PTE writes, then per-second guest metrics.",
        "ptswitch-trace 1",
        "name " + name,
        "fields " + FIELDS,
    ]
    for t in range(ROWS):
        out.append(fn(rng, t).line())
    return "\n".join(out) + "\n"


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    outdir = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    bad = 0
    for name, fn, about in TRACES:
        text = render(name, fn, about)
        path = os.path.join(outdir, name + ".trace")
        if check:
            try:
                with open(path) as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                print("gen-traces: %s is out of date" % path)
                bad = 1
            continue
        with open(path, "w") as f:
            f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

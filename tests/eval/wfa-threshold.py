#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Why the rule switches at 2H of regret, not less: the clamped counter
with a switching threshold of theta x H (the engine's rule is theta = 2:
from -H to +H) against the exact offline optimum, on the adversary's
sequence for each theta (every sample favours the mode the rule is not
in, by a small step, so the rule pays theta x H of regret, then H to
switch; the optimum sits in one mode), and on random sequences.

Prints cost / OPT per theta.  The work-function rule's ratio on two
states is 3 (Borodin, Linial, Saks 1992); any smaller threshold is
worse in the worst case, so a rule that enters sooner on slow steady
savings (the static target on subthreshold.slow) gives up the bound.

Usage: wfa-threshold.py [--random N]
"""
import random
import sys

H = 1.0


def rule_cost(xs, theta):
    """xs: per-sample (cost_e, cost_b).  Starts in EMULATE."""
    mode, d, cost = 0, -H, 0.0
    for ce, cb in xs:
        cost += cb if mode else ce
        d = max(-H, min(H, d + ce - cb))
        # The counter stands at the mode's side after a switch; theta x H
        # of regret toward the other mode moves it.
        if mode == 0 and d >= -H + theta * H:
            mode, d, cost = 1, H, cost + H
        elif mode == 1 and d <= H - theta * H:
            mode, d, cost = 0, -H, cost + H
    return cost


def opt_cost(xs):
    e, b = 0.0, H  # start in EMULATE
    for ce, cb in xs:
        e, b = min(e, b + H) + ce, min(b, e + H) + cb
    return min(e, b)


def adversary(theta, cycles=200, step=1e-3):
    """Favour the other mode by `step` a sample until the rule moves."""
    xs, mode, d = [], 0, -H
    for _ in range(cycles):
        while True:
            x = (step, 0.0) if mode == 0 else (0.0, step)
            xs.append(x)
            d = max(-H, min(H, d + x[0] - x[1]))
            if mode == 0 and d >= -H + theta * H - 1e-12:
                mode, d = 1, H
                break
            if mode == 1 and d <= H - theta * H + 1e-12:
                mode, d = 0, -H
                break
    return xs


def main(argv):
    n_random = 0
    if len(argv) == 3 and argv[1] == "--random":
        n_random = int(argv[2])
    elif len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    rng = random.Random(1)
    print("theta  adversary cost/OPT  worst of %d random (cost - 2H)/OPT"
          % n_random)
    for theta in (0.5, 1.0, 1.5, 2.0):
        xs = adversary(theta)
        worst = 0.0
        for _ in range(n_random):
            ys = [(rng.random() * 2 * H, rng.random() * 2 * H)
                  for _ in range(rng.randint(1, 40))]
            o = opt_cost(ys)
            if o > 0:
                worst = max(worst, (rule_cost(ys, theta) - 2 * H) / o)
        print("%5.1f  %18.2f  %s" % (theta, rule_cost(xs, theta) / opt_cost(xs),
                                      "%.2f" % worst if n_random else "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

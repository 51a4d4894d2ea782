"""Time klbook.kl_divergence / klbook.entropy against scipy.stats.entropy on 10**7 outcomes.

    python benchmarks/kl_speed.py

klbook validates its input (finite, non-negative, sums to 1) before computing; scipy.stats.entropy
normalises instead. The ratio shows what the checks cost.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from scipy import stats

import klbook as kb

N = 10**7


def best_of(f, repeat=5):
    return min(timeit.repeat(f, number=1, repeat=repeat))


def main() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(N)
    p /= p.sum()
    q = rng.random(N)
    q /= q.sum()
    rows = [
        ("entropy(p)", lambda: kb.entropy(p), lambda: stats.entropy(p)),
        ("kl_divergence(p, q)", lambda: kb.kl_divergence(p, q), lambda: stats.entropy(p, q)),
    ]
    assert abs(kb.kl_divergence(p, q) - stats.entropy(p, q)) < 1e-9
    print(f"{'function (n = 10^7)':<22} {'klbook [s]':>11} {'scipy [s]':>10} {'ratio':>6}")
    for name, ours, theirs in rows:
        a, b = best_of(ours), best_of(theirs)
        print(f"{name:<22} {a:11.3f} {b:10.3f} {a / b:6.2f}")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()

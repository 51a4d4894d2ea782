"""f-GANs on the ring of eight Gaussians: mode coverage and the critic's bound over many seeds.

    python benchmarks/fgan_ring.py --workers 1      # writes klbook/records/fgan_ring.json and benchmarks/fgan_ring.md

Chapter 6 trains a few f-GANs (``klbook.train_fgan``) with D_f = KL, reverse KL and JS, for two
generator families: an affine map of Gaussian noise (the generator can only output a Gaussian)
and a small MLP. A conclusion about mode coverage drawn from a few seeds of an adversarial
game would rest on noise, so this script trains the same configurations for ``PARAMS["seeds"]``
and records, per run (family, divergence, seed):

* whether the game diverged (the critic's bound became NaN or infinite; ``FGANResult.finite``),
  which counts as covering no mode;
* the mode coverage of 2000 generator samples (``klbook.mode_coverage``: modes covered, the
  fraction of high-quality samples, high-quality samples per mode) and the median distance of
  the samples from the centre of the ring;
* for the Gaussian generator, whose distribution N(b, A^T A) is known exactly: its final mean and
  covariance; KL(P||Q), KL(Q||P) and JS(P||Q) at the end, summed over a grid of cells (the same
  grid as the chapter; KL(Q||P) of a Gaussian narrower than 0.1 along an axis as -H(Q) - E_Q log p,
  with E_Q in Q's own coordinates, since the grid cannot resolve it); and, for every logging window, whether the critic's bound (its minibatch
  values averaged over the window) lies below the true D_f of the generator at the end of the
  window.

The summary gives, per family and divergence, the mean number of covered modes and of the
high-quality fraction with 95 % t intervals over seeds; for the MLP, the paired (by seed)
difference of covered modes between JS and reverse KL and the number of failed KL runs (no mode
covered, and diverged or with samples a median distance above ``failed_radius`` from the centre); for the
Gaussian generator, how far the KL-trained Gaussians lie above the forward-KL optimum (the
moment-matched Gaussian), and how the critic's bound compares with the true D_f.

The chapter loads the record with ``kb.load_record("fgan_ring")``, and checks that its own runs
(the first seeds) reproduce the recorded rows; ``tests/test_recorded_benchmarks.py`` checks that
the record matches ``PARAMS`` and that its summary follows from its rows.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor

HERE = pathlib.Path(__file__).resolve().parent

# the same pinned kernels as the notebooks; they must be set before NumPy and torch load
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _pinned  # noqa: E402,F401  (pins the environment on import)

import numpy as np  # noqa: E402

#: The parameters the recorded file must have been made with.
PARAMS: dict = {
    "divergences": ["kl", "reverse_kl", "js"],
    "seeds": list(range(20)),
    "families": {
        "gaussian": {"steps": 2000, "lr": 4e-3},
        "mlp": {"steps": 3000, "lr": 2e-3},
    },
    "common": {"batch": 128, "hidden": 32, "modes": 8, "radius": 2.0, "std": 0.05, "log_every": 50,
               "n_samples": 2000},
    "coverage": {"n_std": 3.0, "min_share": 0.02},
    "grid": {"half_width": 7.0, "step": 0.04},
    "failed_radius": 4.0,
    "confidence": 0.95,
}


def fgan_settings(family: str, params: dict = PARAMS) -> dict:
    """The keyword arguments of ``klbook.train_fgan`` for a family (the chapter uses the same)."""
    return dict(params["common"], **params["families"][family], generator=family)


class RingGrid:
    """Log densities on a grid of cells over [-w, w]^2 and divergences summed over it."""

    def __init__(self, params: dict = PARAMS):
        from scipy import special

        import klbook as kb

        self._lse = special.logsumexp
        h, w = params["grid"]["step"], params["grid"]["half_width"]
        g1 = np.arange(-w, w + h / 2, h)
        x1, x2 = np.meshgrid(g1, g1)
        self.points = np.stack([x1.ravel(), x2.ravel()], axis=1)
        ring = params["common"]
        std = self.std = ring["std"]
        _, self.centres = kb.ring_of_gaussians(1, 0, modes=ring["modes"], radius=ring["radius"], std=std)
        self.log_p = self.normalised(self._lse(
            [-0.5 * ((self.points - c) ** 2).sum(axis=1) / std**2 for c in self.centres], axis=0))
        self.var_mm = ring["radius"] ** 2 / 2 + std**2  # the moment-matched Gaussian N(0, var_mm I)
        self.kl_mm = self.divergence("kl", self.log_gaussian(np.zeros(2), self.var_mm * np.eye(2)))

    def normalised(self, log_density):
        return log_density - self._lse(log_density)

    def log_gaussian(self, mean, cov):
        d = self.points - mean
        prec = np.linalg.inv(cov)  # 2 x 2; the quadratic form elementwise, without BLAS
        quad = prec[0, 0] * d[:, 0] ** 2 + 2 * prec[0, 1] * d[:, 0] * d[:, 1] + prec[1, 1] * d[:, 1] ** 2
        return self.normalised(-0.5 * quad)

    def reverse_kl_gaussian(self, mean, cov, dx=0.025, half=8.0):
        """KL(Q||P) for Q = N(mean, cov) as -H(Q) - E_Q log p, E_Q by a Riemann sum in Q's own
        coordinates (steps of at most ``dx`` along each principal axis, +-``half`` standard
        deviations): exact however narrow Q is, where the fixed grid cannot resolve it."""
        lam, vec = np.linalg.eigh(np.asarray(cov, dtype=float))
        std = np.sqrt(lam)
        us = [np.arange(-half, half + 1e-9, min(0.1, dx / s)) for s in std]
        u1, u2 = np.meshgrid(*us, indexing="ij")
        w = np.exp(-0.5 * (u1**2 + u2**2)).ravel()
        x = mean + np.outer(u1.ravel() * std[0], vec[:, 0]) + np.outer(u2.ravel() * std[1], vec[:, 1])
        std_p = self.std
        log_p = self._lse([-0.5 * ((x - c) ** 2).sum(axis=1) / std_p**2 for c in self.centres], axis=0)
        log_p -= math.log(len(self.centres) * 2 * math.pi * std_p**2)
        entropy = 1.0 + math.log(2 * math.pi) + 0.5 * float(np.sum(np.log(lam)))
        return -entropy - float(np.sum(w * log_p) / np.sum(w))

    def true_divergence(self, name, mean, cov):
        """D_f(P||Q) for Q = N(mean, cov), over the grid; reverse KL of a Q narrower than 0.1 along
        some axis (the grid's cells are 0.04 wide) in Q's own coordinates instead."""
        if name == "reverse_kl" and np.linalg.eigvalsh(np.asarray(cov, dtype=float))[0] < 0.1**2:
            return self.reverse_kl_gaussian(mean, cov)
        return self.divergence(name, self.log_gaussian(mean, cov))

    def divergence(self, name, log_q):
        """KL(P||Q), KL(Q||P) or JS(P||Q) in nats, over the grid."""
        lp = self.log_p

        def kl(a, b):
            return float(np.sum(np.exp(a) * (a - b)))

        if name == "kl":
            return kl(lp, log_q)
        if name == "reverse_kl":
            return kl(log_q, lp)
        log_m = np.logaddexp(lp, log_q) - math.log(2.0)
        return 0.5 * kl(lp, log_m) + 0.5 * kl(log_q, log_m)


def train_family(family: str, params: dict = PARAMS) -> list[dict]:
    """Train every (divergence, seed) of a family in one batched call; one row per run."""
    import torch

    import klbook as kb

    torch.set_num_threads(1)
    t0 = time.process_time()
    res = kb.train_fgan(tuple(params["divergences"]), tuple(params["seeds"]), **fgan_settings(family, params))
    seconds = time.process_time() - t0
    grid = RingGrid(params) if family == "gaussian" else None
    ring = params["common"]
    _, centres = kb.ring_of_gaussians(1, 0, modes=ring["modes"], radius=ring["radius"], std=ring["std"])
    rows = []
    for i, name in enumerate(params["divergences"]):
        for j, seed in enumerate(params["seeds"]):
            x = res.samples[i, j]
            if not res.finite[i, j]:  # the game diverged: no sample is usable, no mode covered
                row = {"family": family, "divergence": name, "seed": seed, "diverged": True, "modes": 0,
                       "high_quality": 0.0, "counts": [0] * len(centres), "median_radius": None}
                assert grid is None, "a Gaussian generator diverged"
                rows.append(row)
                continue
            cov = kb.mode_coverage(x, centres, ring["std"], **params["coverage"])
            row = {"family": family, "divergence": name, "seed": seed, "diverged": False, "modes": cov["modes"],
                   "high_quality": float(cov["high_quality"]), "counts": cov["counts"].tolist(),
                   "median_radius": float(np.median(np.hypot(*x.T)))}
            if grid is not None:
                mean, c = res.mean[i, j], res.cov[i, j]
                true = np.array([grid.true_divergence(name, mean[w + 1], c[w + 1])
                                 for w in range(res.bound.shape[-1])])
                bound = res.bound[i, j]
                log_q = grid.log_gaussian(mean[-1], c[-1])
                row.update(mean=mean[-1].tolist(), cov=c[-1].tolist(),
                           final={n: grid.true_divergence(n, mean[-1], c[-1]) for n in params["divergences"]},
                           kl_above_optimum=grid.divergence("kl", log_q) - grid.kl_mm,
                           windows=int(len(true)), bound_below=int(np.sum(bound < true)),
                           bound_end=float(bound[-1]), true_end=float(true[-1]))
            rows.append(row)
    rows[0]["family_cpu_s"] = round(seconds, 1)
    return rows


def interval(values, confidence: float) -> list[float]:
    """Mean and two-sided t interval over seeds: [mean, low, high]."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return [float(v.mean()), float(v.mean() - half), float(v.mean() + half)]


def summarise(rows: list[dict], params: dict = PARAMS) -> dict:
    """Means with t intervals per (family, divergence); the MLP's paired contrast and failures;
    the Gaussian generator's distance from the forward-KL optimum and its critic's bound."""
    conf = params["confidence"]

    def runs(family, name):
        return sorted((r for r in rows if r["family"] == family and r["divergence"] == name), key=lambda r: r["seed"])

    out = {"coverage": {}}
    for family in params["families"]:
        for name in params["divergences"]:
            rs = runs(family, name)
            out["coverage"][f"{family}/{name}"] = {
                "n": len(rs), "modes_by_seed": [r["modes"] for r in rs],
                "modes": interval([r["modes"] for r in rs], conf),
                "high_quality": interval([r["high_quality"] for r in rs], conf),
            }
    js, rkl = runs("mlp", "js"), runs("mlp", "reverse_kl")
    assert [r["seed"] for r in js] == [r["seed"] for r in rkl]
    out["mlp_js_minus_reverse_kl"] = interval([a["modes"] - b["modes"] for a, b in zip(js, rkl)], conf)
    failed = [r for r in runs("mlp", "kl") if r["modes"] == 0
              and (r["diverged"] or r["median_radius"] > params["failed_radius"])]
    far = [r["median_radius"] for r in failed if not r["diverged"]]
    out["mlp_kl_failed"] = {"n": len(failed), "seeds": [r["seed"] for r in failed],
                            "diverged": sum(r["diverged"] for r in failed),
                            "min_median_radius": min(far, default=None)}
    out["diverged"] = [f"{r['family']}/{r['divergence']}/{r['seed']}" for r in rows if r["diverged"]]
    kl_runs = runs("gaussian", "kl")
    excess = np.array([r["kl_above_optimum"] for r in kl_runs])
    variances = np.concatenate([np.diagonal(np.array(r["cov"])) for r in kl_runs])
    out["gaussian_kl"] = {
        "kl_mm": float(np.median([r["final"]["kl"] - r["kl_above_optimum"] for r in kl_runs])),
        "var_mm": params["common"]["radius"] ** 2 / 2 + params["common"]["std"] ** 2,
        "excess_min": float(excess.min()), "excess_median": float(np.median(excess)),
        "excess_max": float(excess.max()),
        "largest_abs_mean": float(max(np.abs(r["mean"]).max() for r in kl_runs)),
        "variance_min": float(variances.min()), "variance_max": float(variances.max()),
        "variance": interval(variances, conf),
    }
    bound = {"windows": 0, "below": 0}
    for name in params["divergences"]:
        rs = runs("gaussian", name)
        ratio = np.array([r["bound_end"] / r["true_end"] for r in rs])
        bound[name] = {"median_true_end": float(np.median([r["true_end"] for r in rs])),
                       "median_bound_end": float(np.median([r["bound_end"] for r in rs])),
                       "ratio_median": float(np.median(ratio)), "ratio_min": float(ratio.min()),
                       "ratio_max": float(ratio.max())}
        bound["windows"] += sum(r["windows"] for r in rs)
        bound["below"] += sum(r["bound_below"] for r in rs)
    out["gaussian_bound"] = bound
    rs = runs("gaussian", "reverse_kl")
    out["gaussian_reverse_kl_one_mode"] = sum(r["modes"] == 1 for r in rs)
    return out


def markdown(result: dict) -> str:
    p, s = result["params"], result["summary"]
    lines = ["# f-GANs on the ring of eight Gaussians: mode coverage over seeds", "",
             f"Generated by `python benchmarks/fgan_ring.py {result['argv']}`; see the script's docstring. "
             f"{len(p['seeds'])} seeds per (generator, divergence); settings {p['families']} and {p['common']}.", "",
             "| generator | divergence | modes covered per seed | mean modes | 95 % interval "
             "| high quality | 95 % interval |", "| --- | --- | --- | ---: | --- | ---: | --- |"]
    for key, c in s["coverage"].items():
        family, name = key.split("/")
        m, q = c["modes"], c["high_quality"]
        lines.append(f"| {family} | {name} | {' '.join(map(str, c['modes_by_seed']))} | {m[0]:.2f} "
                     f"| [{m[1]:.2f}, {m[2]:.2f}] | {q[0]:.3f} | [{q[1]:.3f}, {q[2]:.3f}] |")
    d, f = s["mlp_js_minus_reverse_kl"], s["mlp_kl_failed"]
    g, b = s["gaussian_kl"], s["gaussian_bound"]
    lines += ["", f"MLP generator, modes covered by JS minus reverse KL, paired by seed: {d[0]:.2f} "
              f"[{d[1]:.2f}, {d[2]:.2f}]. Failed KL runs: {f['n']} (seeds {f['seeds']}; {f['diverged']} of them "
              f"diverged). Diverged runs: {', '.join(s['diverged']) or 'none'}.", "",
              f"Gaussian generator, KL: KL(P||Q) above the moment-matched optimum's {g['kl_mm']:.4f} nats: "
              f"median {g['excess_median']:.4f}, largest {g['excess_max']:.4f}; variances {g['variance_min']:.3f} "
              f"to {g['variance_max']:.3f} (optimum {g['var_mm']:.4f}). Reverse KL runs on exactly one mode: "
              f"{s['gaussian_reverse_kl_one_mode']} of {len(p['seeds'])}.", "",
              f"Critic's bound below the true D_f in {b['below']} of {b['windows']} logging windows. At the end:", "",
              "| divergence | median true D_f | median bound | bound / D_f: median | min | max |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name in p["divergences"]:
        r = b[name]
        lines.append(f"| {name} | {r['median_true_end']:.3f} | {r['median_bound_end']:.3f} | {r['ratio_median']:.3f} "
                     f"| {r['ratio_min']:.3f} | {r['ratio_max']:.3f} |")
    lines += ["", result["machine"], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="generator families trained in parallel processes")
    parser.add_argument("--out", default=str(HERE / "fgan_ring"), help="output path without extension (.md)")
    args = parser.parse_args(argv)
    os.environ["KLBOOK_DEVICE"] = "cpu"
    os.environ["KLBOOK_QUIET"] = "1"
    start = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(args.workers) as pool:
        for family_rows in pool.map(train_family, list(PARAMS["families"])):
            rows += family_rows
            print(f"{family_rows[0]['family']}: {len(family_rows)} runs, {family_rows[0]['family_cpu_s']} s CPU",
                  flush=True)
    result = {
        "params": PARAMS,
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
        "runs": rows,
        "summary": summarise(rows, PARAMS),
        "machine": _pinned.machine(start, args.workers),
    }
    _pinned.write("fgan_ring", result, args.out + ".md", markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Trained mutual-information critics (DV/MINE, DV with MINE's moving average, NWJ, InfoNCE) over ten seeds.

    python benchmarks/mi_critics.py --workers 1   # writes klbook/records/mi_critics.json and benchmarks/mi_critics.md

Chapter 7 trains one critic per bound and level of true mutual information (4 and 6 nats, pairs of
2-D Gaussians) for 1200 Adam steps and shows how far below the truth each ends. One seed says
nothing about the spread between seeds, and 1200 steps say nothing about where longer training
ends; this script repeats the chapter's training loop, unchanged, for ``PARAMS["seeds"]`` and
trains each run on to ``PARAMS["checkpoints"][-1]`` steps. At every checkpoint each critic is
evaluated on ``eval_batches`` fresh batches drawn from its own evaluation generator (seed
``10_000 + seed``), which the training batches never touch, so the chapter's run (seed 0,
1200 steps) reproduces this record's seed-0 rows exactly. Per run (seed, bound, level): the
estimate at each checkpoint, the rise of the training bound over the 300 steps before it (mean
of the last 100 steps minus the mean of the 100 steps 300 earlier), and the training bound
averaged over blocks of ``trace_every`` steps. ``summarise`` gives, per bound, level and
checkpoint, the mean, standard deviation, standard error, minimum and maximum over seeds, and the
difference between the moving-average and the plain DV critics with its standard error.
``tests/test_recorded_benchmarks.py`` checks that the record matches ``PARAMS`` and that the
summary follows from the rows.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import sys
import time

# the same pinned kernels as the notebooks; they must be set before NumPy and torch load
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _pinned import kernels as _kernels  # noqa: E402,F401  (pins the environment on import)

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
RECORD = HERE.parent / "klbook" / "records" / "mi_critics.json"

PARAMS = {
    "kinds": ["DV", "DV, moving average", "NWJ", "InfoNCE"],
    "levels": [4.0, 6.0],
    "d": 2,
    "n_batch": 128,
    "sizes": [2, 32, 32, 16],
    "out_scale": 0.1,
    "lr": 2e-3,
    "momentum": 0.01,
    "squash": 20.0,
    "seeds": list(range(10)),
    "checkpoints": [1200, 3000],
    "eval_batches": 100,
    "eval_seed_offset": 10_000,
    "trace_every": 50,
}


def train_critics(seed, n_steps, checkpoints=None, p=PARAMS):
    """The chapter's training loop: the 8 critics of one seed (4 bounds x 2 levels) as one batched model.

    Returns the training bound at every step, shape (n_steps, 8), and the evaluated estimates at
    each checkpoint, shape (len(checkpoints), 8); rows ordered (bound, level).
    """
    import torch

    import klbook as kb

    torch.set_num_threads(1)
    checkpoints = list(checkpoints or [n_steps])
    kinds, levels, d, n_batch = p["kinds"], p["levels"], p["d"], p["n_batch"]
    n_lev = len(levels)
    m = len(kinds) * n_lev
    gen = torch.Generator().manual_seed(seed)
    eval_gen = torch.Generator().manual_seed(p["eval_seed_offset"] + seed)
    level = torch.tensor(levels).repeat(len(kinds)).view(m, 1, 1)
    rho = torch.sqrt(1 - torch.exp(-2 * level / d))
    g_net = kb.BatchedMLP(m, p["sizes"], out_scale=p["out_scale"], generator=gen, device="cpu")
    h_net = kb.BatchedMLP(m, p["sizes"], out_scale=p["out_scale"], generator=gen, device="cpu")
    optimizer = torch.optim.Adam([*g_net.parameters(), *h_net.parameters()], lr=p["lr"])

    def critic_scores(g):
        x = torch.randn(m, n_batch, d, generator=g)
        noise = torch.randn(m, n_batch, d, generator=g)
        y = rho * x + torch.sqrt(1 - rho**2) * noise
        return g_net(x) @ h_net(y).transpose(1, 2)  # (m, n, n)

    def bounds(s):
        dv, ma, nwj, nce = torch.split(s, n_lev)
        c = p["squash"]
        return torch.cat([kb.dv_lower_bound(dv), kb.dv_lower_bound(ma), kb.nwj_lower_bound(nwj),
                          kb.infonce_lower_bound(c * torch.tanh(nce / c))])

    trace = np.zeros((n_steps, m))
    estimates = []
    log_m = None
    for step in range(n_steps):
        s = critic_scores(gen)
        values = bounds(s)
        loss_ma, log_m = kb.mine_loss(torch.split(s, n_lev)[1], log_m, momentum=p["momentum"])
        objective = torch.cat([values[:n_lev], -loss_ma, values[2 * n_lev:]]).sum()
        optimizer.zero_grad()
        (-objective).backward()
        optimizer.step()
        trace[step] = values.detach().numpy()
        if step + 1 in checkpoints:
            with torch.no_grad():
                evals = torch.stack([bounds(critic_scores(eval_gen)) for _ in range(p["eval_batches"])])
            estimates.append(evals.double().mean(0).numpy())
    return trace, np.array(estimates)


def run(seed, p=PARAMS):
    cpu0 = time.process_time()
    trace, est = train_critics(seed, p["checkpoints"][-1], p["checkpoints"], p)
    rows = []
    n_lev = len(p["levels"])
    for i, kind in enumerate(p["kinds"]):
        for j, level in enumerate(p["levels"]):
            col = i * n_lev + j
            rise = [float(trace[c - 100:c, col].mean() - trace[c - 400:c - 300, col].mean()) for c in p["checkpoints"]]
            blocks = trace[:, col].reshape(-1, p["trace_every"]).mean(1)
            rows.append({
                "seed": seed, "kind": kind, "level": level,
                "estimate": [float(v) for v in est[:, col]],
                "rise": [round(v, 6) for v in rise],
                "trace": [round(float(v), 4) for v in blocks],
            })
    cpu = round(time.process_time() - cpu0, 1)
    for r in rows:
        r["cpu_s"] = cpu
    return rows


def _stats(values):
    v = np.asarray(values, dtype=float)
    n = len(v)
    sd = float(v.std(ddof=1))
    return {"n": n, "mean": round(float(v.mean()), 6), "sd": round(sd, 6), "se": round(sd / math.sqrt(n), 6),
            "min": round(float(v.min()), 6), "max": round(float(v.max()), 6)}


def summarise(rows: list[dict], params: dict = PARAMS) -> dict:
    """Per bound, level and checkpoint: the estimate and its rise over seeds; the moving-average minus plain DV difference."""
    out = {"estimate": {}, "rise": {}, "ma_minus_dv": {}}
    for k, c in enumerate(params["checkpoints"]):
        for kind in params["kinds"]:
            for level in params["levels"]:
                rs = sorted((r for r in rows if r["kind"] == kind and r["level"] == level), key=lambda r: r["seed"])
                key = f"{kind}/{level:g}/{c}"
                out["estimate"][key] = _stats([r["estimate"][k] for r in rs])
                out["rise"][key] = _stats([r["rise"][k] for r in rs])
        for level in params["levels"]:
            a = out["estimate"][f"DV/{level:g}/{c}"]
            b = out["estimate"][f"DV, moving average/{level:g}/{c}"]
            se = math.sqrt(a["se"] ** 2 + b["se"] ** 2)
            out["ma_minus_dv"][f"{level:g}/{c}"] = {"diff": round(b["mean"] - a["mean"], 6), "se": round(se, 6)}
    return out


def markdown(result: dict) -> str:
    p = result["params"]
    lines = ["# Trained mutual-information critics over seeds", "",
             f"Generated by `python benchmarks/mi_critics.py {result['argv']}`; see the script's docstring. "
             f"{len(p['seeds'])} seeds, batches of {p['n_batch']} pairs, Adam at {p['lr']}, "
             f"evaluated on {p['eval_batches']} fresh batches at each checkpoint.", "",
             "| bound | true MI (nats) | steps | estimate: mean | sd | min | max | rise over the last 300 steps: mean | sd |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    s = result["summary"]
    for kind in p["kinds"]:
        for level in p["levels"]:
            for c in p["checkpoints"]:
                e, r = s["estimate"][f"{kind}/{level:g}/{c}"], s["rise"][f"{kind}/{level:g}/{c}"]
                lines.append(f"| {kind} | {level:g} | {c} | {e['mean']:.3f} | {e['sd']:.3f} | {e['min']:.3f} "
                             f"| {e['max']:.3f} | {r['mean']:+.3f} | {r['sd']:.3f} |")
    lines += ["", "Moving-average minus plain DV estimate (standard error):", "",
              "| true MI (nats) | steps | difference | se |", "| ---: | ---: | ---: | ---: |"]
    for level in p["levels"]:
        for c in p["checkpoints"]:
            v = s["ma_minus_dv"][f"{level:g}/{c}"]
            lines.append(f"| {level:g} | {c} | {v['diff']:+.3f} | {v['se']:.3f} |")
    lines += ["", result["machine"], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="seeds in parallel processes")
    args = parser.parse_args(argv)
    os.environ["KLBOOK_QUIET"] = "1"
    start = time.perf_counter()
    rows = []
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers) as pool:
            for rs in pool.map(run, PARAMS["seeds"]):
                rows += rs
                print(f"seed {rs[0]['seed']}: {rs[0]['cpu_s']} s", flush=True)
    else:
        for seed in PARAMS["seeds"]:
            rows += run(seed)
            print(f"seed {seed}: {rows[-1]['cpu_s']} s", flush=True)
    import torch

    result = {
        "params": PARAMS,
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
        "runs": rows,
        "summary": summarise(rows, PARAMS),
        "seconds": round(time.perf_counter() - start, 1),
        "machine": f"{platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}, "
                   f"numpy {np.__version__}",
    }
    RECORD.write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "mi_critics.md").write_text(markdown(result))
    print(f"wrote {RECORD} and benchmarks/mi_critics.md ({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A controlled comparison of TRPO and PPO on CartPole-v1: same gamma, lambda, batch and network.

    python benchmarks/trpo_vs_ppo.py --workers 2            # run, write klbook/records/trpo_vs_ppo.json and benchmarks/trpo_vs_ppo.md
    python benchmarks/trpo_vs_ppo.py --settings ppo-tuned   # one setting only (the other is recorded as missing)
    python benchmarks/trpo_vs_ppo.py --from-log a.log b.log # rebuild the record from the rows runs printed

The script pins the chapters' kernel environment (``klbook/_kernels.py``) before NumPy and torch
load, so a recorded run repeats chapter 5's run of the same seed and settings exactly; the
record lists the pinned variables (``kernel_env``).

Chapter 5 quotes the recorded result (``klbook/records/trpo_vs_ppo.json``, ``kb.load_record``) instead of training many seeds itself;
``tests/test_recorded_benchmarks.py`` checks that the recorded file matches ``PARAMS`` below, so a
change of parameters without a re-run fails the tests.

Two settings, each shared by both algorithms (only the way a batch becomes a policy update
differs: TRPO's natural-gradient step in a mean-KL trust region of radius ``max_kl``, PPO's 20
epochs of minibatch Adam on the clipped surrogate):

* ``ppo-tuned``: gamma 0.98, lambda 0.8, batches of 8 x 32 steps (the RL-Zoo CartPole settings);
* ``trpo-tuned``: gamma 0.99, lambda 0.95, batches of 8 x 64 steps (chapter 5's TRPO settings).

Both use the same 64 x 64 tanh actor and critic (``klbook.rl.ActorCritic``). Every other argument
is the default of ``klbook.train_ppo`` / ``klbook.train_trpo``. "Solved" is the mean return of
the last 20 training episodes reaching 475 (``klbook.steps_to_solve``); a run that never gets
there within the budget counts as unsolved. Reported per (setting, algorithm): how many seeds
solved (with a 95 % Wilson interval), the median steps to solve with a 95 % bootstrap interval
(unsolved runs count as "more than the budget"), the mean of the last 20 episodes at the end of
the budget (mean and a 95 % t interval over seeds), the largest per-update exact KL, and CPU time.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor

# the same pinned kernels as the notebooks (torch ATen avx2, MKL/oneDNN ISA, NumPy SIMD
# targets, one thread), so that a recorded run repeats the chapter's run of the same seed;
# they must be set before NumPy and torch load
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _pinned  # noqa: E402  (pins the environment on import)
from _pinned import kernels as _kernels  # noqa: E402

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent

PARAMS = {
    "env_id": "CartPole-v1",
    "budget": 60_000,
    "seeds": list(range(10)),
    "hidden": [64, 64],
    "max_kl": 0.01,
    "settings": {
        "ppo-tuned": {"gamma": 0.98, "lam": 0.8, "n_envs": 8, "n_steps": 32},
        "trpo-tuned": {"gamma": 0.99, "lam": 0.95, "n_envs": 8, "n_steps": 64},
    },
    "algorithms": ["trpo", "ppo-clip"],
    "bootstrap": {"resamples": 10_000, "seed": 0},
}


def run(job):
    import torch

    import klbook as kb

    torch.set_num_threads(1)
    setting, algorithm, seed = job
    common = dict(PARAMS["settings"][setting], hidden=tuple(PARAMS["hidden"]), seed=seed,
                  total_steps=PARAMS["budget"], device="cpu")
    cpu0 = time.process_time()
    if algorithm == "trpo":
        h = kb.train_trpo(PARAMS["env_id"], max_kl=PARAMS["max_kl"], **common)
    else:
        h = kb.train_ppo(PARAMS["env_id"], objective="clip", **common)
    return {
        "setting": setting,
        "algorithm": algorithm,
        "seed": seed,
        "steps_to_solve": h.steps_to_solve,
        "final_mean": round(h.final_mean(), 2),
        "max_kl": round(float(h.kl_exact.max()), 5),
        "frac_updates_kl_above_delta": round(float(np.mean(h.kl_exact > PARAMS["max_kl"])), 4),
        "cpu_s": round(time.process_time() - cpu0, 2),
    }


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval for a binomial proportion k / n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarise(rows: list[dict], params: dict = PARAMS) -> dict:
    """Per setting and algorithm: solve rate, median steps to solve, final return, KL, CPU time."""
    from scipy import stats

    budget = params["budget"]
    gen = np.random.default_rng(params["bootstrap"]["seed"])
    out = {}
    for setting in params["settings"]:
        for algorithm in params["algorithms"]:
            rs = sorted((r for r in rows if r["setting"] == setting and r["algorithm"] == algorithm),
                        key=lambda r: r["seed"])
            n = len(rs)
            steps = np.array([r["steps_to_solve"] if r["steps_to_solve"] is not None else np.inf for r in rs])
            solved = int(np.isfinite(steps).sum())
            boot = np.median(gen.choice(steps, size=(params["bootstrap"]["resamples"], n)), axis=1)
            lo, hi = np.percentile(boot, [2.5, 97.5], method="lower"), np.percentile(boot, [2.5, 97.5], method="higher")
            final = np.array([r["final_mean"] for r in rs])
            t = stats.t.ppf(0.975, n - 1) * final.std(ddof=1) / math.sqrt(n)

            def num(x):
                return None if not np.isfinite(x) else float(x)

            out[f"{setting}/{algorithm}"] = {
                "n": n,
                "solved": solved,
                "solved_ci": [round(v, 3) for v in wilson(solved, n)],
                "median_steps": num(np.median(steps)),
                "median_steps_ci": [num(lo[0]), num(hi[1])],
                "final_mean": round(float(final.mean()), 1),
                "final_mean_ci": [round(float(final.mean() - t), 1), round(float(final.mean() + t), 1)],
                "max_kl": max(r["max_kl"] for r in rs),
                "median_frac_updates_kl_above_delta": float(np.median([r["frac_updates_kl_above_delta"] for r in rs])),
                "median_cpu_s": float(np.median([r["cpu_s"] for r in rs])),
                "budget_exceeded_means_unsolved": budget,
            }
    return out


def markdown(result: dict) -> str:
    p = result["params"]
    lines = ["# TRPO and PPO on CartPole-v1: a controlled comparison", "",
             f"Generated by `python benchmarks/trpo_vs_ppo.py {result['argv']}`; see the script's docstring. "
             f"{len(p['seeds'])} seeds, {p['budget']} environment steps each, TRPO radius {p['max_kl']} nats.", "",
             "| setting | algorithm | solved | 95 % interval | median steps to solve | 95 % interval "
             "| final mean (last 20) | 95 % interval | largest update KL | median CPU s |",
             "| --- | --- | ---: | --- | ---: | --- | ---: | --- | ---: | ---: |"]

    def fmt(x):
        return "> budget" if x is None else f"{x:.0f}"

    for key, s in result["summary"].items():
        setting, algorithm = key.split("/")
        lines.append(f"| {setting} {p['settings'][setting]} | {algorithm} | {s['solved']}/{s['n']} "
                     f"| {s['solved_ci'][0]:.2f}-{s['solved_ci'][1]:.2f} | {fmt(s['median_steps'])} "
                     f"| {fmt(s['median_steps_ci'][0])}-{fmt(s['median_steps_ci'][1])} | {s['final_mean']:.1f} "
                     f"| {s['final_mean_ci'][0]:.1f}-{s['final_mean_ci'][1]:.1f} | {s['max_kl']:.4f} "
                     f"| {s['median_cpu_s']:.1f} |")
    lines += ["", "Per run:", "", "| setting | algorithm | seed | steps to solve | final mean | largest KL "
              "| updates with KL > delta | CPU s |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in result["runs"]:
        lines.append(f"| {r['setting']} | {r['algorithm']} | {r['seed']} | {fmt(r['steps_to_solve'])} "
                     f"| {r['final_mean']:.1f} | {r['max_kl']:.4f} | {r['frac_updates_kl_above_delta']:.0%} "
                     f"| {r['cpu_s']:.1f} |")
    if result.get("kernel_env"):
        lines += ["", "Every run was made in the pinned kernel environment of the chapters "
                  f"(`klbook/_kernels.py`: {', '.join(f'{k}={v}' for k, v in result['kernel_env'].items())}), "
                  "so a run repeats the chapter's run of the same seed and settings."]
    if result.get("missing_settings"):
        lines += ["", f"Not recorded (no complete run of these settings): {', '.join(result['missing_settings'])}."]
    lines += ["", result["machine"], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="runs in parallel processes")
    parser.add_argument("--out", default=str(HERE / "trpo_vs_ppo"), help="output path without extension (.md); the record goes to klbook/records/")
    parser.add_argument("--from-log", nargs="+", help="instead of running, rebuild the result from the rows "
                        "one or more runs printed; settings with a missing run are left out of the record "
                        "(and listed as missing)")
    parser.add_argument("--settings", nargs="+", choices=list(PARAMS["settings"]), default=list(PARAMS["settings"]),
                        help="run only these settings (the others are listed as missing)")
    args = parser.parse_args(argv)
    os.environ.setdefault("KLBOOK_DEVICE", "cpu")
    jobs = [(s, a, seed) for s in args.settings for a in PARAMS["algorithms"] for seed in PARAMS["seeds"]]
    start = time.perf_counter()
    rows = []
    if args.from_log:
        import ast

        for log in args.from_log:
            with open(log) as f:
                rows += [ast.literal_eval(line) for line in f if line.startswith("{'setting'")]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            for row in pool.map(run, jobs):
                rows.append(row)
                print(row, flush=True)
    done = {(r["setting"], r["algorithm"], r["seed"]) for r in rows}
    complete = [s for s in PARAMS["settings"] if all((s, a, seed) in done for a in PARAMS["algorithms"]
                                                      for seed in PARAMS["seeds"])]
    params = dict(PARAMS, settings={s: PARAMS["settings"][s] for s in complete})
    rows = [r for r in rows if r["setting"] in complete]
    result = {
        "params": params,
        "missing_settings": [s for s in PARAMS["settings"] if s not in complete],
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
        "runs": rows,
        "kernel_env": _kernels.KERNEL_ENV,
        "summary": summarise(rows, params),
        "machine": _pinned.machine(start, args.workers, rebuilt=bool(args.from_log)),
    }
    _pinned.write("trpo_vs_ppo", result, args.out + ".md", markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

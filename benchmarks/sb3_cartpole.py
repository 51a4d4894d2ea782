"""klbook's PPO side by side with Stable-Baselines3's on CartPole-v1: steps to solve and CPU time.

Stable-Baselines3 is not a dependency of the book; install it into a separate environment,
for example (the second line reuses the book's pinned packages instead of downloading them)::

    python3 -m venv /tmp/sb3env
    echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/sb3env/lib/python3.11/site-packages/book.pth
    /tmp/sb3env/bin/pip install --no-deps -r benchmarks/requirements-sb3.txt
    PYTHONPATH=$PWD /tmp/sb3env/bin/python benchmarks/sb3_cartpole.py --workers 2

``--no-deps``: the pinned Stable-Baselines3 declares ``gymnasium<1.3``, while the book pins
gymnasium 1.4; the CartPole and vector-environment APIs it uses are unchanged, and the run
below works (a version check would otherwise refuse it).

Both sides use the RL Baselines3 Zoo's hyperparameters for CartPole-v1 (``hyperparams/ppo.yml``):
8 environments x 32 steps per batch, 20 epochs, minibatches of 256, gamma 0.98, GAE lambda 0.8,
no entropy bonus, learning rate ``lin_0.001`` and clip range ``lin_0.2`` (both fall linearly to
0 over the run), Stable-Baselines3's default MLP policy (separate 64 x 64 tanh actor and critic,
orthogonal initialisation) -- and the same budget of 60 000 environment steps, one torch thread,
seeds 0-4. klbook runs with the Zoo's clip schedule (``anneal_clip=True``, the like-for-like
comparison); ``--constant-clip`` adds a third variant with ``train_ppo``'s default constant clip
range (what chapter 5 trains).

"Solved" is defined identically for both: ``klbook.steps_to_solve`` (the mean return of the last
20 finished training episodes reaches 475) applied to each run's list of (return, environment
steps when the episode ended); for Stable-Baselines3 the list comes from its ``Monitor`` wrapper,
read by a callback after every vector step. CPU time is ``time.process_time()`` around building
the environments and model and training (one thread, so it measures the work whatever the load).
"""

from __future__ import annotations

import argparse
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
    "seeds": list(range(5)),
    "zoo": {"n_envs": 8, "n_steps": 32, "batch_size": 256, "n_epochs": 20, "gamma": 0.98,
            "gae_lambda": 0.8, "ent_coef": 0.0, "learning_rate": "lin_0.001", "clip_range": "lin_0.2"},
    "variants": ["sb3", "klbook-zoo-schedule"],
}


def run_sb3(seed: int):
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    z = PARAMS["zoo"]
    returns, ends = [], []

    class Record(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    returns.append(float(info["episode"]["r"]))
                    ends.append(int(self.num_timesteps))
            return True

    env = make_vec_env(PARAMS["env_id"], n_envs=z["n_envs"], seed=seed)
    model = PPO("MlpPolicy", env, n_steps=z["n_steps"], batch_size=z["batch_size"], n_epochs=z["n_epochs"],
                gamma=z["gamma"], gae_lambda=z["gae_lambda"], ent_coef=z["ent_coef"],
                learning_rate=lambda progress: progress * 1e-3, clip_range=lambda progress: progress * 0.2,
                seed=seed, device="cpu", verbose=0)
    model.learn(total_timesteps=PARAMS["budget"], callback=Record())
    env.close()
    return np.array(returns), np.array(ends)


def run_klbook(seed: int, anneal_clip: bool):
    import klbook as kb

    z = PARAMS["zoo"]
    h = kb.train_ppo(PARAMS["env_id"], total_steps=PARAMS["budget"], seed=seed, n_envs=z["n_envs"],
                     n_steps=z["n_steps"], minibatch_size=z["batch_size"], n_epochs=z["n_epochs"],
                     gamma=z["gamma"], lam=z["gae_lambda"], ent_coef=z["ent_coef"], lr=1e-3, anneal_lr=True,
                     clip=0.2, anneal_clip=anneal_clip, device="cpu")
    return h.episode_returns, h.episode_end_steps


def run(job):
    import torch

    import klbook as kb

    torch.set_num_threads(1)
    import stable_baselines3.common.env_util  # noqa: F401  (imports are not part of the timed work)
    from stable_baselines3 import PPO  # noqa: F401

    variant, seed = job
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if variant == "sb3":
        returns, ends = run_sb3(seed)
    else:
        returns, ends = run_klbook(seed, anneal_clip=variant == "klbook-zoo-schedule")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"variant": variant, "seed": seed, "steps_to_solve": kb.steps_to_solve(returns, ends),
            "final_mean": round(float(np.mean(returns[-20:])), 2), "episodes": len(returns),
            "last_step": int(ends[-1]), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}


def summarise(rows: list[dict], params: dict = PARAMS) -> dict:
    out = {}
    by = {(r["variant"], r["seed"]): r for r in rows}
    sb3_steps = [by["sb3", s]["steps_to_solve"] for s in params["seeds"]]
    sb3_cpu = [by["sb3", s]["cpu_s"] for s in params["seeds"]]
    for v in params["variants"]:
        steps = [by[v, s]["steps_to_solve"] for s in params["seeds"]]
        cpu = [by[v, s]["cpu_s"] for s in params["seeds"]]
        solved = [x for x in steps if x is not None]
        out[v] = {"solved": len(solved), "n": len(steps),
                  "median_steps": float(np.median([x if x is not None else np.inf for x in steps])),
                  "median_cpu_s": float(np.median(cpu))}
        if v != "sb3":
            both = [(a, b) for a, b in zip(steps, sb3_steps) if a is not None and b is not None]
            out[v]["median_steps_ratio_vs_sb3"] = (
                float(np.median([x if x is not None else np.inf for x in steps])
                      / np.median([x if x is not None else np.inf for x in sb3_steps])))
            out[v]["per_seed_steps_ratio"] = [round(a / b, 3) for a, b in both]
            out[v]["median_cpu_ratio_vs_sb3"] = float(np.median(cpu) / np.median(sb3_cpu))
            out[v]["per_seed_cpu_ratio"] = [round(a / b, 3) for a, b in zip(cpu, sb3_cpu)]
    return out


def markdown(result: dict) -> str:
    p = result["params"]
    lines = ["# klbook PPO and Stable-Baselines3 PPO on CartPole-v1", "",
             f"Generated by `PYTHONPATH=. python benchmarks/sb3_cartpole.py {result['argv']}` in an environment "
             f"with {result['versions']}; see the script's docstring. RL-Zoo hyperparameters {p['zoo']}, "
             f"{p['budget']} environment steps, one torch thread per run.", "",
             "| variant | seed | steps to solve | mean of last 20 | CPU s | wall s |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in result["runs"]:
        solve = r["steps_to_solve"] if r["steps_to_solve"] is not None else "not solved"
        lines.append(f"| {r['variant']} | {r['seed']} | {solve} | {r['final_mean']:.1f} | {r['cpu_s']:.1f} "
                     f"| {r['wall_s']:.1f} |")
    lines += ["", "| variant | solved | median steps to solve | median CPU s | steps ratio vs SB3 (medians) "
              "| CPU ratio vs SB3 (medians) |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for v, s in result["summary"].items():
        ratio = (f"{s['median_steps_ratio_vs_sb3']:.2f} | {s['median_cpu_ratio_vs_sb3']:.2f}"
                 if "median_steps_ratio_vs_sb3" in s else "1 | 1")
        lines.append(f"| {v} | {s['solved']}/{s['n']} | {s['median_steps']:.0f} | {s['median_cpu_s']:.1f} | {ratio} |")
    if result.get("kernel_env"):
        lines += ["", "Every run was made in the pinned kernel environment of the chapters "
                  f"(`klbook/_kernels.py`: {', '.join(f'{k}={v}' for k, v in result['kernel_env'].items())})."]
    else:
        lines += ["", "These runs were made before the script pinned the kernel environment of the chapters "
                  "(`klbook/_kernels.py`); a re-run, which pins it, may give different rows."]
    if result["params"]["seeds"] != result["planned_seeds"]:
        lines += ["", f"Recorded seeds {result['params']['seeds']} of the planned {result['planned_seeds']}: "
                  "the run did not finish the others in time."]
    lines += ["", result["machine"], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--constant-clip", action="store_true", help="also run klbook with a constant clip range")
    parser.add_argument("--out", default=str(HERE / "sb3_cartpole"), help="output path without extension (.md); the record goes to klbook/records/")
    parser.add_argument("--from-log", nargs="+", help="instead of running, rebuild the result from the rows a run printed; "
                        "only the seeds with every variant finished are recorded")
    args = parser.parse_args(argv)
    import gymnasium
    import stable_baselines3
    import torch

    if args.constant_clip:
        PARAMS["variants"].append("klbook-constant-clip")
    jobs = [(v, s) for s in PARAMS["seeds"] for v in PARAMS["variants"]]
    start = time.perf_counter()
    rows = []
    if args.from_log:
        import ast

        for log in args.from_log:
            with open(log) as f:
                rows += [ast.literal_eval(line) for line in f if line.startswith("{'variant'")]
        rows = [r for r in rows if r["variant"] in PARAMS["variants"]]
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            for row in pool.map(run, jobs):
                print(row, flush=True)
                rows.append(row)
    done = {(r["variant"], r["seed"]) for r in rows}
    seeds = [s for s in PARAMS["seeds"] if all((v, s) in done for v in PARAMS["variants"])]
    params = dict(PARAMS, seeds=seeds)
    rows = [r for r in rows if r["seed"] in seeds]
    result = {
        "params": params,
        "planned_seeds": PARAMS["seeds"],
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
        "versions": f"stable-baselines3 {stable_baselines3.__version__}, gymnasium {gymnasium.__version__}, "
                    f"torch {torch.__version__}",
        "runs": rows,
        "kernel_env": _kernels.KERNEL_ENV,
        "summary": summarise(rows, params),
        "machine": _pinned.machine(start, args.workers, rebuilt=bool(args.from_log)),
    }
    _pinned.write("sb3_cartpole", result, args.out + ".md", markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

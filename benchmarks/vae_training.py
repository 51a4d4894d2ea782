"""How much does training the chapter-4 VAE longer improve its test log-likelihood?

    python benchmarks/vae_training.py --workers 1     # about 40 min on 2 shared CPU cores

Writes ``klbook/records/vae_training.json`` and ``benchmarks/vae_training.md``.

Trains the beta = 1 VAE of chapter 4 (16 latent dimensions, two hidden layers of 128 tanh
units, minibatches of 128, Adam at 3e-3 with a cosine schedule to zero, KL warm-up over the
first 20 % of the steps, ``seed=0``) for increasing numbers of steps, and a network twice as
wide, on the book's digits split. Every run trains ``n_inits`` independently initialised
beta = 1 models together (``kb.train_vae(beta=[1.0] * n_inits)``: stacked weights, the same
minibatches), so each row shows how much the result depends on the initialisation. Every
model is evaluated on the training and on the test set with the same estimator, the
importance-weighted bound with K = 1000 samples per image (nats per image), so that the
train-test gap is not an artefact of different K.

The chapter trains for 2000 steps and quotes this record (``kb.load_record("vae_training")``)
instead of training for minutes; ``tests/test_recorded_benchmarks.py`` checks that the record
was made with the current ``PARAMS`` and that its summary follows from its per-model rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# the same pinned kernels as the notebooks; they must be set before NumPy and torch load
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _pinned import kernels as _kernels  # noqa: E402,F401  (pins the environment on import)

import numpy as np  # noqa: E402

#: The parameters the recorded file must have been made with.
PARAMS: dict = {
    "runs": [[128, 1000], [128, 2000], [128, 4000], [128, 8000], [128, 16000], [256, 8000]],
    "n_inits": 3,
    "seed": 0,
    "n_latent": 16,
    "batch_size": 128,
    "lr": 3e-3,
    "warmup": 0.2,
    "iwae_k": 1000,
    "iwae_seed": 0,
}

NAME = "vae_training"
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "klbook" / "records" / f"{NAME}.json"
MD = ROOT / "benchmarks" / f"{NAME}.md"


def run(width: int, steps: int) -> list[dict]:
    """Train ``n_inits`` stacked beta = 1 VAEs; one row per model."""
    import torch

    import klbook as kb

    p = PARAMS
    d = kb.load_digits(binarize=True)
    fit = kb.train_vae(
        d.x_train, beta=[1.0] * p["n_inits"], x_test=d.x_test, n_latent=p["n_latent"],
        n_hidden=width, steps=steps, batch_size=p["batch_size"], lr=p["lr"],
        warmup=p["warmup"], seed=p["seed"], eval_every=10**9, device="cpu",
    )
    rows = []
    for i, model in enumerate(fit.models):
        g = torch.Generator().manual_seed(p["iwae_seed"])
        test = -kb.iwae_bound(model, d.x_test, p["iwae_k"], generator=g).double().mean().item()
        train = -kb.iwae_bound(model, d.x_train, p["iwae_k"], generator=g).double().mean().item()
        rows.append(dict(width=width, steps=steps, init=i, train_nll=round(train, 4),
                         test_nll=round(test, 4), train_seconds=round(fit.seconds, 1)))
    return rows


def summarise(runs: list[dict], params: dict) -> list[dict]:
    """Per (width, steps): mean, min and max over the initialisations of the train and test NLL."""
    out = []
    for width, steps in params["runs"]:
        sel = [r for r in runs if r["width"] == width and r["steps"] == steps]
        if not sel:
            continue
        tr = np.array([r["train_nll"] for r in sel])
        te = np.array([r["test_nll"] for r in sel])
        out.append(dict(
            width=width, steps=steps, n=len(sel),
            train_mean=round(float(tr.mean()), 2), test_mean=round(float(te.mean()), 2),
            test_min=round(float(te.min()), 2), test_max=round(float(te.max()), 2),
            gap_min=round(float((te - tr).min()), 2), gap_max=round(float((te - tr).max()), 2),
        ))
    return out


def markdown(rec: dict) -> str:
    """The recorded table as Markdown (``benchmarks/vae_training.md``)."""
    p = rec["params"]
    lines = [
        "# Training the chapter-4 VAE for longer",
        "",
        f"Made by `benchmarks/vae_training.py` ({rec['versions']}). "
        f"Each row: {p['n_inits']} beta = 1 VAEs with different initial weights, trained together on "
        f"the same minibatches; NLL in nats per image, the importance-weighted bound with "
        f"K = {p['iwae_k']} on both sets.",
        "",
        "| width | steps | train NLL (mean) | test NLL (mean) | test NLL (min - max) | test - train (min - max) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in rec["summary"]:
        lines.append(
            f"| {s['width']} | {s['steps']} | {s['train_mean']:.2f} | {s['test_mean']:.2f} | "
            f"{s['test_min']:.2f} - {s['test_max']:.2f} | {s['gap_min']:.2f} - {s['gap_max']:.2f} |"
        )
    if rec.get("missing_runs"):
        lines += ["", f"Not run: {rec['missing_runs']}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1, help="only 1 is supported (runs are sequential)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--md", type=Path, default=MD)
    args = ap.parse_args(argv)
    if args.workers != 1:
        raise SystemExit("--workers must be 1")
    os.environ["KLBOOK_QUIET"] = "1"
    import torch

    import klbook as kb

    kb.setup_notebook(PARAMS["seed"], torch=True)
    versions = f"torch {torch.__version__}, numpy {np.__version__}, Python {platform.python_version()}"
    t0 = time.perf_counter()
    runs: list[dict] = []

    def save() -> dict:  # after every run, so an interrupted run still leaves an honest record
        done = {(r["width"], r["steps"]) for r in runs}
        rec = dict(
            params=PARAMS, versions=versions, seconds=round(time.perf_counter() - t0, 1),
            missing_runs=[list(wr) for wr in PARAMS["runs"] if tuple(wr) not in done],
            runs=runs, summary=summarise(runs, PARAMS),
        )
        args.out.write_text(json.dumps(rec, indent=1) + "\n")
        args.md.write_text(markdown(rec))
        return rec

    for width, steps in PARAMS["runs"]:
        runs += run(width, steps)
        for r in runs[-PARAMS["n_inits"]:]:
            print(r, flush=True)
        rec = save()
    print(markdown(rec))
    print(f"wrote {args.out} and {args.md} ({rec['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The multi-seed EM record that chapter 3 quotes was made with the script's current parameters."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "em_seeds.py"
RECORD = ROOT / "klbook" / "records" / "em_seeds.json"


def _script():
    spec = importlib.util.spec_from_file_location("em_seeds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_record_parameters_match_the_script():
    record = json.loads(RECORD.read_text())
    assert record["complete"] is True
    assert record["params"] == _script().DEFAULTS


def test_record_holds_every_run_once():
    record = json.loads(RECORD.read_text())
    p = record["params"]
    fits = [(r["seed"], r["K"], r["s"]) for r in record["results"] if r["kind"] == "fit"]
    vals = [(r["seed"], r["K"], r["s"]) for r in record["results"] if r["kind"] == "val"]
    expected_fits = {(seed, K, s) for seed in p["seeds"] for K in p["Ks"] for s in p["smoothings"]}
    expected_fits |= {(seed, p["tuned_K"], p["tuned_s"]) for seed in p["seeds"]}
    expected_vals = {(seed, p["tuned_K"], s) for seed in p["seeds"] for s in p["val_grid"]}
    expected_vals |= {(seed, K, p["select_s"]) for seed in p["seeds"] for K in p["Ks"]}
    assert len(fits) == len(set(fits)) and set(fits) == expected_fits
    assert len(vals) == len(set(vals)) and set(vals) == expected_vals
    for r in record["results"]:
        if r["kind"] == "fit" and r["s"] > 0:  # pseudo-counts: every test image has probability > 0
            assert math.isfinite(r["test"]) and r["n_inf"] == 0

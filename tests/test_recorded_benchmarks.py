"""The recorded benchmark results that chapters 4, 5, 6 and 7 quote match the scripts that produce them.

Chapter 4 reads ``klbook/records/vae_training.json``, chapter 5 ``trpo_vs_ppo.json`` and
``sb3_cartpole.json``, chapter 6 ``fgan_ring.json``, chapter 7 ``mi_critics.json`` (via
``kb.load_record``), instead of
training many seeds itself. These tests fail when a script's parameters change without a re-run
(the recorded file would then describe a different experiment), or when a file's summary does not
follow from its own per-run rows.
"""

import importlib.util
import json
import math
import pathlib

import pytest

from klbook._kernels import KERNEL_ENV

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
RECORDS = BENCH.parent / "klbook" / "records"


def _script(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _json_roundtrip(x):
    return json.loads(json.dumps(x))


def test_trpo_vs_ppo_record_matches_the_script():
    script = _script("trpo_vs_ppo")
    rec = json.loads((RECORDS / "trpo_vs_ppo.json").read_text())
    params, current = rec["params"], _json_roundtrip(script.PARAMS)
    for key in ("env_id", "budget", "seeds", "hidden", "max_kl", "algorithms", "bootstrap"):
        assert params[key] == current[key], f"{key}: recorded {params[key]!r}, script {current[key]!r}"
    assert params["settings"], "no setting was recorded"
    for name, cfg in params["settings"].items():
        assert cfg == current["settings"][name], f"setting {name}: recorded {cfg}, script {current['settings'][name]}"
    assert sorted(rec["missing_settings"]) == sorted(set(current["settings"]) - set(params["settings"]))
    assert len(params["seeds"]) >= 10  # the comparison rests on at least ten seeds
    runs = {(r["setting"], r["algorithm"], r["seed"]) for r in rec["runs"]}
    assert runs == {(s, a, seed) for s in params["settings"] for a in params["algorithms"] for seed in params["seeds"]}
    assert _json_roundtrip(script.summarise(rec["runs"], params)) == rec["summary"]
    assert (BENCH / "trpo_vs_ppo.md").read_text() == script.markdown(rec)
    # made in the chapters' pinned kernel environment, so that chapter 5's seed-0 runs repeat it
    assert rec["kernel_env"] == _json_roundtrip(KERNEL_ENV)


def test_sb3_record_matches_the_script():
    script = _script("sb3_cartpole")
    rec = json.loads((RECORDS / "sb3_cartpole.json").read_text())
    params, current = rec["params"], _json_roundtrip(script.PARAMS)
    for key in ("env_id", "budget", "zoo", "variants"):
        assert params[key] == current[key], f"{key}: recorded {params[key]!r}, script {current[key]!r}"
    assert rec["planned_seeds"] == current["seeds"]
    assert set(params["seeds"]) <= set(current["seeds"]) and {0, 1, 2} <= set(params["seeds"])
    assert {(r["variant"], r["seed"]) for r in rec["runs"]} == {(v, s) for v in params["variants"] for s in params["seeds"]}
    assert _json_roundtrip(script.summarise(rec["runs"], params)) == rec["summary"]
    assert (BENCH / "sb3_cartpole.md").read_text() == script.markdown(rec)
    assert (BENCH / "requirements-sb3.txt").read_text().split() == [f"stable-baselines3=={rec['versions'].split()[1].rstrip(',')}"]


def test_vae_training_record_matches_the_script():
    script = _script("vae_training")
    rec = json.loads((RECORDS / "vae_training.json").read_text())
    assert rec["params"] == _json_roundtrip(script.PARAMS)
    params = rec["params"]
    done = {(w, s) for w, s in params["runs"]} - {tuple(m) for m in rec["missing_runs"]}
    assert done, "no run was recorded"
    rows = {(r["width"], r["steps"], r["init"]) for r in rec["runs"]}
    assert len(rows) == len(rec["runs"])
    assert rows == {(w, s, i) for w, s in done for i in range(params["n_inits"])}
    assert _json_roundtrip(script.summarise(rec["runs"], params)) == rec["summary"]
    assert (BENCH / "vae_training.md").read_text() == script.markdown(rec)
    # the chapter quotes these rows
    assert {(128, 2000), (128, 8000), (128, 16000), (256, 8000)} <= done


@pytest.mark.parametrize("name", ["requirements.txt"])
def test_stable_baselines3_is_not_a_book_dependency(name):
    text = (BENCH.parent / name).read_text().lower()
    assert "stable-baselines3" not in text and "stable_baselines3" not in text


def test_mi_critics_record_matches_the_script():
    script = _script("mi_critics")
    rec = json.loads((RECORDS / "mi_critics.json").read_text())
    assert rec["params"] == _json_roundtrip(script.PARAMS), "the record was made with other parameters"
    params = rec["params"]
    assert len(params["seeds"]) >= 5  # the statistics rest on at least five seeds
    runs = {(r["seed"], r["kind"], r["level"]) for r in rec["runs"]}
    assert runs == {(s, k, lv) for s in params["seeds"] for k in params["kinds"] for lv in params["levels"]}
    assert len(runs) == len(rec["runs"])
    for r in rec["runs"]:
        assert len(r["estimate"]) == len(r["rise"]) == len(params["checkpoints"])
        assert len(r["trace"]) == params["checkpoints"][-1] // params["trace_every"]
    assert _json_roundtrip(script.summarise(rec["runs"], params)) == rec["summary"]
    assert (BENCH / "mi_critics.md").read_text() == script.markdown(rec)
    # InfoNCE can never exceed log n (float32 scores), for any seed at any checkpoint
    log_n = math.log(params["n_batch"])
    assert all(max(r["estimate"]) <= log_n + 1e-6 for r in rec["runs"] if r["kind"] == "InfoNCE")


def test_fgan_ring_record_matches_the_script():
    script = _script("fgan_ring")
    rec = json.loads((RECORDS / "fgan_ring.json").read_text())
    params, current = rec["params"], _json_roundtrip(script.PARAMS)
    assert params == current, "the record was made with other parameters than the script's PARAMS"
    assert len(params["seeds"]) >= 10  # the coverage comparison rests on at least ten seeds
    keys = [(r["family"], r["divergence"], r["seed"]) for r in rec["runs"]]
    assert sorted(keys) == sorted((f, d, s) for f in params["families"] for d in params["divergences"]
                                  for s in params["seeds"])
    for r in rec["runs"]:
        assert r["modes"] == sum(c >= max(params["coverage"]["min_share"] * params["common"]["n_samples"], 1)
                                 for c in r["counts"])
        assert sum(r["counts"]) == round(r["high_quality"] * params["common"]["n_samples"])
        if r["family"] == "gaussian":
            assert not r["diverged"] and 0 <= r["bound_below"] <= r["windows"]
            assert r["windows"] == params["families"]["gaussian"]["steps"] // params["common"]["log_every"]
    assert _json_roundtrip(script.summarise(rec["runs"], params)) == rec["summary"]
    assert (BENCH / "fgan_ring.md").read_text() == script.markdown(rec)


def test_fgan_ring_script_settings_are_train_fgan_arguments():
    import inspect

    import klbook as kb

    script = _script("fgan_ring")
    accepted = set(inspect.signature(kb.train_fgan).parameters)
    for family in script.PARAMS["families"]:
        assert set(script.fgan_settings(family)) <= accepted

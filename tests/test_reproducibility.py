"""The promise behind the committed outputs: the same numbers on every x86-64 machine with AVX2.

* the notebook kernels get the pinned numerical environment (``klbook._kernels``), whatever
  the calling environment says, and ``OPENBLAS_CORETYPE`` is never touched;
* off that platform, ``make test`` stops with a clear message and ``--loose-outputs``
  (``make test-loose``) runs everything with printed numbers masked;
* a chapter run the way a reader runs it (a kernel started by Jupyter, progress bars on)
  shows its progress and otherwise reproduces the committed outputs.

``benchmarks/portability.py`` is the heavier, developer-side check (several simulated
machines); see CONTRIBUTING.md.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import types

import nbformat
import pytest
from nbclient import NotebookClient
from nbval.plugin import get_sanitize_patterns

from klbook._kernels import KERNEL_ENV, pin_kernel_environment, reference_platform

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_root_conftest():
    spec = importlib.util.spec_from_file_location("klbook_root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_test_session_runs_in_the_pinned_environment():
    for key, value in KERNEL_ENV.items():
        assert os.environ.get(key) == value, key


def test_pinning_overrides_a_foreign_environment_but_never_the_openblas_core_type():
    env = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "8", "OPENBLAS_CORETYPE": "Sandybridge"}
    previous = pin_kernel_environment(env)
    assert previous["ATEN_CPU_CAPABILITY"] == "default" and previous["MKL_CBWR"] is None
    assert {k: env[k] for k in KERNEL_ENV} == KERNEL_ENV
    assert env["OPENBLAS_CORETYPE"] == "Sandybridge"
    assert "OPENBLAS_CORETYPE" not in KERNEL_ENV


@pytest.mark.parametrize(
    "machine, flags, expected",
    [
        ("x86_64", {"avx2", "fma", "sse4_2"}, True),
        ("x86_64", {"avx2", "fma", "avx512f"}, True),
        ("AMD64", {"avx2", "fma"}, True),
        ("x86_64", {"avx", "sse4_2"}, False),
        ("aarch64", {"asimd"}, False),
        ("arm64", set(), False),
    ],
)
def test_reference_platform(machine, flags, expected):
    ok, why = reference_platform(machine, flags)
    assert ok is expected
    assert why and (expected or machine in why or "AVX2" in why)


def _fake_config(*, nbval=True, loose=False):
    option = types.SimpleNamespace(nbval=nbval, nbval_lax=False, nbval_sanitize_with="tests/nbval_sanitize.cfg")
    return types.SimpleNamespace(option=option, getoption=lambda name: loose if name == "loose_outputs" else None)


def test_off_the_reference_platform_the_run_stops_with_a_clear_message(monkeypatch):
    conftest = load_root_conftest()
    monkeypatch.setattr(conftest, "reference_platform", lambda: (False, "this machine is aarch64, not x86-64"))
    with pytest.raises(pytest.UsageError) as err:
        conftest.pytest_configure(_fake_config())
    message = str(err.value)
    assert "aarch64" in message and "make test-loose" in message and "exactly" in message
    # unit tests alone (no notebooks) run anywhere
    conftest.pytest_configure(_fake_config(nbval=False))
    # and the loose mode switches nbval to the number-masking sanitizer
    config = _fake_config(loose=True)
    conftest.pytest_configure(config)
    assert pathlib.Path(config.option.nbval_sanitize_with) == ROOT / "tests" / "nbval_loose.cfg"


def sanitize(text, cfg):
    for regex, replace in get_sanitize_patterns(cfg.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_loose_comparison_masks_numbers_but_not_words():
    loose = ROOT / "tests" / "nbval_loose.cfg"
    exact = ROOT / "tests" / "nbval_sanitize.cfg"
    a = "test CE 0.1281, KL = 1e-17 at 0x7f00aa;  9.477 bits, 183 pixels\n"
    b = "test CE 0.1280, KL = 2.0e-16 at 0x7f11bb; 9.469 bits,  180 pixels\n"
    assert sanitize(a, loose) == sanitize(b, loose)
    assert sanitize(a, exact) != sanitize(b, exact)
    assert sanitize(a, loose) != sanitize(a.replace("bits", "nats"), loose)
    # every pattern of the exact sanitizer is kept in the loose one
    assert set(get_sanitize_patterns(exact.read_text())) <= set(get_sanitize_patterns(loose.read_text()))


def test_loose_mode_runs_a_chapter_end_to_end():
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--loose-outputs", "-p", "no:xdist",
         "chapters/09-summary.ipynb"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "notebook outputs compared: numbers masked" in proc.stdout
    assert re.search(r"\d+ passed", proc.stdout)


# -- a chapter as a reader runs it ----------------------------------------------------------

INTERACTIVE_CHAPTER = ROOT / "chapters" / "02-cross-entropy.ipynb"
EXACT_PATTERNS = get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text())


def as_terminal(text: str) -> str:
    """What a terminal shows: on every line only what follows the last carriage return."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def comparable(cell) -> dict:
    streams = {"stdout": "", "stderr": ""}
    other = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            streams[out["name"]] += out["text"]
        elif out["output_type"] == "error":
            other.append(("error", out["ename"], out["evalue"]))
        else:
            data = {k: v for k, v in out.get("data", {}).items() if k not in ("image/png", "image/jpeg")}
            other.append((out["output_type"], json.dumps(data, sort_keys=True)))
    clean = []
    for item in [streams["stdout"], streams["stderr"], *map(str, other)]:
        for regex, replace in EXACT_PATTERNS:
            item = re.sub(regex, replace, item)
        clean.append(item)
    return {"stdout": clean[0], "stderr": clean[1], "other": clean[2:]}


def test_a_training_chapter_run_interactively_shows_progress_and_reproduces(monkeypatch):
    # Executes chapter 2 once more (its progress bar is over the distilled students).
    # The reader's set-up: a kernel started by Jupyter, progress bars on (KLBOOK_QUIET unset).
    monkeypatch.delenv("KLBOOK_QUIET")
    committed = nbformat.read(INTERACTIVE_CHAPTER, as_version=4)
    nb = nbformat.read(INTERACTIVE_CHAPTER, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(INTERACTIVE_CHAPTER.parent)}}).execute()
    code_ran = [c for c in nb.cells if c.cell_type == "code"]
    code_ref = [c for c in committed.cells if c.cell_type == "code"]
    progress_cells = 0
    for i, (ran, ref) in enumerate(zip(code_ran, code_ref)):
        got, want = comparable(ran), comparable(ref)
        assert got["stderr"] == "" and want["stderr"] == "", f"cell {i} wrote to stderr: {got['stderr'][:300]}"
        if "\r" in got["stdout"]:
            progress_cells += 1
            assert re.search(r"\d+/\d+", got["stdout"]), "a progress bar shows its count"
        assert as_terminal(got["stdout"]) == want["stdout"], f"cell {i}: printed output differs"
        assert got["other"] == want["other"], f"cell {i}: displayed output differs"
    assert progress_cells >= 1, "no progress bar appeared"
    assert "\r" not in json.dumps(nbformat.writes(committed)), "committed outputs hold a progress bar"

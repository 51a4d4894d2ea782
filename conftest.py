"""Root pytest configuration, loaded for every test path (tests/, klbook/, chapters/).

At import, before nbval starts any kernel, it pins the notebook kernels' numerical
environment (``klbook._kernels.KERNEL_ENV``: torch's CPU dispatch, MKL and oneDNN ISA, NumPy's
SIMD targets, one thread each, no progress bars, the CPU). The kernels inherit it, so the
chapters run exactly as their committed outputs were made, whatever the calling environment says.

nbval compares printed outputs exactly. That is promised on x86-64 with AVX2 or newer; on any
other machine the run stops with a message, and ``--loose-outputs`` (``make test-loose``) runs
everything (every assert in the chapters, every klbook test) while comparing printed outputs
with their numbers masked.
"""

import pathlib

import pytest

from klbook._kernels import pin_kernel_environment, reference_platform

pin_kernel_environment()

ROOT = pathlib.Path(__file__).resolve().parent
LOOSE_SANITIZE = ROOT / "tests" / "nbval_loose.cfg"


def pytest_addoption(parser):
    parser.addoption(
        "--loose-outputs",
        action="store_true",
        help="compare notebook outputs with every number masked (for machines other than "
        "x86-64 with AVX2); the chapters' asserts and all other tests still run",
    )


def pytest_configure(config):
    if config.getoption("loose_outputs"):
        config.option.nbval_sanitize_with = str(LOOSE_SANITIZE)
        return
    ok, why = reference_platform()
    if not ok and (config.option.nbval or config.option.nbval_lax):
        raise pytest.UsageError(
            f"klbook: {why}. The notebooks' printed numbers are compared exactly only on "
            "x86-64 CPUs with AVX2 or newer (Intel or AMD), where they were made. On this "
            "machine run `make test-loose` (pytest --loose-outputs): every test and every "
            "assert in the chapters still runs, and printed outputs are compared with their "
            "numbers masked."
        )


def pytest_report_header(config):
    ok, why = reference_platform()
    mode = "numbers masked (--loose-outputs)" if config.getoption("loose_outputs") else "exact"
    return f"klbook: {why}; notebook outputs compared: {mode}"

"""Shared set-up of the benchmark scripts: pin the chapters' numerical kernels before NumPy and torch load; write records.

Every script in this folder imports this module first (``from _pinned import kernels``), so a
recorded result is made with the same torch/MKL/oneDNN/NumPy kernels and thread counts as the
committed chapter outputs (``klbook/_kernels.py``, ``KERNEL_ENV``). ``klbook/_kernels.py`` is
loaded by its path, because importing the ``klbook`` package would load NumPy and torch first.

``machine`` and ``write`` give the recorded runs one format: where and how long a run went, and
the record in ``klbook/records/`` beside its markdown table.
"""

import importlib.util
import os
import pathlib

_spec = importlib.util.spec_from_file_location(
    "_kernels", pathlib.Path(__file__).resolve().parents[1] / "klbook" / "_kernels.py"
)
kernels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kernels)
kernels.pin_kernel_environment(os.environ)

RECORDS = pathlib.Path(__file__).resolve().parents[1] / "klbook" / "records"


def machine(start, workers, rebuilt=False):
    """The record's ``machine`` line: wall time since ``start`` (``time.perf_counter()``) and the CPU."""
    import platform
    import time

    how = ("Rebuilt from the log of a run on " if rebuilt
           else f"Total wall time {time.perf_counter() - start:.0f} s with {workers} worker(s) on ")
    return how + f"{os.cpu_count()} visible CPU cores ({platform.machine()}, Python {platform.python_version()})."


def write(name, result, md_path, md):
    """Write the record ``klbook/records/<name>.json`` and its markdown table ``md_path``; print the table."""
    import json

    (RECORDS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    pathlib.Path(md_path).write_text(md)
    print(md)

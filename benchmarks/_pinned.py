"""Pin the chapters' numerical kernel environment for a benchmark script, before NumPy and torch load.

Every script in this folder imports this module first (``from _pinned import kernels``), so a
recorded result is made with the same torch/MKL/oneDNN/NumPy kernels and thread counts as the
committed chapter outputs (``klbook/_kernels.py``, ``KERNEL_ENV``). ``klbook/_kernels.py`` is
loaded by its path, because importing the ``klbook`` package would load NumPy and torch first.
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

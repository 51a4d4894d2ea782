"""The pinned numerical environment in which the chapters' committed outputs are made and checked.

Chapters are re-executed by the tests (nbval) and by ``make outputs``, and every printed
number is compared exactly. Several libraries pick their floating-point kernels per CPU
or per core count, which changes results in the last bits (and, through training, in the
3rd-4th digit). Where that choice can be fixed cheaply, the notebook kernels get a fixed one:

* torch's ATen kernels: ``ATEN_CPU_CAPABILITY=avx2`` (the default on AVX-512 machines is
  ``avx512``, which rounds differently);
* Intel MKL inside torch: ``MKL_CBWR=AVX2,STRICT`` (conditional numerical reproducibility);
* oneDNN inside torch: ``ONEDNN_MAX_CPU_ISA=AVX2``;
* NumPy's SIMD loops (``exp``, ``log``, ``log1p``, ``expm1``, ``power`` in float64 have
  AVX-512 versions that differ in the last bit from the AVX2 ones):
  ``NPY_DISABLE_CPU_FEATURES`` switches the AVX-512 targets off;
* one thread for OpenMP, MKL and OpenBLAS, so reduction order never depends on the core
  count (on 2 cores with two notebooks in parallel this is also the fastest setting).

What cannot be fixed from here is OpenBLAS's choice of matrix kernel (``Haswell``,
``SkylakeX``, ``Zen``, ...): the project never sets ``OPENBLAS_CORETYPE``, which some machines
set for their own reasons. Outputs therefore never print a number that depends on the
last bits of a matrix product: rounding noise is asserted below a bound and the bound is
printed, and measured quantities are printed at the precision they are stable to.

These settings must be in the environment before a kernel starts (the libraries read them
when they load), so they are applied by the test configuration (``conftest.py``) and by
``benchmarks/chapter_times.py``; they override whatever the calling environment says.
The exact comparison is promised on x86-64 CPUs with AVX2 or newer (Intel or AMD);
:func:`reference_platform` tells whether this machine is one.
"""

from __future__ import annotations

import os
import platform
from collections.abc import MutableMapping

__all__ = ["KERNEL_ENV", "pin_kernel_environment", "reference_platform"]

#: Environment variables fixed for every notebook kernel that makes or checks outputs.
KERNEL_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2,STRICT",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # Disabling a target the CPU lacks is a no-op, so this list is safe everywhere.
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    # The chapters' own conventions: no progress bars in saved outputs, tensors on the CPU.
    "KLBOOK_QUIET": "1",
    "KLBOOK_DEVICE": "cpu",
}


def pin_kernel_environment(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Write :data:`KERNEL_ENV` into ``environ`` (default ``os.environ``), overriding what was there.

    Returns the previous values (``None`` where a variable was unset) so a caller can
    report what it overrode. ``OPENBLAS_CORETYPE`` is deliberately left alone.
    """
    environ = os.environ if environ is None else environ
    previous = {key: environ.get(key) for key in KERNEL_ENV}
    environ.update(KERNEL_ENV)
    return previous


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def reference_platform(machine: str | None = None, flags: set[str] | None = None) -> tuple[bool, str]:
    """Is this a machine on which the committed outputs reproduce exactly?

    Parameters
    ----------
    machine : str, optional
        ``platform.machine()`` by default.
    flags : set of str, optional
        The CPU's feature flags (``/proc/cpuinfo`` by default).

    Returns
    -------
    (bool, str)
        Whether it is one, and a sentence saying why (or why not).
    """
    machine = platform.machine() if machine is None else machine
    if machine.lower() not in {"x86_64", "amd64"}:
        return False, f"this machine is {machine}, not x86-64"
    flags = _cpu_flags() if flags is None else flags
    if not {"avx2", "fma"} <= flags:
        return False, "this x86-64 CPU has no AVX2/FMA (or its flags could not be read)"
    return True, "x86-64 with AVX2"

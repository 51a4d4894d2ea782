"""Execute every chapter notebook in a fresh kernel and print how long each takes.

    python benchmarks/chapter_times.py                  # time all chapters (outputs discarded)
    python benchmarks/chapter_times.py --inplace        # ... and save the fresh outputs
    python benchmarks/chapter_times.py chapters/01-what-is-kl.ipynb --inplace
    python benchmarks/chapter_times.py --speed-factor 1.3   # also in reference-seconds

Chapters run in the pinned numerical environment of the tests (``klbook._kernels.KERNEL_ENV``:
no progress bars, the CPU, fixed torch/MKL/oneDNN/NumPy kernels, one thread), so saved outputs
are the ones nbval will reproduce. Budgets are in reference-seconds: seconds measured here times
the factor M that the project's speed-factor tool prints on this machine (pass it as
``--speed-factor``, or set ``KLBOOK_SPEED_FACTOR``).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from klbook._kernels import pin_kernel_environment  # noqa: E402


def run(path: pathlib.Path, *, inplace: bool, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if inplace:
        nbformat.write(nb, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--inplace", action="store_true", help="save the executed notebooks")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    parser.add_argument(
        "--speed-factor",
        type=float,
        default=float(os.environ.get("KLBOOK_SPEED_FACTOR", "0") or 0),
        help="M from the speed-factor tool: also print reference-seconds (seconds x M)",
    )
    args = parser.parse_args(argv)
    if args.speed_factor < 0:
        parser.error("--speed-factor must be positive")
    pin_kernel_environment()
    factor = args.speed_factor
    notebooks = args.notebooks or sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
    rows, total = [], 0.0
    for nb in notebooks:
        seconds = run(nb, inplace=args.inplace, timeout=args.timeout)
        total += seconds
        rows.append((nb.stem, seconds))
        ref = f"   {seconds * factor:7.1f} reference-s" if factor else ""
        print(f"{nb.stem:<32} {seconds:7.1f} s{ref}", flush=True)
    ref = f"   {total * factor:7.1f} reference-s (M = {factor:g})" if factor else ""
    print(f"{'total':<32} {total:7.1f} s{ref}  ({os.cpu_count()} CPU cores visible)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Execute every chapter notebook in a fresh kernel and print how long each takes.

    python benchmarks/chapter_times.py                  # time all chapters (outputs discarded)
    python benchmarks/chapter_times.py --inplace        # ... and save the fresh outputs
    python benchmarks/chapter_times.py chapters/01-what-is-kl.ipynb --inplace

Chapters run with KLBOOK_QUIET=1 (no progress bars) and on the CPU, exactly as the tests run
them, so saved outputs are the ones nbval will reproduce.
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
    args = parser.parse_args(argv)
    os.environ["KLBOOK_QUIET"] = "1"
    os.environ.setdefault("KLBOOK_DEVICE", "cpu")
    notebooks = args.notebooks or sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
    rows, total = [], 0.0
    for nb in notebooks:
        seconds = run(nb, inplace=args.inplace, timeout=args.timeout)
        total += seconds
        rows.append((nb.stem, seconds))
        print(f"{nb.stem:<32} {seconds:7.1f} s", flush=True)
    print(f"{'total':<32} {total:7.1f} s  ({os.cpu_count()} CPU cores visible)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

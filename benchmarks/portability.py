"""Re-execute every chapter under nbval with what differs between machines deliberately varied.

    python benchmarks/portability.py                      # all configurations, all chapters
    python benchmarks/portability.py chapters/03-*.ipynb  # some chapters
    python benchmarks/portability.py --only sandybridge   # one configuration
    python benchmarks/portability.py --unpinned           # without the project's kernel pinning

Run it before committing regenerated outputs (see CONTRIBUTING.md). It is a developer tool,
not part of the tests: it sets ``OPENBLAS_CORETYPE``, which the tests never touch.

Each configuration changes the environment *before* pytest starts, the way another machine
would differ:

* ``as-is``: this machine, unchanged;
* ``sandybridge`` / ``haswell``: NumPy's and SciPy's OpenBLAS forced to an older matrix kernel
  (a machine's own kernel choice cannot be pinned; outputs must not depend on it);
* ``foreign-kernels``: torch's CPU capability, MKL's and oneDNN's instruction sets, NumPy's
  SIMD targets and the thread counts all set to other values (2 threads, ``default`` ATen
  kernels, ...). The project's pinning (``klbook._kernels``, applied by ``conftest.py``) must
  override them;
* ``haswell-foreign``: both at once.

With ``--unpinned`` the root ``conftest.py`` is not loaded (``--noconftest``), so the kernels
see the varied environment as it is: that measures what the pinning buys.

It prints, per configuration, every cell whose output changed (with the start of nbval's
diff) and exits non-zero if any did.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[1]

FOREIGN = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
    "NPY_DISABLE_CPU_FEATURES": "",
    "OMP_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
    "OPENBLAS_NUM_THREADS": "2",
}

CONFIGS: dict[str, dict[str, str]] = {
    "as-is": {},
    "sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "foreign-kernels": FOREIGN,
    "haswell-foreign": {"OPENBLAS_CORETYPE": "Haswell", **FOREIGN},
}


def run_config(name: str, extra_env: dict[str, str], notebooks: list[str], *, unpinned: bool, jobs: int):
    env = dict(os.environ)
    env.update(extra_env)
    with tempfile.TemporaryDirectory() as tmp:
        report = pathlib.Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", *notebooks, "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", "-o", "junit_logging=no"]
        if jobs > 1:
            cmd += ["-n", str(jobs), "--dist", "loadfile"]
        if unpinned:
            # Without the root conftest nothing pins the kernels; keep only the chapters' own
            # conventions (no progress bars, CPU), which the committed outputs assume.
            cmd.append("--noconftest")
            env.update(KLBOOK_QUIET="1", KLBOOK_DEVICE="cpu")
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        changed = []
        if report.exists():
            for case in ET.parse(report).iter("testcase"):
                for bad in list(case.iter("failure")) + list(case.iter("error")):
                    where = f"{pathlib.Path(case.get('classname', '')).name} :: {case.get('name')}"
                    text = (bad.get("message") or "") + "\n" + (bad.text or "")
                    changed.append((where, text))
        elif proc.returncode != 0:
            changed.append(("pytest", proc.stdout[-3000:] + proc.stderr[-3000:]))
    return seconds, changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="chapters to run (default: all)")
    parser.add_argument("--only", action="append", choices=sorted(CONFIGS), help="run only these configurations")
    parser.add_argument("--unpinned", action="store_true", help="do not load the project's kernel pinning")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (pytest-xdist)")
    parser.add_argument("--diff-lines", type=int, default=12, help="lines of nbval's diff shown per cell")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
    names = args.only or list(CONFIGS)
    print(f"{len(notebooks)} notebooks; configurations: {', '.join(names)}; "
          f"{'UNPINNED' if args.unpinned else 'pinned by conftest.py'}; "
          f"OPENBLAS_CORETYPE in the calling environment: {os.environ.get('OPENBLAS_CORETYPE', 'unset')}", flush=True)
    total_changed = 0
    for name in names:
        seconds, changed = run_config(name, CONFIGS[name], notebooks, unpinned=args.unpinned, jobs=args.jobs)
        total_changed += len(changed)
        shown = " ".join(f"{k}={v!r}" for k, v in CONFIGS[name].items()) or "(environment unchanged)"
        print(f"\n== {name}: {len(changed)} changed cell(s) in {seconds:.0f} s   {shown}", flush=True)
        for where, text in changed:
            print(f"  - {where}")
            for line in [ln for ln in text.splitlines() if ln.strip()][: args.diff_lines]:
                print(f"      {line[:160]}")
    print(f"\n{'PASS' if total_changed == 0 else 'FAIL'}: {total_changed} changed cell(s) over {len(names)} configuration(s)")
    return 0 if total_changed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

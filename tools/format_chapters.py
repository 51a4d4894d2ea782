"""Format the code cells of the chapter notebooks to the width the book's pages show.

The HTML page (sphinx-book-theme at a 1280-pixel-wide window, code in 14 px DejaVu Sans Mono)
shows 77 characters of a code line; a longer line makes the reader scroll sideways (the
browser test measures it).  This script

1. reflows every block of whole-line ``#`` comments that has a line longer than 77 characters
   (black leaves comments alone), keeping the indentation, and
2. runs black (pinned in requirements.txt; ``[tool.black]`` in pyproject.toml: line length 77,
   ``unstable`` style so that long strings are split into implicitly joined pieces), which
   formats only the code cells' source.

Outputs, execution counts and metadata are never touched: the script checks that everything
but the sources is unchanged and restores the notebook otherwise.  Strings without a space to
split at and over-long trailing comments are left for a person: ``--check`` lists them.

    python tools/format_chapters.py            # format chapters/*.ipynb in place (make format)
    python tools/format_chapters.py --check    # change nothing; exit 1 if anything would change
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 77
_COMMENT = re.compile(r"^(?P<indent>[ \t]*)#(?P<space> ?)(?P<text>.*)$")


def dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def reflow_comments(source: str, width: int = WIDTH) -> str:
    """Re-wrap each run of whole-line comments (same indentation) that has an over-long line."""
    lines = source.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = _COMMENT.match(lines[i])
        if not m or m["text"].startswith("!") or not m["space"]:
            out.append(lines[i])
            i += 1
            continue
        indent, block = m["indent"], []
        while i < len(lines):
            m2 = _COMMENT.match(lines[i])
            if not m2 or m2["indent"] != indent or not m2["space"] or not m2["text"].strip():
                break
            block.append(m2["text"])
            i += 1
        if not block:  # an empty comment line ('#'), kept as it is
            out.append(lines[i])
            i += 1
            continue
        if max(len(indent) + 2 + len(t) for t in block) <= width:
            out += [f"{indent}# {t}" for t in block]
            continue
        prefix = f"{indent}# "
        out += textwrap.wrap(
            " ".join(t.strip() for t in block),
            width=width,
            initial_indent=prefix,
            subsequent_indent=prefix,
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(out)


def _without_sources(nb: dict) -> str:
    return json.dumps({**nb, "cells": [{k: v for k, v in c.items() if k != "source"} for c in nb["cells"]]})


def _set_source(cell: dict, text: str) -> None:
    lines = text.split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def format_notebook(path: Path, check: bool) -> list[str]:
    if check:  # work on a copy: the notebook itself is never written
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_bytes(path.read_bytes())
            return _format(copy, path, check=True)
    return _format(path, path, check=False)


def _format(path: Path, shown: Path, check: bool) -> list[str]:
    original = path.read_text(encoding="utf-8")
    nb = json.loads(original)
    if dump(nb) != original:
        return [f"{path.name}: not in nbformat's JSON layout; refusing to rewrite it"]
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            new = reflow_comments(src)
            if new != src:
                _set_source(cell, new)
    commented = dump(nb)
    path.write_text(commented, encoding="utf-8")
    black = [sys.executable, "-m", "black", "--quiet", "--config", str(ROOT / "pyproject.toml"), str(path)]
    proc = subprocess.run(black, capture_output=True, text=True)
    formatted = path.read_text(encoding="utf-8")
    problems = []
    if proc.returncode != 0:
        problems.append(f"{path.name}: black failed: {proc.stderr.strip()[-500:]}")
        formatted = commented
    try:
        new_nb = json.loads(formatted)
        if _without_sources(new_nb) != _without_sources(json.loads(original)):
            problems.append(f"{path.name}: formatting changed more than the code (restored)")
            new_nb = nb
    except ValueError:
        new_nb = nb
    result = dump(new_nb)
    path.write_text(result, encoding="utf-8")
    if check:
        if result != original:
            problems.append(f"{path.name}: not formatted; run `make format`")
    else:
        if result != original:
            print(f"{path.name}: formatted")
    # What a person has to shorten: lines still wider than the page.
    for n, cell in enumerate(new_nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for k, line in enumerate("".join(cell["source"]).split("\n"), 1):
            if len(line) > WIDTH:
                problems.append(f"{path.name}: cell {n}, line {k}: {len(line)} > {WIDTH} characters: {line.strip()[:60]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if not formatted")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    problems = [p for path in paths for p in format_notebook(path, args.check)]
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Student copies of the notebooks: every exercise keeps its statement and label, its solution is
replaced by one empty answer cell; everything else is unchanged.

    python -m coursekit.student [--out _build/student] [NOTEBOOK ...]

A solution is everything between a ``{solution-start}`` fence and the next ``{solution-end}``
fence (both in markdown cells, as the book writes them), including every cell in between. The
fences may sit in the middle of a markdown cell; that cell is split and the text outside the
solution is kept. The answer cell is an empty code cell tagged ``answer`` whose id names the
exercise (``answer-<label>``).

By default it transforms ``chapters/*.ipynb`` and ``problems/*.ipynb`` and writes them, and a zip
archive of them (``student-notebooks.zip``), to ``_build/student/``.
"""

from __future__ import annotations

import argparse
import copy
import io
import pathlib
import re
import sys
import zipfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = ("chapters", "problems")
ARCHIVE = "student-notebooks.zip"

# A MyST fence opening a solution (``` or ::: style, any length >= 3) and the fence closing it.
START = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution-start\}[ \t]*(?P<label>\S+)[^\n]*\n", re.M)
END = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution-end\}[^\n]*\n(?P=fence)[ \t]*(?:\n|$)", re.M)


def source_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Every notebook that gets a student copy: the chapters, then the problem sets."""
    found = []
    for folder in SOURCES:
        found += sorted((root / folder).glob("[0-9][0-9]-*.ipynb"))
    return found


def _answer_cell(label: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source="")
    cell.id = f"answer-{label}"[:64]
    cell.metadata = {"tags": ["answer"]}
    return cell


def _markdown(text: str, template: nbformat.NotebookNode, suffix: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source=text.strip("\n"))
    cell.metadata = copy.deepcopy(template.get("metadata", {}))
    cell.id = (template.get("id") or "md") + suffix
    if "attachments" in template:
        cell.attachments = copy.deepcopy(template["attachments"])
    return cell


def strip_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[str]]:
    """Return (student copy, labels of the solutions removed). The input is not modified."""
    out = copy.deepcopy(nb)
    cells: list = []
    removed: list[str] = []
    label = None  # the open solution's label, or None outside a solution
    for cell in nb.cells:
        if label is not None and cell.cell_type != "markdown":
            continue  # a solution's code or raw cell
        if cell.cell_type != "markdown":
            cells.append(copy.deepcopy(cell))
            continue
        text, pieces, part = cell.source, [], 0
        if label is None and not START.search(text):
            cells.append(copy.deepcopy(cell))
            continue
        pos = 0
        while pos <= len(text):
            if label is None:
                m = START.search(text, pos)
                if not m:
                    pieces.append(("md", text[pos:]))
                    break
                pieces.append(("md", text[pos : m.start()]))
                label = m.group("label")
                pos = m.end()
            else:
                m = END.search(text, pos)
                if not m:
                    break  # the solution goes on in the next cells
                pieces.append(("answer", label))
                removed.append(label)
                label = None
                pos = m.end()
        for kind, value in pieces:
            if kind == "answer":
                cells.append(_answer_cell(value))
            elif value.strip():
                part += 1
                cells.append(_markdown(value, cell, "" if part == 1 else f"-{part}"))
    if label is not None:
        raise ValueError(f"solution {label!r} is never closed by a solution-end fence")
    out.cells = cells
    return out, removed


def write_student_copies(out_dir: pathlib.Path, notebooks=None, *, archive: bool = True) -> list[pathlib.Path]:
    """Write a student copy of each notebook (default: chapters and problems) and the zip archive."""
    notebooks = [pathlib.Path(p) for p in (notebooks or source_notebooks())]
    out_dir = pathlib.Path(out_dir)
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        student, _ = strip_solutions(nb)
        nbformat.validate(student)
        target = out_dir / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(student) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    if archive:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for target in written:
                info = zipfile.ZipInfo(f"klbook-student/{target.parent.name}/{target.name}", (2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, target.read_bytes())
            zf.writestr(
                zipfile.ZipInfo("klbook-student/README.txt", (2026, 1, 1, 0, 0, 0)),
                "Student notebooks of 'Why KL divergence is everywhere'.\n"
                "Each exercise keeps its statement; write your answer in the empty cell below it.\n"
                "Run them with the book's environment (pip install -r requirements.txt; the klbook\n"
                "package is imported as kb).\n",
            )
        (out_dir / ARCHIVE).write_bytes(buf.getvalue())
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "student")
    args = parser.parse_args(argv)
    written = write_student_copies(args.out, args.notebooks or None)
    for path in written:
        print(path.relative_to(args.out) if path.is_relative_to(args.out) else path)
    print(f"{len(written)} student notebooks and {ARCHIVE} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

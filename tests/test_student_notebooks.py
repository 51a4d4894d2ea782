"""Student copies of the notebooks (``coursekit.student``, ``make student``).

Each exercise keeps its statement and label; its solution -- every cell and every line between
``{solution-start}`` and ``{solution-end}`` -- is gone, checked against the solutions' own text
(not only the fences), and replaced by one empty answer cell. The copies are valid notebooks.
Executing them is in ``test_student_execution.py``.
"""

from __future__ import annotations

import re
import zipfile

import nbformat
import pytest

from coursekit.student import ARCHIVE, END, START, source_notebooks, strip_solutions, write_student_copies

NOTEBOOKS = source_notebooks()


def solution_and_rest(nb):
    """The lines inside solutions (markdown and code, with outputs) and the lines outside them."""
    inside, outside = [], []
    open_ = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            pos, text = 0, cell.source
            while True:
                m = (END if open_ else START).search(text, pos)
                chunk = text[pos : m.start() if m else len(text)]
                (inside if open_ else outside).extend(chunk.splitlines())
                if not m:
                    break
                open_, pos = not open_, m.end()
        else:
            target = inside if open_ else outside
            target.extend(cell.source.splitlines())
            for out in cell.get("outputs", []):
                text = out.get("text", "") + out.get("data", {}).get("text/plain", "")
                target.extend(text.splitlines())
    return inside, outside


def significant(lines, exclude):
    """Lines specific enough to identify a solution: long, and not also found outside solutions."""
    common = {line.strip() for line in exclude}
    return {s for s in (line.strip() for line in lines) if len(s) >= 12 and s not in common}


def sources(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def test_there_are_notebooks_with_solutions():
    assert len(NOTEBOOKS) >= 9
    assert all(START.search(sources(nbformat.read(p, 4))) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_copy_drops_every_solution_and_keeps_every_exercise(path):
    nb = nbformat.read(path, as_version=4)
    student, removed = strip_solutions(nb)
    nbformat.validate(student)
    full = sources(nb)
    text = sources(student)
    assert "solution-" not in nbformat.writes(student)

    # No fence, no solution line, no solution output survives.
    assert "solution-start" not in text and "solution-end" not in text
    inside, outside = solution_and_rest(nb)
    secret = significant(inside, outside)
    assert secret, f"{path.name}: found no solution text to check against"
    student_lines = set()
    for cell in student.cells:
        student_lines.update(s.strip() for s in cell.source.splitlines())
        for out in cell.get("outputs", []):
            blob = out.get("text", "") + out.get("data", {}).get("text/plain", "")
            student_lines.update(s.strip() for s in blob.splitlines())
    leaked = sorted(secret & student_lines)
    assert not leaked, f"{path.name}: solution text survives: {leaked[:3]}"

    # Every exercise label and statement survives; one empty answer cell per solution.
    labels = re.findall(r"\{exercise\}[^\n]*\n:label:\s*(\S+)", full)
    assert labels and sorted(labels) == sorted(removed)
    assert re.findall(r"\{exercise\}[^\n]*\n:label:\s*(\S+)", text) == labels
    answers = [c for c in student.cells if "answer" in c.metadata.get("tags", [])]
    assert [c.id for c in answers] == [f"answer-{label}"[:64] for label in removed]
    assert all(c.cell_type == "code" and c.source == "" and not c.outputs for c in answers)
    for block in re.findall(r"```\{exercise\}.*?\n```", full, flags=re.S):
        assert block in text, f"{path.name}: exercise statement changed: {block[:80]}"

    # Everything else is unchanged: the cells outside solutions, in order.
    kept = [c for c in student.cells if "answer" not in c.metadata.get("tags", [])]
    kept_code = [(c.source, c.get("outputs")) for c in kept if c.cell_type == "code"]
    orig_code = []
    open_ = False
    for cell in nb.cells:
        if cell.cell_type == "code" and not open_:
            orig_code.append((cell.source, cell.get("outputs")))
        if cell.cell_type == "markdown":
            for m in re.finditer(r"\{solution-(start|end)\}", cell.source):
                open_ = m.group(1) == "start"
    assert kept_code == orig_code


def test_make_student_writes_every_copy_and_the_archive(tmp_path):
    written = write_student_copies(tmp_path)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    with zipfile.ZipFile(tmp_path / ARCHIVE) as zf:
        names = zf.namelist()
        assert f"klbook-student/chapters/{NOTEBOOKS[0].name}" in names
        for path in written:
            member = f"klbook-student/{path.parent.name}/{path.name}"
            nbformat.validate(nbformat.reads(zf.read(member).decode(), as_version=4))
            assert "solution-start" not in zf.read(member).decode()


def test_strip_handles_a_solution_spread_over_cells_and_one_within_a_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-a\nState A.\n```\n\n"
                                      "```{solution-start} ex-a\n:class: dropdown\n```\n\nSecret A."),
        nbformat.v4.new_code_cell("secret_a = 1"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```\n\n```{exercise}\n:label: ex-b\nState B.\n```\n"
                                      "```{solution-start} ex-b\n```\nSecret B.\n```{solution-end}\n```\nAfter."),
        nbformat.v4.new_code_cell("kept = 2"),
    ]
    student, removed = strip_solutions(nb)
    nbformat.validate(student)
    assert removed == ["ex-a", "ex-b"]
    kinds = [(c.cell_type, c.source) for c in student.cells]
    assert kinds == [
        ("markdown", "```{exercise}\n:label: ex-a\nState A.\n```"),
        ("code", ""),
        ("markdown", "```{exercise}\n:label: ex-b\nState B.\n```"),
        ("code", ""),
        ("markdown", "After."),
        ("code", "kept = 2"),
    ]
    with pytest.raises(ValueError, match="never closed"):
        nb.cells = nb.cells[:2]
        strip_solutions(nb)

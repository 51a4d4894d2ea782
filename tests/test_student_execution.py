"""Every student notebook runs top to bottom in a fresh kernel with its answer cells empty.

The copies are made in a temporary folder and executed from their source's folder, in the same
pinned numerical environment as nbval (the root ``conftest.py`` sets it before any kernel
starts). Costs about what the chapters and problem sets cost under nbval, minus the solutions.
"""

from __future__ import annotations

import time

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.student import source_notebooks, strip_solutions

NOTEBOOKS = source_notebooks()
TIMES: dict[str, float] = {}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_student_notebook_executes_with_empty_answers(path):
    student, removed = strip_solutions(nbformat.read(path, as_version=4))
    answers = [c for c in student.cells if "answer" in c.metadata.get("tags", [])]
    assert len(answers) == len(removed) > 0 and all(c.source == "" for c in answers)
    for cell in student.cells:  # a fresh run: nothing stored from before
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        student, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    TIMES[path.stem] = time.perf_counter() - start
    errors = [o for c in student.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    print(f"{path.parent.name}/{path.name}: {TIMES[path.stem]:.1f} s")

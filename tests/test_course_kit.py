"""The instructors page and the problem sets (``coursekit.instructors``, ``problems/``).

* the generated blocks of ``instructors.md`` are what the chapters give today (``make instructors``);
* the learning goals are verbatim, under one ``###`` heading per chapter, and nothing else leaks in;
* the prerequisites read from every "What you need" form no cycle, every "not needed" is quoted
  from its chapter, and the syllabus teaches each chapter after the chapters it needs;
* the timings add up, and no week asks for more than its two 90-minute sessions and a half hour;
* every chapter has a problem set of at least three problems, each with an executed, gated worked
  solution that uses the book's data or klbook; at least six projects and a rubric.

nbval (``problems`` is in ``testpaths``) checks that the problem sets reproduce their outputs.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from coursekit import instructors as ik

ROOT = ik.ROOT
PAGE = (ROOT / "instructors.md").read_text(encoding="utf-8")
CHAPTERS = ik.chapters()
PROBLEMS = sorted((ROOT / "problems").glob("[0-9][0-9]-*.ipynb"))


def block(name: str) -> str:
    m = re.search(rf"^% BEGIN generated: {name}\n(.*?)^% END generated: {name}$", PAGE, flags=re.S | re.M)
    assert m, f"instructors.md has no generated block {name!r}"
    return m.group(1)


def test_generated_blocks_are_up_to_date():
    assert ik.apply(PAGE, ik.render()) == PAGE, "instructors.md is out of date: run make instructors"
    assert (ROOT / "images" / "prerequisites.png").is_file()


def test_goals_are_verbatim_with_no_stray_headings():
    goals = block("goals")
    headings = re.findall(r"^(#+) (.*)$", goals, flags=re.M)
    titles = [ik.title(nbformat.read(p, as_version=4)) for p in CHAPTERS]
    assert headings == [("###", t) for t in titles], "only one ### heading per chapter, in order"
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        assert ik.section(nb, "What you will learn") in goals
        assert f"<chapters/{path.stem}>" in goals
    # nothing from a "What you need" paragraph (its relative words, e.g. "each row below")
    assert "each row below" not in goals and not re.search(r"^#{1,2} ", goals, flags=re.M)
    # the page's own sections are the hand-written ones, each once
    h2 = re.findall(r"^## (.*)$", PAGE, flags=re.M)
    assert len(h2) == len(set(h2)) and "Learning goals, chapter by chapter" in h2


def test_prerequisites_are_acyclic_quoted_and_respected_by_the_syllabus():
    graph = ik.prerequisites()  # raises if a "not needed" quote has left its chapter
    assert sorted(graph) == [ik.number(p) for p in CHAPTERS]
    assert ik.cycles(graph) == []
    assert ik.syllabus_problems(graph) == []
    for n, edges in graph.items():
        named = ik.named_chapters(edges["text"])
        assert sorted(edges["required"] + edges["optional"]) == sorted(m for m in named if m != n)
    # the facts the old page contradicted
    assert 8 in graph[5]["required"] and 5 in graph[8]["optional"]
    assert 4 in graph[7]["required"] and 3 in graph[4]["required"]
    table = block("prerequisites")
    for n, edges in graph.items():
        assert f"| {', '.join(map(str, edges['required'])) or '—'} |" in table.split(f"| {n}. ", 1)[1].split("\n")[0]


def test_syllabus_weeks_and_timings_add_up():
    for path in CHAPTERS:
        rows = ik.section_timings(nbformat.read(path, as_version=4))
        assert len(rows) >= 5 and all(r % 5 == 0 and lab % 5 == 0 for _, r, lab in rows)
    timings = block("timings")
    for table in re.findall(r"(\| Section \| Reading \| Lab \|.*?)\n\n", timings + "\n\n", flags=re.S):
        lines = [line for line in table.splitlines()[2:]]
        body, total = lines[:-1], lines[-1]
        minutes = lambda s: sum(int(h) * 60 + int(m or 0) for h, m in re.findall(r"(\d+)(?: h (\d+))?", s)) if " h " in s else int(re.search(r"\d+", s).group())
        cells = [line.split("|")[2:4] for line in body]
        tot = total.split("|")[2:4]
        assert sum(minutes(c[0]) for c in cells) == minutes(tot[0])
        assert sum(minutes(c[1]) for c in cells) == minutes(tot[1])
    loads = ik.week_loads()
    assert all(load <= 3 * 60 + 30 for load in loads.values()), loads  # 2 x 90 min + 30
    assert sum(loads.values()) == sum(sum(r + lab for _, r, lab in ik.section_timings(nbformat.read(p, as_version=4))) for p in CHAPTERS)
    taught = [c for _, chs, _ in ik.WEEKS for c in chs]
    assert sorted(set(taught)) == [ik.number(p) for p in CHAPTERS]
    assert taught.count(7) == 2, "chapter 7 (MI, DPI, IB, MINE, VIB) takes two weeks"
    assert "one to two hours" not in PAGE and "in any order" not in PAGE


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_problem_set(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    labels = re.findall(r"```\{exercise\}\n:label:\s*(\S+)", text)
    assert len(labels) >= 3
    assert labels == re.findall(r"```\{solution-start\}\s*(\S+)", text)
    assert text.count("{solution-start}") == text.count("{solution-end}")
    assert f"<../chapters/{path.stem.removesuffix('-problems')}>" in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "run top to bottom in a fresh kernel"
    assert "kb.load_digits()" in code[0].source
    for c in code:
        assert c.outputs or c is code[0], "every worked solution is executed and prints its result"
        for out in c.outputs:
            assert out.output_type != "error" and out.get("name", "stdout") == "stdout"
            assert "image/png" not in out.get("data", {}), "figures need a caption; the problems print"
    # every solution computes with klbook (its cells lie between the problem's gates)
    solution_code = re.split(r"\{solution-start\}", "\n".join(
        ("\n{solution-start}\n" if "{solution-start}" in c.source else "") + (c.source if c.cell_type == "code" else "")
        for c in nb.cells))[1:]
    # each uses the book's data or klbook (and every problem set uses klbook)
    assert len(solution_code) == len(labels) and all("kb." in s or "digits." in s or "pixels[" in s for s in solution_code)
    assert "kb." in "".join(solution_code)
    assert int(path.stem[:2]) in ik.problem_sets()


def test_every_chapter_has_a_problem_set():
    sets = ik.problem_sets()
    assert sorted(sets) == [ik.number(p) for p in CHAPTERS]
    assert all(len(v) >= 3 for v in sets.values())


def test_projects_and_rubric():
    projects = PAGE.split("## Projects for the final weeks", 1)[1].split("\n## ", 1)[0]
    items = [i.rstrip(".") for i in re.findall(r"^\d+\. \*\*(.+?)\*\*", projects, flags=re.M)]
    assert len(items) >= 6
    weights = [int(w) for w in re.findall(r"^\| [^|]+? \| (\d+) % \|", projects, flags=re.M)]
    assert len(weights) >= 4 and sum(weights) == 100
    nb = nbformat.read(ROOT / "problems" / "projects.ipynb", as_version=4)
    starters = re.findall(r"^## (\d+)\. (.*)$", "\n".join(c.source for c in nb.cells), flags=re.M)
    assert [name for _, name in starters] == items
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert outputs.count("ready") == len(items)


def test_page_links_every_download():
    for path in CHAPTERS:
        assert f'href="downloads/student/chapters/{path.stem}.ipynb"' in PAGE
        assert f'href="downloads/student/problems/{path.stem}-problems.ipynb"' in PAGE
    assert 'href="downloads/klbook.pdf"' in PAGE and 'href="downloads/student/student-notebooks.zip"' in PAGE

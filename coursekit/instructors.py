"""The generated parts of ``instructors.md``, derived from the chapters and problem sets.

    python -m coursekit.instructors          # rewrite the generated blocks and the figure
    python -m coursekit.instructors --check  # exit 1 if instructors.md is out of date

``instructors.md`` keeps its hand-written text; the blocks between ``% BEGIN generated: NAME``
and ``% END generated: NAME`` (MyST comments) are written here:

* ``goals`` -- each chapter's "What you will learn" list, verbatim, with the prerequisites
  derived below (never the raw "What you need" paragraph, whose next cell would leak in);
* ``prerequisites`` -- the graph of chapter prerequisites and ``images/prerequisites.png``;
* ``timings`` -- reading and lab minutes per section of each chapter, from its text and cells;
* ``syllabus`` -- the weeks of :data:`WEEKS`, with their load, checked against the graph.

Prerequisites are read from each chapter's "What you need" section: every chapter it names (by
number, by ``{doc}`` link, or by the aliases in :data:`ALIASES`) is a prerequisite, unless the
same section says that it is not needed -- the sentences in :data:`NOT_REQUIRED` quote where.
``tests/test_course_kit.py`` checks that every quote is still in its chapter, that the graph
has no cycle and that the syllabus teaches every chapter after its prerequisites.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "instructors.md"
FIGURE = ROOT / "images" / "prerequisites.png"

# A chapter named in words rather than by number, in a "What you need" section.
ALIASES = {"the chapter on variational inference": 4}

# (chapter, named chapter) -> the sentence of the chapter's "What you need" saying it is not needed.
NOT_REQUIRED = {
    (3, 2): "chapter 2 first helps but is not needed",
    (8, 5): "both are summarised where they are used",
    (8, 6): "both are summarised where they are used",
    (9, 0): "The other chapters are referenced but not\nrequired",  # 0: applies to every chapter but those named
}

# How long things take (minutes). Reading: 100 words a minute for this mathematical text, plus
# 1.5 minutes per displayed equation. Lab: 3 minutes per code cell (run it, read the output,
# change one thing), 15 per in-chapter exercise, 30 per assessment problem (homework).
WORDS_PER_MINUTE = 100
MIN_PER_EQUATION = 1.5
MIN_PER_CODE_CELL = 3
MIN_PER_EXERCISE = 15
MIN_PER_PROBLEM = 30

# A chapter taught over two weeks: the second week starts at this section.
SPLIT = {
    1: "KL is not symmetric",
    2: "Label smoothing",
    3: "Real data: a mixture of Bernoullis",
    4: "Variational inference by gradient ascent",
    6: "The variational lower bound",
    7: "Estimating mutual information from samples",
}

# A 15-week semester: (week, chapters, focus). Each week has 2 x 90 minutes of class (lecture and
# lab) and up to 4 hours of homework; the load shown is reading + lab + exercises of its chapters.
WEEKS = [
    (1, [1], "Definitions, the coding view, Gibbs' inequality; lab: the Huffman experiment."),
    (2, [1], "Asymmetry, the Gaussian case, the properties, Stein's lemma, forward vs reverse KL."),
    (3, [2], "Cross-entropy as a training loss, stable softmax, the training loop; lab: the digits."),
    (4, [2], "Label smoothing and calibration, distillation, the library pitfalls."),
    (5, [3], "Maximum likelihood as KL minimisation, conditional ML, the KL projection."),
    (6, [3, 4], "EM for a Bernoulli mixture, pseudo-counts, held-out likelihood; the ELBO, checked on a conjugate model; lab: EM on the digits."),
    (7, [4], "VI by gradient ascent and CAVI, the VAE, rate and distortion, the IWAE bound; lab: the β sweep."),
    (8, [8], "Estimating KL from samples: k1, k2, k3, histograms, k-NN, classifiers (needed by chapter 5)."),
    (9, [5], "Trust regions, natural gradients, PPO, RLHF's KL penalty; lab: CartPole."),
    (10, [6], "JS and the GAN game, the f-divergence family."),
    (11, [6], "Variational bounds, f-GANs, the generator loss used in practice; projects chosen."),
    (12, [7], "Mutual information and the data-processing inequality; the bottleneck and annealing."),
    (13, [7], "Neural MI estimators (MINE, NWJ, InfoNCE) and the variational information bottleneck."),
    (14, [9], "The direction map and the pitfalls; draft project reports reviewed in the lab."),
    (15, [], "Project presentations and final reports."),
]


# --------------------------------------------------------------------------- reading chapters


def chapters(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    return sorted((root / "chapters").glob("[0-9][0-9]-*.ipynb"))


def number(path: pathlib.Path) -> int:
    return int(path.stem[:2])


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def title(nb) -> str:
    return re.match(r"#\s+(.*)", nb.cells[0].source).group(1).strip()


def section(nb, heading: str) -> str:
    """The body of the ``## heading`` section, up to the next heading of level 1 or 2 (any cell)."""
    text = _markdown(nb)
    m = re.search(rf"^## {re.escape(heading)}[^\n]*\n(.*?)(?=^#{{1,2}} |\Z)", text, flags=re.S | re.M)
    if not m:
        raise ValueError(f"no '## {heading}' section")
    return m.group(1).strip()


def named_chapters(text: str) -> list[int]:
    """Chapter numbers named in a text: 'Chapter 3', 'chapters 2 and 4', {doc} links, aliases."""
    found = set()
    for m in re.finditer(r"\{doc\}`[^`<]*<[./]*(?:chapters/)?(\d\d)-[^>]*>`", text):
        found.add(int(m.group(1)))
    for m in re.finditer(r"\b[Cc]hapters?\s+(\d+(?:(?:\s*,\s*|\s+and\s+|\s+or\s+)\d+)*)", text):
        found.update(int(n) for n in re.findall(r"\d+", m.group(1)))
    for alias, n in ALIASES.items():
        if alias in text:
            found.add(n)
    return sorted(found)


def prerequisites(root: pathlib.Path = ROOT) -> dict[int, dict[str, list[int]]]:
    """{chapter: {"required": [...], "optional": [...]}} from each "What you need" section."""
    graph = {}
    for path in chapters(root):
        n, text = number(path), section(nbformat.read(path, as_version=4), "What you need")
        named = [m for m in named_chapters(text) if m != n]
        required, optional = [], []
        for m in named:
            quote = NOT_REQUIRED.get((n, m))
            blanket = NOT_REQUIRED.get((n, 0))
            if quote is not None:
                if quote not in text:
                    raise ValueError(f"chapter {n}: the quote for chapter {m} is gone: {quote!r}")
                optional.append(m)
            elif blanket is not None and m != 1:
                optional.append(m)
            else:
                required.append(m)
        graph[n] = {"required": required, "optional": optional, "text": text}
    return graph


def cycles(graph) -> list[list[int]]:
    """Cycles of the required edges (empty when the graph is a DAG)."""
    found, state = [], {}

    def visit(n, stack):
        state[n] = 1
        for m in graph[n]["required"]:
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m in graph and not state.get(m):
                visit(m, stack + [m])
        state[n] = 2

    for n in graph:
        if not state.get(n):
            visit(n, [n])
    return found


def syllabus_problems(graph, weeks=WEEKS) -> list[str]:
    """Where the syllabus teaches a chapter before one of its required prerequisites."""
    first = {}
    for week, chs, _ in weeks:
        for order, c in enumerate(chs):
            first.setdefault(c, (week, order))
    out = [f"chapter {c} is not in the syllabus" for c in graph if c not in first]
    for c, edges in graph.items():
        for m in edges["required"]:
            if c in first and (m not in first or first[m] >= first[c]):
                out.append(f"chapter {c} (week {first[c][0]}) needs chapter {m}, taught in week "
                           f"{first.get(m, ('never',))[0]}")
    return out


# --------------------------------------------------------------------------- timings


def _reading_minutes(text: str) -> float:
    equations = len(re.findall(r"^\$\$", text, flags=re.M)) // 2 + len(re.findall(r"\{math\}|\\begin\{align", text))
    words = len(re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S).split())
    return words / WORDS_PER_MINUTE + MIN_PER_EQUATION * equations


def section_timings(nb) -> list[tuple[str, int, int]]:
    """[(section, reading minutes, lab minutes)] for the ## sections of a chapter (rounded up to 5)."""
    rows, current, reading, lab = [], "Opening", 0.0, 0.0

    def close():
        if reading or lab:
            rows.append((current, 5 * math.ceil(reading / 5), 5 * math.ceil(lab / 5) if lab else 0))

    solution = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for chunk in re.split(r"(?=^## )", cell.source, flags=re.M):
                m = re.match(r"## (.*)", chunk)
                if m:
                    close()
                    current, reading, lab = m.group(1).strip(), 0.0, 0.0
                n_ex = len(re.findall(r"\{exercise\}", chunk))
                lab += MIN_PER_EXERCISE * n_ex
                # solution text is read while doing the exercise, not in the reading time
                body = re.sub(r"\{solution-start\}.*?(\{solution-end\}|\Z)", " ", chunk, flags=re.S)
                if not solution:
                    reading += _reading_minutes(body)
                for fence in re.findall(r"\{solution-(start|end)\}", chunk):
                    solution = fence == "start"
        elif cell.cell_type == "code" and cell.source.strip() and not solution:
            lab += MIN_PER_CODE_CELL
    close()
    return rows


def problem_sets(root: pathlib.Path = ROOT) -> dict[int, list[tuple[str, str]]]:
    """{chapter: [(label, first line of the statement)]} from problems/NN-*.ipynb."""
    out = {}
    for path in sorted((root / "problems").glob("[0-9][0-9]-*.ipynb")):
        text = _markdown(nbformat.read(path, as_version=4))
        items = re.findall(r"```\{exercise\}\n:label:\s*(\S+)\n\n\*\*(.*?)\*\*", text)
        out[int(path.stem[:2])] = [(label, name) for label, name in items]
    return out


# --------------------------------------------------------------------------- the page


def _h(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def render(root: pathlib.Path = ROOT) -> dict[str, str]:
    graph = prerequisites(root)
    paths = {number(p): p for p in chapters(root)}
    nbs = {n: nbformat.read(p, as_version=4) for n, p in paths.items()}
    problems = problem_sets(root)
    blocks = {}

    # -- goals
    out = []
    for n, nb in nbs.items():
        stem = paths[n].stem
        req = ", ".join(f"{{doc}}`chapter {m} <chapters/{paths[m].stem}>`" for m in graph[n]["required"])
        opt = ", ".join(f"{{doc}}`chapter {m} <chapters/{paths[m].stem}>`" for m in graph[n]["optional"])
        out += [f"### {title(nb)}", "", f"{{doc}}`Chapter {n} <chapters/{stem}>` — students will learn:", "",
                section(nb, "What you will learn"), "",
                f"Chapters needed first: {req or 'none'}." + (f" Referred to, not needed: {opt}." if opt else ""),
                f"Problem set: {{doc}}`{len(problems.get(n, []))} problems <problems/{stem}-problems>`.", ""]
    blocks["goals"] = "\n".join(out).strip()

    # -- prerequisites
    rows = ["| Chapter | Needs first | Refers to (not needed) |", "| --- | --- | --- |"]
    for n, edges in graph.items():
        rows.append(f"| {n}. {title(nbs[n])} | {', '.join(map(str, edges['required'])) or '—'} | "
                    f"{', '.join(map(str, edges['optional'])) or '—'} |")
    blocks["prerequisites"] = "\n".join([
        "```{figure} images/prerequisites.png",
        ":name: fig-prerequisites",
        ":alt: " + prerequisites_alt(graph),
        ":width: 90%",
        "",
        "Prerequisites between the chapters, read from each chapter's \"What you need\" section. "
        "A solid arrow goes from a chapter to a chapter that needs it (prerequisites implied "
        "through another chapter are not drawn); a dashed arrow to a chapter that only refers to it. "
        "Chapters in the same column do not need each other.",
        "```",
        "",
        *rows,
    ])

    # -- timings
    out, totals = [], {}
    for n, nb in nbs.items():
        t = section_timings(nb)
        reading, lab = sum(r for _, r, _ in t), sum(lab for *_, lab in t)
        homework = MIN_PER_PROBLEM * len(problems.get(n, []))
        totals[n] = (reading, lab, homework)
        out += [f"**Chapter {n}. {title(nb)}**", "", "| Section | Reading | Lab |", "| --- | ---: | ---: |"]
        out += [f"| {name} | {r} min | {lab_} min |" for name, r, lab_ in t]
        out += [f"| **Total** | **{_h(reading)}** | **{_h(lab)}** |", "",
                f"Homework: problem set of {len(problems.get(n, []))} problems, {_h(homework)}.", ""]
    blocks["timings"] = "\n".join(out).strip()

    # -- syllabus
    rows = ["| Week | Chapters | Focus | Reading + lab | Homework |", "| --- | --- | --- | ---: | ---: |"]
    for week, items, focus, load, hw in week_plan(root):
        label = ", ".join(
            f"{{doc}}`Chapter {c} <chapters/{paths[c].stem}>`"
            + (f" ({('first', 'second')[part]} part)" if c in SPLIT else "")
            for c, part in items
        ) or "projects"
        rows.append(f"| {week} | {label} | {focus} | {_h(int(load)) if items else '—'} | {_h(int(round(hw)))} |")
    blocks["syllabus"] = "\n".join(rows)
    return blocks


def parts(n: int, rows) -> list[list[tuple[str, int, int]]]:
    """A chapter's timing rows, split where :data:`SPLIT` says it takes a second week."""
    if n not in SPLIT:
        return [rows]
    at = next(i for i, (name, *_) in enumerate(rows) if name.startswith(SPLIT[n]))
    return [rows[:at], rows[at:]]


def prerequisites_alt(graph) -> str:
    """Alt text of the prerequisites figure, read from the same graph the figure draws."""
    needs = [
        f"chapter {n} needs " + " and ".join(map(str, e["required"]))
        for n, e in graph.items()
        if e["required"]
    ]
    refers = [
        f"chapter {n} only refers to " + " and ".join(map(str, e["optional"]))
        for n, e in graph.items()
        if e["optional"]
    ]
    return (
        "Graph of the nine chapters as circles, placed left to right by the length of the "
        "longest chain of prerequisites before each, with an arrow from every prerequisite to "
        "the chapter that needs it: " + "; ".join(needs) + ". Dashed arrows: "
        + "; ".join(refers) + ". The point: after chapter 1 the book branches, and chapter 7 "
        "comes last because it needs chapters 2 and 4."
    )


def week_plan(root: pathlib.Path = ROOT) -> list[tuple[int, list[tuple[int, int]], str, int, float]]:
    """[(week, [(chapter, part)], focus, reading + lab minutes, homework minutes)]."""
    nbs = {number(p): nbformat.read(p, as_version=4) for p in chapters(root)}
    split = {n: parts(n, section_timings(nb)) for n, nb in nbs.items()}
    problems = problem_sets(root)
    seen, plan = {}, []
    for week, chs, focus in WEEKS:
        items, load, homework = [], 0, 0.0
        for c in chs:
            part = seen.get(c, 0)
            seen[c] = part + 1
            items.append((c, part))
            load += sum(r + lab for _, r, lab in split[c][part])
            homework += MIN_PER_PROBLEM * len(problems.get(c, [])) / len(split[c])
        plan.append((week, items, focus, load, homework if chs else 240))
    return plan


def week_loads(root: pathlib.Path = ROOT) -> dict[int, float]:
    """Reading + lab minutes per teaching week."""
    return {week: load for week, items, _, load, _ in week_plan(root) if items}


MARK = re.compile(r"^(% BEGIN generated: (\w+)\n)(.*?)(^% END generated: \2$)", re.S | re.M)


def apply(page: str, blocks: dict[str, str]) -> str:
    seen = set()

    def sub(m):
        seen.add(m.group(2))
        return m.group(1) + blocks[m.group(2)] + "\n" + m.group(4)

    new = MARK.sub(sub, page)
    missing = set(blocks) - seen
    if missing:
        raise ValueError(f"instructors.md has no generated block for {sorted(missing)}")
    return new


def draw(graph, path: pathlib.Path = FIGURE) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    depth = {}

    def d(n):
        if n not in depth:
            depth[n] = 1 + max((d(m) for m in graph[n]["required"]), default=-1)
        return depth[n]

    for n in graph:
        d(n)
    columns = {}
    for n in sorted(graph):
        columns.setdefault(depth[n], []).append(n)
    pos = {n: (col, -(i - (len(ns) - 1) / 2)) for col, ns in columns.items() for i, n in enumerate(ns)}
    fig, ax = plt.subplots(figsize=(8, 3.8), dpi=150)
    def reachable(start):
        seen, todo = set(), [start]
        while todo:
            for m in graph[todo.pop()]["required"]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return seen

    for n, edges in graph.items():
        # transitive reduction: a prerequisite implied through another one is not drawn
        direct = [m for m in edges["required"] if not any(m in reachable(k) for k in edges["required"] if k != m)]
        for kind, style, targets in (("required", "-", direct), ("optional", "--", edges["optional"])):
            for m in targets:
                ax.annotate("", xy=pos[n], xytext=pos[m],
                            arrowprops=dict(arrowstyle="-|>", ls=style, lw=1.4 if kind == "required" else 1.0,
                                            color="0.25" if kind == "required" else "0.6",
                                            shrinkA=15, shrinkB=15, connectionstyle="arc3,rad=0.08"))
    for n, (x, y) in pos.items():
        ax.scatter([x], [y], s=700, color="#4c72b0", zorder=3)
        ax.text(x, y, str(n), ha="center", va="center", color="white", fontsize=12, weight="bold", zorder=4)
    ax.set_xticks(sorted(columns))
    ax.set_xticklabels([f"{c} chapter{'s' if c != 1 else ''} before" for c in sorted(columns)])
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(-0.5, max(columns) + 0.5)
    ax.set_ylim(min(y for _, y in pos.values()) - 0.7, max(y for _, y in pos.values()) + 0.7)
    ax.set_xlabel("longest chain of prerequisites before the chapter")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that instructors.md is up to date")
    args = parser.parse_args(argv)
    graph = prerequisites()
    if cycles(graph) or syllabus_problems(graph):
        print("prerequisite cycles:", cycles(graph), "syllabus:", syllabus_problems(graph))
        return 1
    page = PAGE.read_text(encoding="utf-8")
    new = apply(page, render())
    if args.check:
        if new != page:
            print("instructors.md is out of date: run python -m coursekit.instructors")
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    draw(graph)
    print(f"wrote {PAGE.name} and {FIGURE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

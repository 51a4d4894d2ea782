"""The book as one PDF (``make pdf`` / ``make book``: ``_build/pdf/klbook.pdf``).

Read back with pypdfium2: every chapter and problem-set title, every figure caption, every
exercise (with its solution: it is the reader's edition) and every theorem-like block are in the
text; no raw TeX is; the bookmarks follow ``_toc.yml``; the page count is plausible. The first page
of each chapter is rendered to ``test-artifacts/pdf/`` for a look. Without a PDF the tests skip
locally and fail when ``CI=true``.
"""

from __future__ import annotations

import os
import re
import unicodedata

import nbformat
import pytest

from coursekit.pdf import PDF_NAME, toc_entries

from test_html import ROOT

PDF = ROOT / "_build" / "pdf" / PDF_NAME
ARTIFACTS = ROOT / "test-artifacts" / "pdf"
ON_CI = os.environ.get("CI", "").strip().lower() == "true"
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.ipynb"))
PROBLEMS = sorted((ROOT / "problems").glob("[0-9][0-9]-*.ipynb"))


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\ufffe", "")
    # Sphinx's smart quotes and dashes, and the plain ones of the sources, compare equal
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                                         "\u2013": "-", "\u2014": "-", "\u2212": "-"}))
    text = text.replace("---", "-").replace("--", "-")
    return " ".join(text.replace("\r", " ").split())


@pytest.fixture(scope="module")
def pdf():
    if not PDF.is_file():
        if ON_CI:
            pytest.fail(f"{PDF} is missing (make book builds it; CI=true: not skipping)", pytrace=False)
        pytest.skip(f"build the PDF first: make pdf ({PDF} is missing)")
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(str(PDF))
    pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    yield doc, pages, norm(" ".join(pages))
    doc.close()


def loose(text: str) -> str:
    """For captions: hyphens can be dropped at a line break, and '*' is markdown in the source."""
    return norm(text).replace("-", "").replace("*", "")


def markdown(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_page_count_is_plausible(pdf):
    doc, pages, _ = pdf
    n_docs = len(toc_entries())
    assert 8 * n_docs <= len(doc) <= 60 * n_docs, f"{len(doc)} pages for {n_docs} documents"
    assert sum(1 for p in pages if len(p.strip()) < 20) <= 2, "blank pages"


def test_every_title_caption_exercise_and_theorem(pdf):
    _, _, text = pdf
    loose_text = loose(text)
    missing = []
    for path in CHAPTERS + PROBLEMS:
        nb = nbformat.read(path, as_version=4)
        title = re.match(r"#\s+(.*)", nb.cells[0].source).group(1)
        if norm(re.sub(r"\$[^$]*\$", " ", title)).split("  ")[0] not in text:
            missing.append(f"title: {title}")
        for cell in nb.cells:
            caption = cell.metadata.get("mystnb", {}).get("figure", {}).get("caption")
            if not caption:
                continue
            # the caption's words between its formulas (MathJax typesets the formulas)
            for piece in re.split(r"\$[^$]*\$|`[^`]*`", caption):
                piece = norm(re.sub(r"\*+|\{[a-z]+\}", "", piece)).strip(" ,.;:()")
                if len(piece) >= 15 and loose(piece) not in loose_text:
                    missing.append(f"caption of {path.stem}: {piece[:60]}")
    assert not missing, "\n".join(missing[:20])
    total_ex = sum(len(re.findall(r"\{exercise\}", markdown(p))) for p in CHAPTERS + PROBLEMS)
    assert text.count("Solution to") >= total_ex, "every solution is printed (the reader's edition)"
    assert len(re.findall(r"\bExercise \d+(?:\.\d+)?\b", text)) >= total_ex


def test_theorems_are_there(pdf):
    _, _, text = pdf
    for path in CHAPTERS:
        md = markdown(path)
        for kind in ("theorem", "lemma", "proposition", "definition"):
            n = len(re.findall(rf"\{{prf:{kind}\}}", md))
            assert text.count(kind.capitalize()) >= n, f"{path.stem}: {kind}"


def test_no_raw_tex(pdf):
    _, _, text = pdf
    assert "\\begin{" not in text and "??" not in text
    assert "$$" not in text and "\\(" not in text and "\\[" not in text
    # a '$' may only come from code or outputs printed verbatim, never from prose
    code_dollars = 0
    for path in [ROOT / "intro.md", ROOT / "instructors.md"] + CHAPTERS + PROBLEMS:
        md = path.read_text(encoding="utf-8") if path.suffix == ".md" else markdown(path)
        fenced = re.findall(r"^```[a-z]*\n.*?^```", md, flags=re.S | re.M)
        code_dollars += sum(block.count("$") for block in fenced if not block.startswith("```{"))
        code_dollars += sum(span.count("$") for span in re.findall(r"`[^`\n]+`", re.sub(r"^```.*?^```", "", md, flags=re.S | re.M)))
    for path in CHAPTERS + PROBLEMS + [ROOT / "problems" / "projects.ipynb"]:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                code_dollars += cell.source.count("$")
                for out in cell.get("outputs", []):
                    code_dollars += str(out.get("text", "")).count("$")
                    code_dollars += str(out.get("data", {}).get("text/plain", "")).count("$")
    assert text.count("$") <= code_dollars


def test_bookmarks_follow_the_table_of_contents(pdf):
    doc, _, _ = pdf
    top, second = [], []
    for item in doc.get_toc(max_depth=4):
        if item.level == 0:
            top.append(item.get_title())
        elif item.level == 1:
            second.append(item.get_title())
    entries = toc_entries()
    parts = list(dict.fromkeys(p for p, _ in entries if p))
    assert top[1:] == parts
    titles = []
    for part, doc_name in entries[1:]:
        path = ROOT / f"{doc_name}.ipynb"
        if not path.exists():
            path = ROOT / f"{doc_name}.md"
        first = (nbformat.read(path, as_version=4).cells[0].source if path.suffix == ".ipynb"
                 else path.read_text(encoding="utf-8"))
        titles.append(re.match(r"#\s+(.*)", first).group(1).strip())
    got = [re.sub(r"^\d+\.\s*", "", t) for t in second if re.sub(r"^\d+\.\s*", "", t) in titles]
    assert got == titles


def test_first_page_of_each_chapter_renders(pdf):
    doc, pages, _ = pdf
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    starts = {}
    for item in doc.get_toc(max_depth=4):
        if item.level == 1 and re.match(r"\d+\. ", item.get_title()):
            starts[item.get_title()] = item.get_dest().get_index()
    assert len(starts) == len(CHAPTERS)
    for title, index in starts.items():
        image = doc[index].render(scale=1.2).to_pil().convert("L")
        n = int(title.split(".")[0])
        image.save(ARTIFACTS / f"chapter-{n:02d}-page-{index + 1}.png")
        hist = image.histogram()
        dark = sum(hist[:128]) / sum(hist)
        assert 0.003 < dark < 0.5, f"page {index + 1} ({title}) looks blank or black"
        assert norm(title.split(". ", 1)[1][:20]) in norm(pages[index])

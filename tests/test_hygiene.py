"""Notebook hygiene: the cheap checks that keep committed chapters honest.

nbval (run on ``chapters/`` by the same pytest session) proves the outputs are
reproducible; these tests check the things nbval cannot see: that every chapter
is in the table of contents, was executed top to bottom in one fresh kernel,
stores no errors or warnings, has a caption and alt text on every figure, has code
formatted to the page width, and follows the chapter model (learning goals,
prerequisites, exercises, summary).
"""

import json
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
REQUIRED_SECTIONS = ["What you will learn", "What you need", "Exercises", "Summary"]


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            files.append(entry["file"])
    return files


def load(nb_path):
    return json.loads(nb_path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def markdown(nb):
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found"


def test_toc_and_chapter_files_agree():
    listed = [f for f in toc_files() if f.startswith("chapters/")]
    on_disk = [f"chapters/{p.stem}" for p in CHAPTERS]
    assert sorted(listed) == sorted(on_disk), "every chapter must be in _toc.yml and vice versa"
    assert listed == sorted(listed), "chapters are listed in reading (file-name) order"
    for f in toc_files():
        assert (ROOT / f).with_suffix(".ipynb").exists() or (ROOT / f).with_suffix(".md").exists(), f
    for p in CHAPTERS:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", p.stem), f"{p.name}: chapters are named NN-slug"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_executed_in_order_in_one_fresh_kernel(nb_path):
    nb = load(nb_path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    counts = [c["execution_count"] for c in code_cells(nb) if "".join(c["source"]).strip()]
    assert None not in counts, f"{nb_path.name}: some code cells were never executed"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{nb_path.name}: execution counts {counts[:12]}... are not 1, 2, 3, ...: "
        "re-run the notebook top to bottom in a fresh kernel (make outputs)"
    )


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_no_stored_errors_warnings_or_widgets(nb_path):
    for i, cell in enumerate(code_cells(load(nb_path))):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            where = f"{nb_path.name}, code cell {i}"
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"{where}: stored error {out['ename']}"
            if out["output_type"] == "stream":
                assert out["name"] == "stdout", f"{where}: stderr output (a warning?): {''.join(out['text'])[:200]}"
            data = out.get("data", {})
            assert "application/vnd.jupyter.widget-view+json" not in data, (
                f"{where}: widget output (it loads scripts from a CDN)"
            )
            text = "".join(out.get("text", "")) + "".join(data.get("text/plain", ""))
            assert "np.float64(" not in text, f"{where}: print numbers with f-strings, not numpy reprs"


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_a_caption_and_goes_through_kb_show(nb_path):
    for i, cell in enumerate(code_cells(load(nb_path))):
        has_image = any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        if not has_image:
            continue
        caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption", "")
        assert caption.strip(), f"{nb_path.name}, code cell {i}: figure without a caption"
        assert "kb.show(" in "".join(cell["source"]), (
            f"{nb_path.name}, code cell {i}: display figures with kb.show(fig), which checks axis labels"
        )
        assert not any("image/svg+xml" in o.get("data", {}) for o in cell.get("outputs", []))


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_alt_text(nb_path):
    """Alt text for a reader who cannot see the figure, in metadata.mystnb.image.alt (myst-nb
    puts it on the <img>), as tools/alt_text.yml has it: run `make alt-text` to apply."""
    texts = yaml.safe_load((ROOT / "tools" / "alt_text.yml").read_text()).get(nb_path.name, {})
    for i, cell in enumerate(code_cells(load(nb_path))):
        if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            continue
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        name = mystnb.get("figure", {}).get("name", "")
        where = f"{nb_path.name}, code cell {i} ({name or 'no figure name'})"
        assert name in texts, f"{where}: no alt text in tools/alt_text.yml"
        alt = mystnb.get("image", {}).get("alt", "")
        assert alt == " ".join(texts[name].split()), f"{where}: alt text missing or out of date: make alt-text"
        caption = mystnb["figure"]["caption"]
        assert len(alt.split()) >= 25 and alt[:60] != caption[:60], f"{where}: alt text repeats the caption"


def test_chapter_code_is_formatted_to_the_page_width():
    """black (line length 77, what a code block of the page shows) leaves the code cells as
    they are, and no code line is wider than that: run `make format`, shorten what it lists."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "format_chapters.py"), "--check", *map(str, CHAPTERS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_model_sections(nb_path):
    nb = load(nb_path)
    text = markdown(nb)
    assert re.match(r"#\s+\S", "".join(nb["cells"][0]["source"])), "a chapter opens with its # title"
    headings = re.findall(r"^##\s+(.*)$", text, flags=re.MULTILINE)  # the sections
    for section in REQUIRED_SECTIONS:
        assert any(h.strip().startswith(section) for h in headings), f"{nb_path.name}: no '{section}' section"
    order = [next(i for i, h in enumerate(headings) if h.startswith(s)) for s in REQUIRED_SECTIONS]
    assert order == sorted(order), f"{nb_path.name}: sections out of order"
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label:\s*(\S+)", text)
    solutions = re.findall(r"```\{solution-start\}\s*(\S+)", text)
    assert exercises, f"{nb_path.name}: no exercises"
    assert sorted(exercises) == sorted(solutions), f"{nb_path.name}: every exercise needs a solution"
    assert text.count("{solution-start}") == text.count("{solution-end}")
    assert ":class: dropdown" in text, "solutions are hidden behind a toggle"


def chapter_section(nb, heading):
    match = re.search(rf"## {heading}\n\n(.*?)\n\n", markdown(nb) + "\n\n", flags=re.S)
    return match.group(1).strip() if match else None


def test_instructors_page_collects_every_chapters_learning_goals():
    page = (ROOT / "instructors.md").read_text()
    for nb_path in CHAPTERS:
        goals = chapter_section(load(nb_path), "What you will learn")
        assert goals and goals in page, (
            f"instructors.md does not list the current learning goals of {nb_path.stem}; "
            "copy its 'What you will learn' list there"
        )
        assert f"chapters/{nb_path.stem}" in page

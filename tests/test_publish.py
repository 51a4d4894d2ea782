"""Publishing: licence, citation metadata, the publish workflow and its deploy step.

Everything here runs offline: CITATION.cff and .github/workflows/publish.yml are validated
against the schemas that check-jsonschema ships (the Citation File Format 1.2.0 schema and
the GitHub workflow schema), and the deploy step (tools/deploy_pages.sh) is rehearsed into a
bare git repository in a temporary folder, which stands in for GitHub.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
DEPLOY = ROOT / "tools" / "deploy_pages.sh"


def check_jsonschema(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *args], capture_output=True, text=True, cwd=ROOT
    )


# ------------------------------------------------------------------ licence and citation


def test_citation_cff_is_valid():
    proc = check_jsonschema("--builtin-schema", "vendor.citation-file-format", "CITATION.cff")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_cff_check_rejects_a_broken_file(tmp_path):
    """The schema check bites: a file without authors and with a made-up licence fails."""
    broken = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    del broken["authors"]
    broken["license"] = "Not-A-Licence"
    path = tmp_path / "CITATION.cff"
    path.write_text(yaml.safe_dump(broken))
    proc = check_jsonschema("--builtin-schema", "vendor.citation-file-format", str(path))
    assert proc.returncode != 0


def test_licences_agree_everywhere():
    """Code MIT, text and figures CC BY 4.0: LICENSE, LICENSE-text, CITATION.cff, the README,
    the package metadata and the book's footer say the same."""
    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence and "Permission is hereby granted" in licence
    assert "CC BY 4.0" in licence and "LICENSE-text" in licence
    text = (ROOT / "LICENSE-text").read_text()
    assert "Creative Commons Attribution 4.0 International Public License" in text
    assert "Section 1 -- Definitions." in text  # the full legal code, not just a pointer
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    assert cff["preferred-citation"]["license"] == "CC-BY-4.0"
    readme = (ROOT / "README.md").read_text()
    assert "[MIT licence](LICENSE)" in readme and "CC BY 4.0" in readme and "CITATION.cff" in readme
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text()
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer


def test_the_built_footer_states_the_licences():
    page = ROOT / "_build" / "html" / "intro.html"
    if not page.is_file():
        pytest.skip("build the book first: make book")
    html = page.read_text(encoding="utf-8")
    assert "Text and figures:" in html and "CC BY 4.0" in html and "Code: MIT" in html


# ------------------------------------------------------------------ the publish workflow


def test_publish_workflow_is_valid():
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        proc = check_jsonschema("--builtin-schema", schema, str(WORKFLOW))
        assert proc.returncode == 0, f"{schema}:\n{proc.stdout}{proc.stderr}"


def test_publish_workflow_builds_tests_and_deploys_on_pushes_to_main():
    wf = yaml.safe_load(WORKFLOW.read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as True
    assert on["push"]["branches"] == ["main"]
    assert wf["permissions"]["contents"] == "write"
    (job,) = wf["jobs"].values()
    runs = [s.get("run", "").strip() for s in job["steps"]]
    order = [next(i for i, r in enumerate(runs) if cmd in r.splitlines()) for cmd in ("make book", "make test")]
    deploy = next(i for i, r in enumerate(runs) if "tools/deploy_pages.sh origin gh-pages" in r)
    assert order[0] < order[1] < deploy, "build, then test, then deploy"
    assert "chromium" in runs[order[0] - 1], "the browser test needs Debian's chromium"
    assert job["env"]["CI"] == "true", "the browser test must fail, not skip, without a browser"
    # `make book` is the whole build: the workflow adds no build options of its own.
    assert all("jupyter-book" not in r for r in runs)


# ------------------------------------------------------------------ deploy rehearsal


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def deploy(build: Path, remote: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "KLBOOK_BUILD_DIR": str(build)}
    return subprocess.run(
        ["bash", str(DEPLOY), str(remote), "gh-pages"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def published(remote: Path) -> dict[str, bytes]:
    names = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages").split()
    return {n: subprocess.run(["git", "--git-dir", str(remote), "show", f"gh-pages:{n}"],
                              check=True, capture_output=True).stdout for n in names}


@pytest.fixture
def bare_remote(tmp_path) -> Path:
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    remote = tmp_path / "pages.git"
    git("init", "--bare", "-q", str(remote))
    return remote


def test_deploy_rehearsal_into_a_bare_repository(tmp_path, bare_remote):
    build = tmp_path / "_build"
    (build / "html" / "_static").mkdir(parents=True)
    (build / "html" / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=intro.html" />')
    (build / "html" / "intro.html").write_text("<html>book</html>")
    (build / "html" / "_static" / "book.css").write_text("body{}")
    (build / "html" / "stale.html").write_text("old page")

    first = deploy(build, bare_remote)
    assert first.returncode == 0, first.stderr
    files = published(bare_remote)
    assert {"index.html", "intro.html", "_static/book.css", ".nojekyll", "stale.html"} <= set(files)
    assert files["intro.html"] == b"<html>book</html>"

    # Second deploy: the PDF and the student notebooks join, a deleted page disappears, and the
    # branch holds one commit (force-pushed), not a history of builds.
    (build / "html" / "stale.html").unlink()
    (build / "pdf").mkdir()
    (build / "pdf" / "book.pdf").write_bytes(b"%PDF-1.7 test")
    (build / "student").mkdir()
    (build / "student" / "01-what-is-kl.ipynb").write_text("{}")
    second = deploy(build, bare_remote)
    assert second.returncode == 0, second.stderr
    files = published(bare_remote)
    assert "stale.html" not in files
    assert files["pdf/book.pdf"] == b"%PDF-1.7 test"
    assert "student/01-what-is-kl.ipynb" in files
    assert git("--git-dir", str(bare_remote), "rev-list", "--count", "gh-pages").strip() == "1"
    log = git("--git-dir", str(bare_remote), "log", "-1", "--format=%s", "gh-pages")
    assert log.startswith("Publish the book built from ")


def test_deploy_rehearsal_of_the_real_build(bare_remote):
    """The real _build/html, published as it is: every file arrives, byte for byte."""
    html = ROOT / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.skip("build the book first: make book")
    proc = deploy(ROOT / "_build", bare_remote)
    assert proc.returncode == 0, proc.stderr
    names = set(git("--git-dir", str(bare_remote), "ls-tree", "-r", "--name-only", "gh-pages").split())
    expected = {
        p.relative_to(html).as_posix()
        for p in html.rglob("*")
        if p.is_file() and p.relative_to(html).parts[0] not in (".doctrees", "reports")
    }
    # the PDF and the student notebooks travel beside the HTML once they are built
    build = ROOT / "_build"
    expected |= {f"pdf/{p.name}" for p in (build / "pdf").glob("*.pdf")}
    if (build / "student").is_dir():
        expected |= {
            "student/" + p.relative_to(build / "student").as_posix()
            for p in (build / "student").rglob("*")
            if p.is_file()
        }
    assert expected | {".nojekyll"} == names
    for page in ("intro.html", "chapters/01-what-is-kl.html", "_static/mathjax/tex-mml-chtml.js"):
        blob = subprocess.run(["git", "--git-dir", str(bare_remote), "show", f"gh-pages:{page}"],
                              check=True, capture_output=True).stdout
        assert blob == (html / page).read_bytes(), page


def test_deploy_refuses_without_a_build(tmp_path, bare_remote):
    proc = deploy(tmp_path / "nothing", bare_remote)
    assert proc.returncode != 0 and "make book" in proc.stderr

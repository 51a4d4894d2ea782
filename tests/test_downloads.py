"""What the built book offers for download (``make book``): the PDF and the student notebooks.

Every ``downloads/`` link on the instructors page is served by ``_build/html`` itself (HTTP 200
from 127.0.0.1, nothing else); the student notebooks there are the ones ``coursekit.student``
makes now, and the PDF is the one in ``_build/pdf/``. Skips locally without a build, fails in CI.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
import urllib.request
import zipfile

import nbformat
import pytest

from coursekit.pdf import PDF_NAME
from coursekit.student import ARCHIVE, source_notebooks, strip_solutions

from test_html import HTML_DIR, ROOT, _unavailable

PAGE = HTML_DIR / "instructors.html"


@pytest.fixture(scope="module")
def served():
    if not PAGE.is_file():
        _unavailable(f"build the book first: make book ({PAGE} is missing)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML_DIR))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def links() -> list[str]:
    return re.findall(r'href="(downloads/[^"]+)"', PAGE.read_text(encoding="utf-8"))


def test_every_download_link_is_served_offline(served):
    found = links()
    assert f"downloads/{PDF_NAME}" in found and f"downloads/student/{ARCHIVE}" in found
    assert len(found) >= 2 + 2 * 9
    for href in found:
        with urllib.request.urlopen(served + href, timeout=30) as reply:
            assert reply.status == 200, href
            body = reply.read()
        if href.endswith(".ipynb"):
            nb = nbformat.reads(body.decode(), as_version=4)
            nbformat.validate(nb)
            assert "solution-start" not in body.decode()
        elif href.endswith(".pdf"):
            assert body[:5] == b"%PDF-" and body == (ROOT / "_build" / "pdf" / PDF_NAME).read_bytes()


def test_built_student_notebooks_are_current():
    if not PAGE.is_file():
        _unavailable(f"build the book first: make book ({PAGE} is missing)")
    folder = HTML_DIR / "downloads" / "student"
    with zipfile.ZipFile(folder / ARCHIVE) as zf:
        names = set(zf.namelist())
        for path in source_notebooks():
            built = folder / path.parent.name / path.name
            fresh, _ = strip_solutions(nbformat.read(path, as_version=4))
            assert nbformat.read(built, as_version=4) == fresh, f"{built} is stale: make book"
            assert f"klbook-student/{path.parent.name}/{path.name}" in names

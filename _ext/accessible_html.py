"""Small fixes to the theme's HTML, for readers with screen readers, dark mode and downloads.

Applied to every page when the HTML build finishes (idempotent, so incremental builds are
fine), each one checked by ``tests/test_html.py`` (axe-core and the download test):

* The page's download button (sphinx-book-theme 1.3) links the source file with
  ``target="_blank"`` and no ``download`` attribute, so a server that sends ``.ipynb`` as
  JSON (GitHub Pages does) shows the notebook as text in a new tab.  The link gets a
  ``download`` attribute with the file name and opens in the same tab.
* The search buttons (pydata-sphinx-theme) are labelled "Search" while they show
  "Search Ctrl+K": the ``aria-label`` goes, so the accessible name is the visible text
  (axe: label-content-name-mismatch).  The colour-mode button's icons carry tooltip titles
  ("Light", "Dark", ...), which Font Awesome turns into SVG ``<title>`` text that differs
  from its label "Color mode": the titles go and the icons are marked ``aria-hidden`` (the
  button's label and tooltip stay).
* The summary that toggles a hidden code cell (myst-nb's ``hide-input``) is labelled
  "Toggle hidden content" while it shows "Show code cell source": the label goes, so the
  accessible name is what the reader sees.
* The bibliography (sphinxcontrib-bibtex, docutils) is a ``role="list"`` whose entries
  have the deprecated role ``doc-biblioentry``: they become ``role="listitem"``
  (axe: aria-required-children, aria-deprecated-role, aria-allowed-role).
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

_DOWNLOAD = re.compile(
    r'<a href="(?P<href>[^"]+)" target="_blank"(?P<ws>\s+)'
    r'class="btn btn-sm btn-download-source-button'
)
_SEARCH_LABEL = re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"')
_THEME_ICON = re.compile(r'<i class="theme-switch (?P<cls>[^"]*)"(?P<attrs>[^>]*?) title="[^"]*">')
_BIBLIOENTRY = 'role="doc-biblioentry"'
_TOGGLE_SUMMARY = '<summary aria-label="Toggle hidden content">'


def fix_page(html: str) -> str:
    def download(m: re.Match) -> str:
        name = m["href"].rsplit("/", 1)[-1]
        return f'<a href="{m["href"]}" download="{name}"{m["ws"]}class="btn btn-sm btn-download-source-button'

    html = _DOWNLOAD.sub(download, html)
    html = _SEARCH_LABEL.sub(r"\1", html)
    html = _THEME_ICON.sub(r'<i class="theme-switch \g<cls>"\g<attrs> aria-hidden="true">', html)
    html = html.replace(_TOGGLE_SUMMARY, "<summary>")
    return html.replace(_BIBLIOENTRY, 'role="listitem"')


def fix_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    changed = 0
    for path in Path(app.outdir).rglob("*.html"):
        if "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        fixed = fix_page(text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            changed += 1
    logger.info("accessible_html: fixed %d page(s)", changed)


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", fix_pages)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

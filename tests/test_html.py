"""Browser check of the built book (``_build/html``): every page works offline.

Serves ``_build/html`` on 127.0.0.1 and opens every page in headless Chromium (the system
``/usr/bin/chromium``, driven by playwright's Python client; ``playwright install`` is never
needed).  Any request to another host is aborted and fails the test, so a page passes only if
it is self-contained.  Per page it checks:

* no request to another host, no failed request, no HTTP status >= 400;
* math rendered: every ``.math`` element holds an ``mjx-container``, no ``mjx-merror``,
  no undefined-macro marks, no raw ``\\(``/``\\[``/``$$`` TeX left in the visible text;
* every ``<img>`` loaded (``naturalWidth > 0``);
* every image of a notebook cell output sits in a ``<figure>`` with a non-empty caption;
* collapsed solutions (``:class: dropdown``) are hidden until clicked;
* no uncaught page error or console error (except two known harmless ones);
* accessibility: axe-core (from the npm registry, installed by ``make install`` into
  ``.venv/node/``) finds no serious or critical violation, except those listed with a reason
  in ``AXE_ACCEPTED``; every ``<img>`` has a non-empty ``alt`` that is not its file name;
* no code block scrolls sideways (``scrollWidth > clientWidth`` on ``pre``);
* the download button downloads the page's source (``.ipynb`` or ``.md``) instead of
  showing it, and the file is the source.

Each page is opened again in dark mode (``color_scheme="dark"``): the theme must switch,
axe's colour-contrast rule must pass, and figures sit on a light card.

A full-page screenshot of each page goes to ``test-artifacts/screenshots/`` (light) and
``test-artifacts/screenshots/dark/``.

Without a build, Chromium or playwright the tests are skipped locally and fail when ``CI=true``.
Build first with ``make book``.  ``KLBOOK_HTML_DIR`` and ``KLBOOK_CHROMIUM`` override the
build folder and the browser.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("KLBOOK_HTML_DIR", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("KLBOOK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_RESULTS = ROOT / "test-artifacts" / "axe"
OVERFLOW_RESULTS = ROOT / "test-artifacts" / "overflow"
# axe-core, installed by `make install` into the virtual environment the tests run in.
AXE_JS = Path(os.environ.get("KLBOOK_AXE_JS", Path(sys.prefix) / "node" / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ON_CI = os.environ.get("CI", "").strip().lower() == "true"
ALLOWED_HOST = "127.0.0.1"

# Generated pages and internals that are not book pages.
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "reports", "_panels_static"}

# The only console messages tolerated, should they come back: sphinx-thebe declaring
# THEBE_JS_URL twice, and the pydata theme's "invalid theme mode" (both harmless, and both
# currently prevented by _ext/offline_mathjax.py and html_context.default_mode).
KNOWN_HARMLESS = (
    re.compile(r"THEBE_JS_URL.*already been declared"),
    re.compile(r"invalid theme mode", re.IGNORECASE),
)

# axe-core violations of impact serious or critical that are accepted, by rule id, each with
# the reason it cannot be fixed in this book.  Empty: every page passes all of axe's rules
# at those impacts.  (Moderate and minor ones are reported in the failure message of a
# page that fails for another reason, and in test-artifacts/axe.json.)
AXE_ACCEPTED: dict[str, str] = {}
AXE_FAILING_IMPACTS = ("serious", "critical")

# Raw TeX delimiters that must not survive MathJax in the visible (non-code) text.
RAW_TEX = ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin{")


def _unavailable(reason: str):
    """Skip locally, fail in CI (CI=true), so a broken CI setup cannot pass silently."""
    if ON_CI:
        pytest.fail(f"{reason} (CI=true: not skipping)", pytrace=False)
    pytest.skip(reason)


def _is_redirect_stub(path: Path) -> bool:
    """The one-line ``<meta http-equiv="Refresh">`` page that Jupyter Book writes as index.html."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return len(text) < 500 and 'http-equiv="refresh"' in text.lower()


def _discover_pages() -> list[str]:
    if not (HTML_DIR / "index.html").is_file():
        return []
    pages = []
    for path in sorted(HTML_DIR.rglob("*.html")):
        rel = path.relative_to(HTML_DIR)
        if rel.parts[0] in SKIP_DIRS or rel.name in SKIP_PAGES:
            continue
        if _is_redirect_stub(path):  # e.g. the index.html -> intro.html redirect
            continue
        pages.append(rel.as_posix())
    return pages


PAGES = _discover_pages()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def site() -> str:
    """Base URL of ``_build/html`` served by a background http.server on 127.0.0.1."""
    if not (HTML_DIR / "index.html").is_file():
        _unavailable(f"build the book first: make book ({HTML_DIR / 'index.html'} is missing)")

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        # Content types as GitHub Pages sends them, so the download test sees what a reader
        # would (a browser shows JSON and Markdown inline unless the link says download).
        extensions_map = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".ipynb": "application/x-ipynb+json",
            ".md": "text/markdown",
        }

        def log_message(self, *args):  # keep pytest output clean
            pass

    handler = functools.partial(QuietHandler, directory=str(HTML_DIR))
    server = http.server.ThreadingHTTPServer((ALLOWED_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{ALLOWED_HOST}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright (Python client) is not installed: pip install playwright")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - report any launch problem the same way
        pw.stop()
        _unavailable(f"could not launch Chromium at {CHROMIUM}: {exc}")
    yield browser
    browser.close()
    pw.stop()


class PageLog:
    """Everything a page did that the test should know about."""

    def __init__(self):
        self.offsite: list[str] = []
        self.failed: list[str] = []
        self.bad_status: list[str] = []
        self.errors: list[str] = []
        self.loaded: list[str] = []  # URLs answered with a status < 400

    def problems(self) -> list[str]:
        out = [f"request to another host (blocked): {u}" for u in self.offsite]
        out += [f"failed request: {u}" for u in self.failed]
        out += [f"HTTP error: {u}" for u in self.bad_status]
        out += [f"page/console error: {e}" for e in self.errors]
        return out


@pytest.fixture
def open_page(site, browser):
    """Open a page of the book (light mode) with every request routed; returns (page, log)."""
    yield from _opener(site, browser, color_scheme="light")


@pytest.fixture
def open_dark_page(site, browser):
    """The same, with the reader's system set to dark mode."""
    yield from _opener(site, browser, color_scheme="dark")


def _opener(site, browser, color_scheme):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        service_workers="block",
        color_scheme=color_scheme,
        accept_downloads=True,
    )

    def _open(rel: str, query: str = ""):
        page = context.new_page()
        log = PageLog()

        def route(route):
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about") or parts.hostname == ALLOWED_HOST:
                route.continue_()
            else:
                log.offsite.append(url)
                route.abort("blockedbyclient")

        def on_failed(request):
            if request.url not in log.offsite:
                log.failed.append(f"{request.url} ({request.failure})")

        def on_response(response):
            if response.status >= 400:
                log.bad_status.append(f"{response.status} {response.url}")
            else:
                log.loaded.append(response.url)

        def on_console(msg):
            if msg.type == "error" and not any(p.search(msg.text) for p in KNOWN_HARMLESS):
                log.errors.append(f"console: {msg.text}")

        def on_pageerror(exc):
            text = f"{exc.name}: {exc.message}" if getattr(exc, "name", None) else str(exc)
            if not any(p.search(text) for p in KNOWN_HARMLESS):
                log.errors.append(f"uncaught: {text}")

        page.route("**/*", route)
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", on_pageerror)
        page.goto(site + rel + query, wait_until="load")
        _settle(page)
        return page, log

    yield _open
    context.close()


# --------------------------------------------------------------------------- helpers

_SETTLE_JS = """
async () => {
  for (const img of document.images) img.loading = 'eager';
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  await document.fonts.ready;
}
"""

_MATH_JS = r"""
() => {
  const math = [...document.querySelectorAll('span.math, div.math')];
  const unrendered = math.filter(e => !e.querySelector('mjx-container'))
                         .map(e => e.textContent.trim().slice(0, 80));
  // MathJax's noundefined package marks an unknown macro as red text instead of an merror.
  const undefinedMacros = [...document.querySelectorAll('mjx-container mjx-mtext')]
      .filter(e => !e.closest('mjx-merror') && getComputedStyle(e).color === 'rgb(255, 0, 0)')
      .map(e => {
        const mml = e.closest('mjx-container').querySelector('mjx-assistive-mml mtext[mathcolor="red"]');
        return mml ? mml.textContent : '(see screenshot)';
      });
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight')
       .forEach(e => e.remove());
  return {
    mathCount: math.length,
    containers: document.querySelectorAll('mjx-container').length,
    version: window.MathJax && MathJax.version,
    unrendered,
    errors: [...document.querySelectorAll('mjx-merror')]
        .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    undefinedMacros,
    text: clone.textContent,
  };
}
"""

_IMAGES_JS = """
() => [...document.images].map(img => ({
  src: img.getAttribute('src') || '',
  alt: img.getAttribute('alt'),
  ok: img.complete && img.naturalWidth > 0,
  cellOutput: !!img.closest('.cell_output, .output'),
  caption: (() => {
    const fig = img.closest('figure');
    if (!fig) return null;
    const cap = fig.querySelector('figcaption');
    if (!cap) return '';
    // With numfig the caption starts with "Fig. N"; only the caption text itself counts.
    const text = cap.querySelector('.caption-text') || cap;
    return text.textContent.replace(/#\\s*$/, '').trim();
  })(),
}))
"""


# Code blocks (notebook code cells and code in the text) that scroll sideways.  Cell outputs
# are printed results, not code: they are counted in test-artifacts/overflow/ but not failed on.
_OVERFLOW_JS = """
() => [...document.querySelectorAll('.bd-article pre')].map(pre => ({
  output: !!pre.closest('.cell_output, .output'),
  scrollWidth: pre.scrollWidth,
  clientWidth: pre.clientWidth,
  widest: pre.textContent.split('\\n').reduce((a, l) => (l.length > a.length ? l : a), ''),
})).filter(p => p.scrollWidth > p.clientWidth)
"""

_AXE_JS = """
async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' +
        (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)),
  }));
}
"""

# In dark mode every notebook figure must sit on an opaque light card (the PNGs have a white
# background; the theme dims them): report any figure whose computed background is transparent
# or dark.
_DARK_FIGURES_JS = """
() => [...document.querySelectorAll('.cell_output img')].map(img => {
  const bg = getComputedStyle(img).backgroundColor;
  const m = bg.match(/[\\d.]+/g) || [];
  const [r, g, b, a] = [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1];
  return {src: img.getAttribute('src'), bg, ok: a > 0.9 && (r + g + b) / 3 > 180};
}).filter(f => !f.ok)
"""


def _axe(page, rel: str, scheme: str, options: dict | None = None) -> list[str]:
    """Run axe-core on the page; return the failing (serious/critical, not accepted) violations.

    All violations, of every impact, are written to test-artifacts/axe/ for the record.
    """
    if not AXE_JS.is_file():
        _unavailable(f"axe-core not found at {AXE_JS}: run `make install` (npm install axe-core)")
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(_AXE_JS, options or {"resultTypes": ["violations"]})
    AXE_RESULTS.mkdir(parents=True, exist_ok=True)
    (AXE_RESULTS / f"{scheme}__{_shot_name(rel).removesuffix('.png')}.json").write_text(
        json.dumps(violations, indent=1), encoding="utf-8"
    )
    problems = []
    for v in violations:
        if v["impact"] in AXE_FAILING_IMPACTS and v["id"] not in AXE_ACCEPTED:
            problems.append(
                f"axe {v['impact']} {v['id']} ({scheme}): {v['help']}; {v['count']} element(s):\n      "
                + "\n      ".join(v["nodes"])
            )
    return problems


def _check_download(page, rel: str) -> list[str]:
    """Follow the download button's source link: it must download the page's source file."""
    link = page.locator("a.btn-download-source-button").first
    if not link.count():
        stem = Path(rel).with_suffix("").as_posix()
        if not list((HTML_DIR / "_sources").glob(f"{stem}.*")):
            return []  # a generated page (e.g. the proof index): it has no source to download
        return ["no download button for the page's source"]
    href = link.get_attribute("href") or ""
    source = (HTML_DIR / rel).parent.joinpath(href).resolve()
    page.locator(".dropdown-download-buttons > button").first.click()
    try:
        with page.expect_download(timeout=10_000) as info:
            link.click()
        download = info.value
    except Exception:  # noqa: BLE001 - a timeout means the browser showed the file instead
        return [f"download button ({href}) opened the file instead of downloading it"]
    problems = []
    if download.failure():
        return [f"download of {href} failed: {download.failure()}"]
    got = Path(download.path()).read_bytes()
    if not source.is_file() or got != source.read_bytes():
        problems.append(f"downloaded file differs from {source}")
    if Path(download.suggested_filename).suffix != source.suffix:
        problems.append(f"downloaded as {download.suggested_filename!r}, not a {source.suffix} file")
    if source.suffix == ".ipynb":
        try:
            assert json.loads(got)["nbformat"] == 4
        except Exception as exc:  # noqa: BLE001
            problems.append(f"downloaded notebook is not a notebook: {exc!r}")
    return problems


def _settle(page) -> None:
    page.evaluate(_SETTLE_JS)


def _shot_name(rel: str) -> str:
    return rel.removesuffix(".html").replace("/", "__") + ".png"


# --------------------------------------------------------------------------- tests


# Without a build the `site` fixture skips (or fails under CI) before the placeholder is used.
@pytest.mark.parametrize("rel", PAGES or ["index.html"])
def test_page_renders_offline(rel, open_page):
    page, log = open_page(rel)
    problems = log.problems()

    # Math: MathJax 3 (local copy) rendered every formula, without errors or raw TeX.
    math = page.evaluate(_MATH_JS)
    if math["mathCount"]:
        if not (math["version"] or "").startswith("3"):
            problems.append(f"MathJax 3 did not load (window.MathJax.version={math['version']!r})")
        if math["containers"] == 0:
            problems.append("page has math but MathJax produced no mjx-container")
        for tex in math["unrendered"]:
            problems.append(f"math not rendered: {tex}")
        for err in math["errors"]:
            problems.append(f"MathJax error: {err}")
        for macro in math["undefinedMacros"]:
            problems.append(f"undefined TeX macro: {macro}")
        if math["containers"] and not any("/_static/mathjax/output/chtml/fonts/" in u for u in log.loaded):
            problems.append("MathJax's CHTML fonts were not loaded from the local copy")
    for delim in RAW_TEX:
        if delim in math["text"]:
            i = math["text"].index(delim)
            snippet = " ".join(math["text"][max(0, i - 40) : i + 40].split())
            problems.append(f"raw TeX {delim!r} visible: ...{snippet}...")

    # Images load; notebook output figures are captioned.
    for img in page.evaluate(_IMAGES_JS):
        if not img["ok"]:
            problems.append(f"image did not load: {img['src']}")
        if img["cellOutput"] and img["caption"] is None:
            problems.append(f"cell-output image not in a <figure> (add a caption): {img['src']}")
        elif img["caption"] == "":
            problems.append(f"figure without a caption: {img['src']}")
        # Alt text for a reader who cannot see the image (myst-nb writes the file name when
        # the cell has no metadata.mystnb.image.alt; tools/apply_alt_text.py adds it).
        alt = (img["alt"] or "").strip()
        if not alt or alt == img["src"] or re.search(r"\.(png|jpe?g|svg|gif)$", alt):
            problems.append(f"image without alt text: {img['src']} (alt={img['alt']!r})")

    # Code fits the page: no code block scrolls sideways (outputs are recorded, not failed).
    overflow = page.evaluate(_OVERFLOW_JS)
    for block in overflow:
        if not block["output"]:
            problems.append(
                f"code block wider than the page ({block['scrollWidth']} > {block['clientWidth']} px): "
                f"{block['widest'][:100]!r}"
            )
    OVERFLOW_RESULTS.mkdir(parents=True, exist_ok=True)
    (OVERFLOW_RESULTS / f"{_shot_name(rel).removesuffix('.png')}.json").write_text(
        json.dumps(overflow, indent=1), encoding="utf-8"
    )

    # Collapsed solutions (sphinx-exercise `:class: dropdown`) start hidden and open on click.
    for i, sol in enumerate(page.locator(".admonition.dropdown").all()):
        body = sol.locator(":scope > section, :scope > :not(.admonition-title)").first
        if body.count() and body.is_visible():
            problems.append(f"dropdown #{i + 1} is not collapsed by default")
            continue
        sol.locator(".admonition-title").first.click()
        try:
            body.wait_for(state="visible", timeout=3000)
        except Exception:  # noqa: BLE001
            problems.append(f"dropdown #{i + 1} did not open on click")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.screenshot(path=str(SCREENSHOTS / _shot_name(rel)), full_page=True)

    # Accessibility (axe-core, all rules; solutions are open now, so they are checked too).
    problems += _axe(page, rel, "light")
    # The download button downloads the source (.ipynb or .md) rather than showing it.
    problems += _check_download(page, rel)

    problems += [p for p in log.problems() if p not in problems]  # events after the checks

    if problems:
        pytest.fail(f"{rel}: {len(problems)} problem(s)\n  " + "\n  ".join(problems), pytrace=False)


@pytest.mark.parametrize("rel", PAGES or ["index.html"])
def test_page_in_dark_mode(rel, open_dark_page):
    """With the reader's system in dark mode the theme follows it, text keeps its contrast
    (axe's colour-contrast rule, the one check that depends on the colours) and figures stay
    on a light card.  Screenshots: test-artifacts/screenshots/dark/."""
    page, log = open_dark_page(rel)
    problems = log.problems()
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    if theme != "dark":
        problems.append(f"the theme did not follow the dark colour scheme (data-theme={theme!r})")
    for fig in page.evaluate(_DARK_FIGURES_JS):
        problems.append(f"figure not on a light card in dark mode: {fig['src']} (background {fig['bg']})")
    problems += _axe(page, rel, "dark", {"runOnly": ["color-contrast"], "resultTypes": ["violations"]})
    (SCREENSHOTS / "dark").mkdir(parents=True, exist_ok=True)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.screenshot(path=str(SCREENSHOTS / "dark" / _shot_name(rel)), full_page=True)
    problems += [p for p in log.problems() if p not in problems]
    if problems:
        pytest.fail(f"{rel} (dark): {len(problems)} problem(s)\n  " + "\n  ".join(problems), pytrace=False)


def test_every_toc_page_was_built(site):
    """Every page in _toc.yml exists in the build (and so is checked above)."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    docs = re.findall(r"^\s*(?:-\s*)?(?:root|file):\s*([^\s#]+)", toc, flags=re.M)
    assert docs, "no pages found in _toc.yml"
    missing = [d for d in docs if f"{Path(d).with_suffix('').as_posix()}.html" not in PAGES]
    assert not missing, f"pages in _toc.yml missing from {HTML_DIR}: {missing}"


def test_search_works_offline(open_page):
    """Sphinx's client-side search finds a word of the book's title, with no network."""
    page, log = open_page("search.html", "?q=divergence")
    page.wait_for_selector("#search-results .search-summary", timeout=15000)
    hits = page.locator("#search-results ul.search li")
    assert hits.count() > 0, "search for 'divergence' found nothing"
    if log.problems():
        pytest.fail("search.html:\n  " + "\n  ".join(log.problems()), pytrace=False)

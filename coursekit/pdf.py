"""The whole book as one PDF, printed offline by the system Chromium from the built HTML.

    python -m coursekit.pdf [--html _build/html] [--out _build/pdf/klbook.pdf]

Jupyter Book's own ``pdfhtml`` builder wants a browser that playwright downloads, and its
``singlehtml`` builder stops at sphinx-proof's theorems, so this prints the HTML build page by
page, in the order of ``_toc.yml``, with the Chromium the browser test drives:

* ``_build/html`` is served on 127.0.0.1 and every request elsewhere is aborted;
* each page waits for MathJax (local copy) and its images, opens every collapsed solution (the
  PDF is the reader's edition), drops the navigation, and is printed with Chromium's own
  outline of its headings;
* the pages are merged with pypdf under a bookmark tree that follows the table of contents
  (part, then chapter, then the chapter's own sections).

The PDF is also copied to ``<html>/downloads/`` so the built book can offer it.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import pathlib
import shutil
import sys
import threading
import time
from urllib.parse import urlsplit

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
PDF_NAME = "klbook.pdf"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

SETTLE_JS = """
async () => {
  for (const img of document.images) img.loading = 'eager';
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  await document.fonts.ready;
}
"""

# Print the reader's edition: solutions open, no navigation, links inside the book as plain text.
PREPARE_JS = """
() => {
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('button.toggle-button').forEach(e => e.remove());
  document.querySelectorAll('details').forEach(e => e.open = true);
  const drop = ['.bd-header', '.bd-sidebar-primary', '.bd-sidebar-secondary', '.bd-header-article',
                '.prev-next-area', '.bd-footer', '.bd-footer-content', '.bd-footer-article',
                '#pst-back-to-top', '.headerlink', '.skip-link', '.search-button-field'];
  drop.forEach(s => document.querySelectorAll(s).forEach(e => e.remove()));
  document.querySelectorAll('a[href]').forEach(a => {
    const h = a.getAttribute('href');
    if (!h.startsWith('http') || h.startsWith(location.origin)) a.removeAttribute('href');
  });
  // The printed title (the theme's print header) gets the chapter number of the page's own h1.
  const own = document.querySelector('.bd-article h1'), head = document.querySelector('#jb-print-docs-body h1');
  if (own && head) head.textContent = own.textContent.trim();
  const style = document.createElement('style');
  style.textContent = `
    @page { size: A4; margin: 16mm 15mm 18mm 15mm; }
    html, body { font-size: 10.5pt !important; background: white !important; }
    .bd-main .bd-content .bd-article-container { max-width: none !important; }
    .bd-page-width { max-width: none !important; }
    .bd-container, .bd-container__inner, .bd-main, .bd-content { display: block !important; }
    figure, img, .cell_output, mjx-container[display="true"], table { break-inside: avoid; }
    h1, h2, h3 { break-after: avoid; }
    div.cell div.cell_input, div.highlight { break-inside: avoid-page; }
    pre { white-space: pre-wrap !important; word-break: break-word; }
  `;
  document.head.appendChild(style);
  return document.title;
}
"""

FOOTER = ('<div style="font-size:8pt;width:100%;text-align:center;color:#666">'
          '{title} · <span class="pageNumber"></span></div>')


def toc_entries(root: pathlib.Path = ROOT) -> list[tuple[str | None, str]]:
    """(part caption or None, document) in reading order, from _toc.yml."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    entries = [(None, toc["root"])]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            entries.append((part.get("caption"), chapter["file"]))
    return entries


def _serve(directory: pathlib.Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _outline_tree(reader):
    """The outline of one printed page as [(title, page index, children)]."""
    def walk(items):
        out = []
        for item in items:
            if isinstance(item, list):
                if out and out[-1] is not None:
                    out[-1][2].extend(walk(item))
                continue
            if item.title.strip() == "Contents":  # the page's printed table of contents
                out.append(None)
                continue
            out.append((item.title, reader.get_destination_page_number(item), []))
        return [o for o in out if o is not None]
    return walk(reader.outline)


def build_pdf(html_dir: pathlib.Path, out: pathlib.Path, *, chromium: str = CHROMIUM) -> dict:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    html_dir, out = pathlib.Path(html_dir).resolve(), pathlib.Path(out)
    if not (html_dir / "index.html").is_file():
        raise SystemExit(f"build the HTML first (make book): {html_dir / 'index.html'} is missing")
    start = time.perf_counter()
    server = _serve(html_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    printed, offsite = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 1400}, service_workers="block")

        def route(r):
            host = urlsplit(r.request.url)
            if host.scheme in ("data", "blob", "about") or host.hostname == "127.0.0.1":
                r.continue_()
            else:
                offsite.append(r.request.url)
                r.abort("blockedbyclient")

        context.route("**/*", route)
        for part, doc in toc_entries():
            page = context.new_page()
            page.goto(base + doc + ".html", wait_until="load")
            page.evaluate(SETTLE_JS)
            title = page.evaluate(PREPARE_JS)
            page.emulate_media(media="print")
            h1 = page.locator("article h1").first.inner_text().replace("#", "").strip()
            data = page.pdf(
                format="A4", print_background=True, outline=True, tagged=True,
                prefer_css_page_size=True, display_header_footer=True,
                header_template="<span></span>", footer_template=FOOTER.format(title=h1.replace("<", "&lt;")),
            )
            printed.append((part, doc, h1, data))
            page.close()
        browser.close()
    server.shutdown()
    if offsite:
        raise SystemExit(f"the PDF build tried to reach other hosts: {offsite[:3]}")

    writer = PdfWriter()
    parts: dict[str, object] = {}
    for part, doc, h1, data in printed:
        reader = PdfReader(io.BytesIO(data))
        first = len(writer.pages)
        writer.append(reader, import_outline=False)
        parent = None
        if part is not None:
            if part not in parts:
                parts[part] = writer.add_outline_item(title=part, page_number=first)
            parent = parts[part]
        tree = _outline_tree(reader)
        # Chromium's outline starts with the page's h1; the chapter is that item.
        if len(tree) == 1 and tree[0][1] == 0:
            tree = tree[0][2]
        chapter = writer.add_outline_item(title=h1, page_number=first, parent=parent)

        def add(items, under):
            for title, page_no, children in items:
                node = writer.add_outline_item(title=title, page_number=first + page_no, parent=under)
                add(children, node)

        add(tree, chapter)
    writer.add_metadata({"/Title": "Why KL divergence is everywhere", "/Author": "The klbook authors"})
    writer.page_mode = "/UseOutlines"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh:
        writer.write(fh)
    downloads = html_dir / "downloads"
    downloads.mkdir(exist_ok=True)
    shutil.copyfile(out, downloads / out.name)
    return {"pages": len(writer.pages), "seconds": time.perf_counter() - start, "documents": len(printed)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", type=pathlib.Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_build" / "pdf" / PDF_NAME)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    info = build_pdf(args.html, args.out, chromium=args.chromium)
    print(f"{args.out}: {info['pages']} pages from {info['documents']} documents in {info['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

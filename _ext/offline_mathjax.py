"""Serve MathJax 3 from the built book itself, never from a CDN.

Sphinx's default ``mathjax_path`` is a jsDelivr URL, so a book read offline (or behind a
firewall) shows raw TeX.  This extension

* points ``mathjax_path`` at ``_static/mathjax/<component>`` (a relative ``mathjax_path`` is
  resolved against ``_static/`` by Sphinx), and
* copies MathJax 3 from the installed ``django-static-mathjax`` wheel
  (``mathjax/static/mathjax/es5/``) into ``<outdir>/_static/mathjax/`` when an HTML builder
  starts (before pages are written, so every page gets the same ``?v=<checksum>`` URL;
  unchanged files are not copied again).

The copy goes into the *output* only; nothing is committed and nothing is
placed in the source ``_static/`` (Jupyter Book 1 adds a ``<script>`` tag for every ``.js``
found there, which would load all of MathJax's modules on every page).  MathJax finds its
extensions and CHTML fonts relative to the script's own URL, so they load locally too.
The ``mathjax3_config`` that myst-parser / Jupyter Book set is left untouched.

It also drops exact duplicate ``<script>`` entries from each page: Jupyter Book registers
sphinx-thebe's inline config twice, and the second ``const THEBE_JS_URL`` declaration is an
uncaught SyntaxError on every page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.ext.mathjax import MATHJAX_URL
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Same combined component as Sphinx's CDN default (TeX and MathML input, CHTML output).
DEFAULT_COMPONENT = "tex-mml-chtml.js"
TARGET = "mathjax"  # under <outdir>/_static/
# Parts of the wheel that the CHTML pages never load.
SKIP = ("node-main.js", "mml-svg.js", "tex-mml-svg.js", "tex-svg.js", "tex-svg-full.js", "svg")


def mathjax_source() -> Path:
    """The ``es5`` directory of the MathJax 3 copy inside ``django-static-mathjax``."""
    try:
        import mathjax  # the django-static-mathjax distribution's package
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ExtensionError(
            "offline_mathjax: the package 'django-static-mathjax' is not installed "
            "(pip install django-static-mathjax==3.2.2.1)"
        ) from exc
    for base in map(Path, getattr(mathjax, "__path__", [])):
        es5 = base / "static" / "mathjax" / "es5"
        if (es5 / DEFAULT_COMPONENT).is_file():
            return es5
    raise ExtensionError(f"offline_mathjax: no MathJax es5/ tree found in {list(mathjax.__path__)}")


def set_mathjax_path(app: Sphinx, config) -> None:
    component = config.offline_mathjax_component
    if config.mathjax_path in (MATHJAX_URL, "", None) or "://" in str(config.mathjax_path):
        config.mathjax_path = f"{TARGET}/{component}"
    elif not str(config.mathjax_path).startswith(f"{TARGET}/"):
        logger.warning(
            "offline_mathjax: mathjax_path=%r is not the local copy; MathJax may load remotely",
            config.mathjax_path,
            type="offline_mathjax",
        )
    # Fail early (before reading any source) if MathJax is not installed.
    src = mathjax_source()
    if not (src / component).is_file():
        raise ExtensionError(f"offline_mathjax: {component} not found in {src}")


def copy_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / TARGET
    src = mathjax_source()
    shutil.copytree(
        src,
        dest,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(*SKIP, "__pycache__"),
        copy_function=_copy_if_changed,
    )
    logger.info("offline_mathjax: MathJax copied to %s", dest)


def check_mathjax(app: Sphinx, exception: Exception | None) -> None:
    local = str(app.config.mathjax_path).startswith(f"{TARGET}/")
    if exception is None and app.builder.format == "html" and local:
        path = Path(app.outdir) / "_static" / app.config.mathjax_path
        if not path.is_file():
            logger.warning("offline_mathjax: %s is missing from the build", path, type="offline_mathjax")


def _copy_if_changed(src: str, dst: str) -> str:
    s, d = Path(src), Path(dst)
    if d.exists() and d.stat().st_size == s.stat().st_size and d.stat().st_mtime >= s.stat().st_mtime:
        return dst
    return shutil.copy2(src, dst)


def dedupe_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        key = (str(getattr(js, "filename", js) or ""), str(attrs.get("body", "")))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique  # in place: Sphinx restores this list before the next page


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")
    app.add_config_value("offline_mathjax_component", DEFAULT_COMPONENT, "html")
    # Run after the defaults are known but before the builder reads them.
    app.connect("config-inited", set_mathjax_path, priority=900)
    app.connect("builder-inited", copy_mathjax)
    app.connect("build-finished", check_mathjax)
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after other extensions
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

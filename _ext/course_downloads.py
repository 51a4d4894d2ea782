"""Offer the student notebooks from the built book: ``<outdir>/downloads/student/``.

When an HTML build finishes, this writes the student copy of every chapter and problem set
(``coursekit.student``: solutions replaced by empty answer cells) and their zip archive into the
build, where the instructors page links to them. It is a pure notebook transformation (no
execution), so it costs well under a second. The PDF (``make pdf``) lands next to them, in
``<outdir>/downloads/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


def _write(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html" or app.builder.name != "html":
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from coursekit.student import write_student_copies

    written = write_student_copies(Path(app.outdir) / "downloads" / "student")
    logger.info(f"course_downloads: {len(written)} student notebooks and their zip in downloads/student/")


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

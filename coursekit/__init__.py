"""Course kit for teachers: student notebooks, the PDF edition, the instructors page.

Kept outside the ``klbook`` package (which is the book's mathematics): this is tooling.

* :mod:`coursekit.student` -- student copies of the notebooks, solutions replaced by empty answer cells;
* :mod:`coursekit.pdf` -- the whole book as one PDF, printed by the system Chromium;
* :mod:`coursekit.instructors` -- the generated parts of ``instructors.md`` (goals, prerequisites,
  timings, syllabus) and the prerequisites figure.
"""

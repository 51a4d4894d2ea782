# Two commands do everything (see README.md):
#   make book   -- install the pinned environment and build the HTML book (_build/html/index.html)
#   make test   -- install, build, then run every test (klbook, doctests, notebooks, browser check)
# Course kit (see instructors.md): make student (student notebooks), make pdf (the book as one PDF),
#   make instructors (regenerate the instructors page's goals, prerequisites, timings and syllabus)
# Notebook outputs are compared exactly on x86-64 with AVX2 or newer; elsewhere use
#   make test-loose -- the same tests, printed numbers in the notebooks masked

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2
# axe-core (the accessibility engine the browser test injects into every page), from the npm
# registry into the virtual environment (gitignored), never from a CDN.
AXE_CORE := 4.14.1
AXE_JS   := $(VENV)/node/node_modules/axe-core/axe.min.js

.PHONY: install book test test-loose outputs portability bench clean student pdf instructors format alt-text

install: $(VENV)/.installed $(AXE_JS)

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

$(AXE_JS): Makefile | $(VENV)/.installed
	npm install --prefix $(VENV)/node --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_CORE)
	touch $@

book: install
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python -m coursekit.pdf

# Student copies of the chapters and problem sets, solutions replaced by empty answer cells,
# in _build/student/ (the HTML build also puts them in _build/html/downloads/student/).
student: install
	$(BIN)/python -m coursekit.student

# The whole book as one PDF, _build/pdf/klbook.pdf (and _build/html/downloads/klbook.pdf),
# printed from the HTML by the system Chromium (/usr/bin/chromium), offline.
pdf: install
	$(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python -m coursekit.pdf

instructors: install
	$(BIN)/python -m coursekit.instructors

test: book
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

test-loose: book
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --loose-outputs

# For authors: re-execute every chapter in place, in the tests' pinned environment
# (no progress bars, fixed numerical kernels), then check the outputs on simulated other machines.
outputs: install
	$(BIN)/python benchmarks/chapter_times.py --inplace

portability: install
	$(BIN)/python benchmarks/portability.py

bench: install
	$(BIN)/python benchmarks/chapter_times.py
	$(BIN)/python benchmarks/kl_speed.py

# For authors: the chapters' code formatted to the page width (black, 77 characters; lists
# the lines a person must shorten), and every figure's alt text from tools/alt_text.yml.
format: install
	$(BIN)/python tools/format_chapters.py

alt-text: install
	$(BIN)/python tools/apply_alt_text.py

clean:
	rm -rf _build

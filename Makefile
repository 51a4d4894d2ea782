# Two commands do everything (see README.md):
#   make book   -- install the pinned environment and build the HTML book (_build/html/index.html)
#   make test   -- install, build, then run every test (klbook, doctests, notebooks, browser check)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2

.PHONY: install book test outputs bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

book: install
	$(BIN)/jupyter-book build . -W -n --keep-going

test: book
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

# For authors: re-execute every chapter in place (quiet mode: no progress bars in the saved outputs).
outputs: install
	KLBOOK_QUIET=1 $(BIN)/python benchmarks/chapter_times.py --inplace

bench: install
	$(BIN)/python benchmarks/chapter_times.py
	$(BIN)/python benchmarks/kl_speed.py

clean:
	rm -rf _build

"""Write each figure's alt text from tools/alt_text.yml into the chapter notebooks.

The alt text goes into the figure cell's ``metadata.mystnb.image.alt``: myst-nb 1.4 reads
``metadata.mystnb.image`` as the cell's ``render_image_options`` and puts ``alt`` on the
``<img>`` of the cell's image output.  Nothing else in a notebook changes: the file is written
back in the same JSON layout (nbformat's: indent 1, sorted keys, UTF-8, final newline), and a
notebook that does not round-trip byte for byte is refused rather than reformatted.

    python tools/apply_alt_text.py            # write the alt texts into chapters/*.ipynb
    python tools/apply_alt_text.py --check    # exit 1 if a notebook lacks or differs from one

Exit status 1 also when a figure cell has no entry in the YAML file or an entry names a figure
that no notebook has.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ALT_TEXT = ROOT / "tools" / "alt_text.yml"


def dump(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def figure_cells(nb: dict):
    """(name, cell) for every code cell with an image output and a myst-nb figure name."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        if not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            continue
        name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
        yield name, cell


def apply(paths: list[Path], texts: dict, check: bool) -> list[str]:
    problems, used = [], set()
    for path in paths:
        original = path.read_text(encoding="utf-8")
        nb = json.loads(original)
        if dump(nb) != original:
            problems.append(f"{path.name}: not in nbformat's JSON layout; refusing to rewrite it")
            continue
        wanted = texts.get(path.name, {})
        changed = False
        for name, cell in figure_cells(nb):
            if name not in wanted:
                problems.append(f"{path.name}: figure {name!r} has no alt text in {ALT_TEXT.name}")
                continue
            used.add((path.name, name))
            alt = " ".join(str(wanted[name]).split())
            image = cell["metadata"].setdefault("mystnb", {}).setdefault("image", {})
            if image.get("alt") != alt:
                if check:
                    problems.append(f"{path.name}: figure {name!r}: alt text missing or out of date")
                image["alt"] = alt
                changed = True
        if changed and not check:
            path.write_text(dump(nb), encoding="utf-8")
            print(f"{path.name}: alt text written")
    checked = {p.name for p in paths}
    for nb_name, figures in texts.items():
        for name in figures:
            if nb_name in checked and (nb_name, name) not in used:
                problems.append(f"{ALT_TEXT.name}: {nb_name} has no figure {name!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if not up to date")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    texts = yaml.safe_load(ALT_TEXT.read_text(encoding="utf-8"))
    problems = apply(paths, texts, args.check)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

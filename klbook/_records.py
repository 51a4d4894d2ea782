"""Recorded benchmark results that the chapters quote.

Some statistics take minutes to compute (many seeds, long training).  A script in the
repository's ``benchmarks/`` folder computes them once and writes ``klbook/records/<name>.json``;
the chapter loads the record with :func:`load_record` instead of recomputing it, and a test
(``tests/test_recorded_benchmarks.py``) checks that the record matches the script's current
parameters.  The records ship with the package, so a chapter that quotes one also runs when only
the notebook and an installed ``klbook`` are at hand.
"""

from __future__ import annotations

import json
from pathlib import Path

RECORDS = Path(__file__).resolve().with_name("records")


def record_path(name: str) -> Path:
    """Path of the recorded result ``name`` (``klbook/records/<name>.json``).

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a plain file stem (no path separator, no suffix).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if not name or "/" in name or "\\" in name or "." in name:
        raise ValueError(f"name must be a record name such as 'em_seeds' (no path or suffix), got {name!r}")
    return RECORDS / f"{name}.json"


def load_record(name: str) -> dict:
    """Load a recorded benchmark result.

    Parameters
    ----------
    name : str
        The record's name: the stem of its script in ``benchmarks/`` (``"em_seeds"``,
        ``"trpo_vs_ppo"``, ...).

    Returns
    -------
    dict
        The JSON object the script wrote: its parameters, per-run rows and summary.

    Raises
    ------
    TypeError, ValueError
        If ``name`` is not a valid record name, or no such record exists (the error lists the
        records that do).

    Examples
    --------
    >>> rec = load_record("em_seeds")
    >>> sorted(rec["params"]["seeds"])
    [0, 1, 2, 3, 4]
    """
    path = record_path(name)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in RECORDS.glob("*.json"))) or "none"
        raise ValueError(f"name: no recorded result {name!r} (recorded: {known})")
    return json.loads(path.read_text())

"""Shared test configuration.

* ``KLBOOK_QUIET=1`` is set before nbval starts any kernel, so chapters run
  without progress bars, exactly as their committed outputs were made.
* Hypothesis gets a fixed, CI-friendly profile: derandomised (the same examples
  every run) and without per-example deadlines (the 2-core CI box is slow).
"""

import os

from hypothesis import HealthCheck, settings

os.environ["KLBOOK_QUIET"] = "1"
os.environ.setdefault("KLBOOK_DEVICE", "cpu")

settings.register_profile(
    "book",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))

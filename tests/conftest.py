"""Shared test configuration (the environment for the notebooks is set in ../conftest.py).

* Hypothesis gets a fixed, CI-friendly profile: derandomised (the same examples
  every run) and without per-example deadlines (the 2-core CI box is slow).
"""

import os

from hypothesis import HealthCheck, settings


settings.register_profile(
    "book",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
# A longer, randomised search for local bug hunting: HYPOTHESIS_PROFILE=thorough pytest tests
settings.register_profile("thorough", deadline=None, max_examples=3000, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "book"))

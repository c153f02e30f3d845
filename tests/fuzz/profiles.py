"""Hypothesis profiles for the fuzz tests: a fixed, reproducible budget by default
(the suite and CI), a longer random search when asked for.

``WXOPS_TEST_FUZZ_PROFILE=long`` explores at random with 30 times the examples; the
default ``ci`` profile is derandomized, so the same examples run every time and a
failure is reproduced by running the test again. Either way an example may take
5 s at most: WeChat's own deadline for an answer.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("WXOPS_TEST_FUZZ_PROFILE", "ci")
_LONG_FACTOR = 30
_COMMON = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow, HealthCheck.data_too_large],
                   deadline=timedelta(seconds=5), print_blob=True)

settings.register_profile("ci", _COMMON, max_examples=50, derandomize=True, database=None)
settings.register_profile("long", _COMMON, max_examples=50 * _LONG_FACTOR)


def load() -> None:
    if PROFILE not in ("ci", "long"):
        raise ValueError(f"WXOPS_TEST_FUZZ_PROFILE must be ci or long, not {PROFILE!r}")
    settings.load_profile(PROFILE)


def budget(examples: int) -> settings:
    """``examples`` in CI, thirty times as many in the long profile."""
    return settings(max_examples=examples * (_LONG_FACTOR if PROFILE == "long" else 1))

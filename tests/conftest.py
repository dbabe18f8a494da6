"""Shared fixtures: every random draw in the tests comes from one seeded generator."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """The seeded random generator of the test suite."""
    return np.random.default_rng(20261126)

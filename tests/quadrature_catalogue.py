"""Integrals with closed-form values, shared by the quadrature tests.

Each :class:`Problem` has a readable id (used as the pytest id), a vectorized integrand, the
bounds and the exact value. ``kind`` groups them: ``"smooth"`` (analytic on a finite
interval), ``"infinite"`` (an infinite end), ``"singular"`` (an integrable endpoint
singularity) and ``"peak"`` (a narrow feature that needs adaptivity).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Z = 0.7  # upper bound of the integral of exp(2x) over (-inf, Z]
PEAK_WIDTH = 1e-3  # half width of the Lorentzian peak at x = 0.3


@dataclass(frozen=True)
class Problem:
    id: str
    f: Callable[[np.ndarray], np.ndarray]
    a: float
    b: float
    exact: float
    kind: str


CATALOGUE = (
    Problem("exp_on_shifted", np.exp, -0.3, 2.1, np.exp(2.1) - np.exp(-0.3), "smooth"),
    Problem("runge_on_unit", lambda x: 1.0 / (1.0 + x**2), -1.0, 1.0, np.pi / 2, "smooth"),
    Problem(
        "cos_on_shifted",
        lambda x: np.cos(3 * x),
        -0.3,
        2.1,
        (np.sin(6.3) - np.sin(-0.9)) / 3,
        "smooth",
    ),
    Problem("exp_decay_half_line", lambda x: np.exp(-x), 0.0, np.inf, 1.0, "infinite"),
    Problem(
        "gaussian_real_line", lambda x: np.exp(-(x**2)), -np.inf, np.inf, np.sqrt(np.pi), "infinite"
    ),
    Problem("exp2_up_to_z", lambda x: np.exp(2 * x), -np.inf, Z, np.exp(2 * Z) / 2, "infinite"),
    Problem("inv_sqrt_at_zero", lambda x: x**-0.5, 0.0, 1.0, 2.0, "singular"),
    Problem(
        "lorentz_peak",
        lambda x: 1.0 / ((x - 0.3) ** 2 + PEAK_WIDTH**2),
        0.0,
        1.0,
        (np.arctan(0.7 / PEAK_WIDTH) + np.arctan(0.3 / PEAK_WIDTH)) / PEAK_WIDTH,
        "peak",
    ),
)


def problems(kind: str) -> list[Problem]:
    """The catalogue entries of one kind."""
    return [p for p in CATALOGUE if p.kind == kind]

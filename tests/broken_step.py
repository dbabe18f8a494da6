"""A step ``x -> [x < s]`` whose rule is deliberately broken: it says the jump does not move.

On (0, 1), ``I(s) = s``: finite differences of the integral find ``dI/ds = 1``, the broken rule
``0``. The explorer's tests use it to show that a disagreement beyond fd's own error estimate
is marked. (The same step as a plain closure, ``np.where(x < s, 1.0, 0.0)``, is refused by the
AD path instead: :class:`symrules.MovingDiscontinuityError`.)
"""

from __future__ import annotations

import dataclasses

import numpy as np

import symrules as sr


@sr.primitive
@dataclasses.dataclass(frozen=True)
class BrokenStep:
    """``x -> [x < s]``, differentiated by :func:`broken_step_rrule`."""

    s: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.where(x < self.s, 1.0, 0.0)


@sr.register_rrule(BrokenStep)
def broken_step_rrule(step: BrokenStep, x: np.ndarray):
    """The broken rule: ``s`` gets a zero cotangent, as if the jump stayed where it is."""

    def broken_step_pullback(y_bar: np.ndarray):
        return sr.Tangent(step, s=0.0), np.zeros_like(x)

    return step(x), broken_step_pullback

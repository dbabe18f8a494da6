"""Integrals with closed-form gradients, shared by the compare, widget, CLI and browser tests.

Each ``*_gradient`` returns the exact ``dI/dp`` of the integral named, by hand from
``erf``, ``exp`` and ``sqrt``: no symrules code is involved.
"""

from __future__ import annotations

import math

GAUSSIAN = "a*exp(-b*x**2)"  # on (0, 1)
DAMPED_COSINE = "a*exp(-b*x**2)*cos(c*x)"  # on (0, inf)
POLYNOMIAL = "c[0] + c[1]*x + c[2]*x**2"  # on (lo, hi)


def gaussian_integral(a: float, b: float) -> float:
    """``int_0^1 a exp(-b x^2) dx = a sqrt(pi) erf(sqrt(b)) / (2 sqrt(b))``, for ``b > 0``."""
    return a * math.sqrt(math.pi) * math.erf(math.sqrt(b)) / (2 * math.sqrt(b))


def gaussian_gradient(a: float, b: float) -> dict[str, float]:
    """``dI/da`` and ``dI/db`` of :func:`gaussian_integral`.

    ``dI/db = -a int_0^1 x^2 exp(-b x^2) dx
            = -a (sqrt(pi) erf(sqrt(b)) / (4 b^(3/2)) - exp(-b) / (2 b))``.
    """
    moment = math.sqrt(math.pi) * math.erf(math.sqrt(b)) / (4 * b**1.5) - math.exp(-b) / (2 * b)
    return {"a": gaussian_integral(1.0, b), "b": -a * moment}


def damped_cosine_gradient(a: float, b: float, c: float) -> dict[str, float]:
    """Of ``int_0^inf a exp(-b x^2) cos(c x) dx = a J``, ``J = sqrt(pi/b) exp(-c^2/(4b)) / 2``."""
    j = 0.5 * math.sqrt(math.pi / b) * math.exp(-(c**2) / (4 * b))
    return {"a": j, "b": a * j * (c**2 / (4 * b**2) - 1 / (2 * b)), "c": -a * j * c / (2 * b)}


def polynomial_gradient(lo: float, hi: float) -> list[float]:
    """``d/dc_k int_lo^hi sum_k c_k x^k dx = (hi^(k+1) - lo^(k+1)) / (k + 1)`` for k = 0, 1, 2."""
    return [(hi ** (k + 1) - lo ** (k + 1)) / (k + 1) for k in range(3)]

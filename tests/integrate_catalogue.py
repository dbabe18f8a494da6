"""Differentiable integrals with closed-form values and gradients, shared by the integrate tests.

Each :class:`Problem` has a readable id (the pytest id), named parameters ``params``, the
names ``inside`` of those the integrand captures (the rest enter the domain only), the
integrand as an expression (for :class:`~symrules.Integrand`) and as numpy code
``integrand(x, **inside)`` (for a closure), the domain built from all parameters, the rule,
an outer ``loss`` applied to the integral, and the exact loss and gradient in parameter order.
:class:`RightRiemann` is the seed's rule: ``x_i = a + i h``, ``w_i = h``, ``i = 1..n``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symrules.quadrature import GaussLegendre, QuadratureRule
from symrules.quadrature.adaptive import GaussKronrod


@dataclass(frozen=True)
class RightRiemann(QuadratureRule):
    """The right Riemann sum on ``n`` equal subintervals: nodes at the right ends, weights h.

    Examples
    --------
    >>> x, w = RightRiemann(4).nodes_weights(0.0, 1.0)
    >>> x.tolist(), w.tolist()
    ([0.25, 0.5, 0.75, 1.0], [0.25, 0.25, 0.25, 0.25])
    """

    n: int

    @property
    def degree(self) -> int:
        """0: exact for constants."""
        return 0

    def _reference(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = np.arange(1, self.n + 1)
        return k / self.n, (self.n - k) / self.n, np.full(self.n, 1.0 / self.n)


def identity(value: Any) -> Any:
    """The loss of a plain integral."""
    return value


def square(value: Any) -> Any:
    """The loss ``I**2``."""
    return value**2


@dataclass(frozen=True)
class Problem:
    id: str
    params: dict[str, float]
    inside: tuple[str, ...]
    expr: str
    integrand: Callable[..., Any]
    domain: Callable[[dict[str, Any]], tuple[Any, ...]]
    rule: QuadratureRule
    value: float
    gradient: np.ndarray
    loss: Callable[[Any], Any] = field(default=identity)


def _sin_q(q: float, a: float, b: float) -> tuple[float, np.ndarray]:
    """``I = int_a^b sin(q x) dx`` and its gradient in ``(q, a, b)``."""
    value = (np.cos(q * a) - np.cos(q * b)) / q
    d_q = (b * np.sin(q * b) - a * np.sin(q * a)) / q - value / q
    return value, np.array([d_q, -np.sin(q * a), np.sin(q * b)])


SEED_X_MOMENT = 0.505  # sum_{i=1}^{100} (i / 100) / 100 = 101 / 200
_SIN_VALUE, _SIN_GRAD = _sin_q(0.7, 1.0, 3.0)
_Z1, _Z2 = 1.5, 2.0
_EXP_VALUE = np.exp(_Z1 * _Z2) / _Z2

CATALOGUE = (
    Problem(
        "seed_right_riemann",
        {"p1": 2.0, "p2": 1.0},
        ("p1", "p2"),
        "p1*x + p2",
        lambda x, p1, p2: p1 * x + p2,
        lambda v: (0.0, 1.0),
        RightRiemann(100),
        2.0 * SEED_X_MOMENT + 1.0,
        np.array([SEED_X_MOMENT, 1.0]),
    ),
    Problem(
        "linear_quadratic_loss_squared",
        {"a": 1.0, "b": 2.0},
        ("a", "b"),
        "a*x + b*x**2",
        lambda x, a, b: a * x + b * x**2,
        lambda v: (0.0, 1.0),
        GaussLegendre(2),
        (7 / 6) ** 2,
        np.array([7 / 6, 7 / 9]),
        square,
    ),
    Problem(
        "cubic_in_p_on_symmetric",
        {"p1": 1.0, "p2": 2.0},
        ("p1", "p2"),
        "x**2 + p1**3*x + p2**2",
        lambda x, p1, p2: x**2 + p1**3 * x + p2**2,
        lambda v: (-1.0, 1.0),
        GaussLegendre(3),
        2 / 3 + 8.0,
        np.array([0.0, 8.0]),
    ),
    Problem(
        "sin_qx_with_bounds",
        {"q": 0.7, "a": 1.0, "b": 3.0},
        ("q",),
        "sin(q*x)",
        lambda x, q: np.sin(q * x),
        lambda v: (v["a"], v["b"]),
        GaussLegendre(20),
        _SIN_VALUE,
        _SIN_GRAD,
    ),
    Problem(
        "sin_of_sin_qx_with_bounds",
        {"q": 0.7, "a": 1.0, "b": 3.0},
        ("q",),
        "sin(q*x)",
        lambda x, q: np.sin(q * x),
        lambda v: (v["a"], v["b"]),
        GaussLegendre(20),
        np.sin(_SIN_VALUE),
        np.cos(_SIN_VALUE) * _SIN_GRAD,
        np.sin,
    ),
    Problem(
        "exp_z2x_from_minus_inf_to_z1",
        {"z1": _Z1, "z2": _Z2},
        ("z2",),
        "exp(z2*x)",
        lambda x, z2: np.exp(z2 * x),
        lambda v: (-np.inf, v["z1"]),
        GaussKronrod(rtol=1e-13, atol=0.0),
        _EXP_VALUE,
        np.array([np.exp(_Z1 * _Z2), _Z1 * _EXP_VALUE - _EXP_VALUE / _Z2]),
    ),
)

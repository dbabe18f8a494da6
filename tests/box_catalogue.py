"""Integrals over boxes in several dimensions whose values and gradients SymPy gives exactly.

Each :class:`BoxProblem` has an expression in the variables ``var``, scalar parameters the
integrand captures (``params``) and bounds (``bounds``, the box as a flat ``(a0, b0, a1, b1,
...)``, of which those named in ``traced_bounds`` are differentiated too), a rule and the
tolerance the rule meets. :func:`exact` integrates the expression with SymPy and differentiates
the result: the oracle. :func:`integrand` builds the integrand either as an
:class:`~symrules.Integrand` (for the "symbolic" method) or as a closure over numpy code
(lambdified by SymPy) for "ad" and "fd". :class:`Bump` is a picklable integrand for the tests
of process pools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

import symrules as sr
from symrules.quadrature import QMC, GaussLegendre, Product


@dataclass(frozen=True, eq=False)  # hashed by identity: exact() caches per problem
class BoxProblem:
    id: str
    expr: str
    var: tuple[str, ...]
    params: dict[str, float]
    bounds: tuple[float, ...]
    rule: Any
    tol: float  # what the rule meets on this integrand (relative to the value or gradient)
    traced_bounds: tuple[int, ...] = field(default=())

    @property
    def box(self) -> tuple[tuple[float, float], ...]:
        return tuple(zip(self.bounds[::2], self.bounds[1::2], strict=True))


PROBLEMS = [
    # a separable Gaussian: 20 Gauss-Legendre points per axis reach float64 accuracy
    BoxProblem("gauss2", "exp(-a*(x**2 + y**2))", ("x", "y"), {"a": 0.7}, (0.0, 1.0, 0.0, 1.0),
               Product(GaussLegendre(20)), 1e-12, traced_bounds=(1, 3)),
    # over the whole of R^3 through the real-line transform of every axis: 60 points per axis
    # leave 4e-9 relative on the gradient (x**2 exp(-a x**2), mapped, is steep near t = 0, 1)
    BoxProblem("gauss3_real", "exp(-a*(x**2 + y**2 + z**2))", ("x", "y", "z"), {"a": 1.3},
               (-np.inf, np.inf) * 3, Product(GaussLegendre(60)), 1e-8),
    # a polynomial of degree 3: 3 Gauss points per axis are exact, every bound traced
    BoxProblem("poly_box", "c*x*y**2 + d*x**2", ("x", "y"), {"c": 1.5, "d": -0.5},
               (0.2, 1.1, -0.3, 0.9), Product(GaussLegendre(3)), 1e-13,
               traced_bounds=(0, 1, 2, 3)),
    # a product of exponentials in 4-D, 5 parameters (4 rates and a scale)
    BoxProblem("exp4", "s*exp(-(k0*x + k1*y + k2*z + k3*u))", ("x", "y", "z", "u"),
               {"s": 2.0, "k0": 0.5, "k1": 1.0, "k2": 1.5, "k3": 2.0}, (0.0, 1.0) * 4,
               Product(GaussLegendre(8)), 1e-12, traced_bounds=(7,)),
    # the same with randomised QMC: 8 x 4096 Sobol' points, checked within 1e-4 relative
    BoxProblem("exp4_qmc", "s*exp(-(k0*x + k1*y + k2*z + k3*u))", ("x", "y", "z", "u"),
               {"s": 2.0, "k0": 0.5, "k1": 1.0, "k2": 1.5, "k3": 2.0}, (0.0, 1.0) * 4,
               QMC(2**12, seed=7), 1e-4),
]  # fmt: skip


def integrand(problem: BoxProblem, method: str, params: dict[str, Any]) -> Any:
    """``problem``'s integrand with ``params``: an Integrand for "symbolic", else a closure."""
    if method == "symbolic":
        return sr.Integrand(problem.expr, var=problem.var, **params)
    symbols = sp.symbols(problem.var + tuple(problem.params))
    numeric = sp.lambdify(symbols, sp.sympify(problem.expr), "numpy")
    values = [params[name] for name in problem.params]
    return lambda x: numeric(*(x[:, k] for k in range(len(problem.var))), *values)


@cache
def exact(problem: BoxProblem) -> tuple[float, np.ndarray]:
    """The integral and its gradient with respect to the parameters, then the traced bounds,
    by SymPy at the problem's values."""
    names = list(problem.params)
    symbols = {n: sp.Symbol(n, positive=True) for n in names}
    bound_symbols = [sp.Symbol(f"bound{k}", real=True) for k in range(len(problem.bounds))]
    expr = sp.sympify(problem.expr, locals=symbols)
    limits = []
    for k, v in enumerate(problem.var):
        ends = [
            b if np.isfinite(problem.bounds[j]) else sp.oo * np.sign(problem.bounds[j])
            for j, b in ((2 * k, bound_symbols[2 * k]), (2 * k + 1, bound_symbols[2 * k + 1]))
        ]
        limits.append((sp.Symbol(v), *ends))  # fmt: skip
    value = sp.integrate(expr, *limits)
    at = {symbols[n]: sp.Float(problem.params[n]) for n in names}
    at.update({b: sp.Float(v) for b, v in zip(bound_symbols, problem.bounds, strict=True)
               if np.isfinite(v)})  # fmt: skip
    wrt = [symbols[n] for n in names] + [bound_symbols[k] for k in problem.traced_bounds]
    gradient = [float(sp.N(sp.diff(value, s).subs(at), 30)) for s in wrt]
    return float(sp.N(value.subs(at), 30)), np.array(gradient)


@dataclass
class Bump:
    """A picklable callable integrand with two fields, a scalar and an array: what a process
    pool can be sent (a closure cannot)."""

    a: float
    c: np.ndarray

    def __call__(self, x: Any) -> Any:
        return np.exp(-self.a * ((x - self.c) ** 2).sum(axis=1))

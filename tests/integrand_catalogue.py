"""A catalogue of integrands with readable ids, shared by the symbolic tests and benchmarks.

Each case is an expression string, its parameters' values, and node intervals on which it is
smooth (kinks of ``Abs``/``Max``/``Min`` lie between the intervals, so nodes sit on both sides
of them but never on them). ``oracle`` builds the independent reference: SymPy's own
``parse_expr`` and ``lambdify(diff(...))``, with no symrules code involved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr


def cosine_series(n: int) -> str:
    """``c[0]*cos(0*x) + ... + c[n-1]*cos((n-1)*x)`` as a string."""
    return " + ".join(f"c[{k}]*cos({k}*x)" for k in range(n))


@dataclass(frozen=True)
class Case:
    """One integrand: ``expr`` over ``x`` with ``params`` on the union of ``intervals``."""

    id: str
    expr: str
    params: dict[str, Any]
    intervals: tuple[tuple[float, float], ...] = ((-1.0, 1.0),)
    kinds: tuple[str, ...] = field(default=())

    def nodes(self, n: int = 41) -> np.ndarray:
        """``n`` nodes per interval, interior points only."""
        return np.concatenate([np.linspace(a, b, n + 2)[1:-1] for a, b in self.intervals])


CATALOGUE: list[Case] = [
    Case("line", "p1*x + p2", {"p1": 2.0, "p2": 1.0}),
    Case("cubic", "a*x**3 + b*x**2 + c*x + d", {"a": 0.5, "b": -1.0, "c": 2.0, "d": 0.3}),
    Case("gaussian", "a*exp(-b*x**2)", {"a": 1.5, "b": 0.7}),
    Case("log", "log(a*x + b)", {"a": 2.0, "b": 1.5}, ((0.1, 1.0),)),
    Case("log-1p", "a*log(1 + b*x**2)", {"a": 0.8, "b": 3.0}),
    Case("sine", "sin(a*x + b)", {"a": 3.0, "b": 0.2}),
    Case("damped-wave", "a*exp(-b*x**2)*sin(c*x + d) + e*x**3",
         {"a": 1.0, "b": 0.5, "c": 4.0, "d": 0.1, "e": 0.3}),
    Case("atan-tanh", "atan(a*x) + tanh(b*x)", {"a": 2.0, "b": 0.5}),
    Case("cosh-ratio", "cosh(a*x)/cosh(b)", {"a": 1.2, "b": 0.4}),
    Case("lorentzian", "a/(1 + b*x**2)", {"a": 1.0, "b": 4.0}),
    Case("rational", "(a*x + b)/(x**2 + c)", {"a": 1.0, "b": -0.5, "c": 2.0}),
    Case("power-param-exponent", "x**a", {"a": 2.5}, ((0.2, 2.0),)),
    Case("power-param-base", "a**x + b*x**(-2)", {"a": 1.7, "b": 0.3}, ((0.5, 2.0),)),
    Case("sqrt", "sqrt(a + b*x**2)", {"a": 1.0, "b": 2.0}),
    Case("abs-kink", "b*Abs(x - a)", {"a": 0.5, "b": 2.0}, ((-1.0, 0.4), (0.6, 1.0))),
    Case("max-hinge", "Max(a*x, b)", {"a": 2.0, "b": 0.5}, ((-1.0, 0.2), (0.3, 1.0))),
    Case("min-cap", "Min(x**2, a) + b*x", {"a": 0.25, "b": 0.1}, ((-1.0, -0.55), (-0.45, 0.45),
                                                                   (0.55, 1.0))),
    Case("quadratic-array", "c[0] + c[1]*x + c[2]*x**2", {"c": np.array([1.0, -2.0, 0.5])}),
    Case("two-bumps", "a*exp(-(x - m[0])**2) + b*exp(-(x - m[1])**2)",
         {"a": 1.0, "b": 0.5, "m": np.array([-0.3, 0.4])}),
    Case("no-variable", "a*b + 1", {"a": 2.0, "b": 3.0}),
    Case("cosine-series-64", cosine_series(64),
         {"c": np.linspace(1.0, 0.1, 64) / np.arange(1, 65)}, ((0.0, np.pi),)),
]

IDS = [case.id for case in CATALOGUE]


def oracle(case: Case) -> dict[str, Any]:
    """SymPy's own numerical functions for the value and every partial of ``case``.

    Returns ``{"f": f, name: df/dname, ..., "x": df/dx}``; each takes ``(x, params)`` and an
    array parameter's entry returns the list of partials by component.
    """
    x = sp.Symbol("x", real=True)
    local: dict[str, Any] = {"x": x}
    for name, value in case.params.items():
        real = {"real": True}
        local[name] = sp.IndexedBase(name, **real) if np.ndim(value) else sp.Symbol(name, **real)
    expr = parse_expr(case.expr, local_dict=local)
    names = list(case.params)
    args = [x, *(local[n] for n in names)]

    def compiled(e: sp.Expr) -> Any:
        fn = sp.lambdify(args, e, modules="numpy")
        return lambda xs, p: np.broadcast_to(fn(xs, *(p[n] for n in names)), np.shape(xs))

    out: dict[str, Any] = {"f": compiled(expr), "x": compiled(sp.diff(expr, x))}
    for name, value in case.params.items():
        if np.ndim(value):
            parts = [compiled(sp.diff(expr, local[name][k])) for k in range(len(value))]
            out[name] = lambda xs, p, parts=parts: [g(xs, p) for g in parts]
        else:
            out[name] = compiled(sp.diff(expr, local[name]))
    return out

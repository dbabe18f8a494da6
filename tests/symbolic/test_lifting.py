"""Lifting pins down: a plain numpy integrand -- a closure, a dataclass, a callable object, a
``functools.partial``, a bound method, nested fields, a function of points ``(n, d)`` -- becomes
an Integrand whose expression is the hand-written SymPy one, whose parameters are its fields
(named after their paths, the map kept), whose values are the callable's, and whose gradient
of a quadrature (symbolic rules) is the callable's own gradient by the engine (``"ad"``); a
numpy call with no expression per node, a Python ``if`` on a lifted value or a field no
parameter holds raises a named error naming the function or the field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.special
import sympy as sp

import symrules as sr
from symrules.engine.fields import get_path, replace_leaves
from symrules.errors import LiftingError, ParameterValueError
from symrules.quadrature import GaussLegendre, Product
from symrules.symbolic import Integrand
from symrules.symbolic.lifting import lift, parameter_names

# The lifted expression and the callable compute the same values in other orders of operations.
EXACT = 1e-12
# Gradients of one quadrature sum by two routes (closed-form partials, the engine's tape).
GRAD = 1e-10

x, y, a, b, s = sp.symbols("x y a b s", real=True)
p_0, p_1, w_0, w_1, c_0, c_1 = sp.symbols("p_0 p_1 w_0 w_1 c_0 c_1", real=True)


def closure(a: float, b: float) -> Callable[[Any], Any]:
    return lambda x: a * np.exp(-b * x**2) + np.sin(b * x)


def nested(p: tuple[float, float], layer: dict[str, Any]) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        return p[0] * np.log1p(x**2) + p[1] * layer["w"][1] * np.tanh(layer["w"][0] * x)

    return f


@dataclass(frozen=True)
class Peak:
    w: np.ndarray
    s: float
    order: int = 2  # an integer: a constant, not a parameter

    def __call__(self, x: Any) -> Any:
        return self.w[0] * np.exp(-((x / self.s) ** self.order)) + self.w[1] * scipy.special.erf(x)

    def shifted(self, x: Any) -> Any:
        return self(x - 0.25)


class Series:  # a plain callable object holding an array field
    def __init__(self, c: np.ndarray) -> None:
        self.c = c

    def __call__(self, x: Any) -> Any:
        return np.sum(self.c * np.array([1.0, 2.0])) * np.cos(x) + self.c @ np.array([0.0, 1.0])


def bump(x: Any, a: float, width: float) -> Any:
    return a * np.exp(-((x / width) ** 2)) + np.expm1(x) / width


def points_fn(a: float) -> Callable[[Any], Any]:
    return lambda x: np.exp(-a * np.sum(x**2, axis=1)) * x[:, 0] + np.hypot(x[:, 1], a)


@dataclass(frozen=True)
class Case:
    id: str
    fn: Any
    expr: sp.Expr  # written by hand, in the parameters' names
    names: dict[tuple[Any, ...], str]
    var: Any = "x"


peak = Peak(np.array([1.5, 0.5]), 0.4)
CASES = [
    Case("closure", closure(2.0, 0.7), a * sp.exp(-b * x**2) + sp.sin(b * x),
         {("a",): "a", ("b",): "b"}),
    Case("nested", nested((0.5, 1.5), {"w": np.array([0.8, 1.2])}),
         p_0 * sp.log(1 + x**2) + p_1 * w_1 * sp.tanh(w_0 * x),
         {("p", 0): "p_0", ("p", 1): "p_1", ("layer", "w"): "layer_w"}),
    Case("dataclass", peak, w_0 * sp.exp(-((x / s) ** 2)) + w_1 * sp.erf(x),
         {("w",): "w", ("s",): "s"}),
    Case("bound-method", peak.shifted,
         w_0 * sp.exp(-(((x - 0.25) / s) ** 2)) + w_1 * sp.erf(x - 0.25),
         {("w",): "w", ("s",): "s"}),
    Case("callable-object", Series(np.array([0.3, -0.6])), (c_0 + 2 * c_1) * sp.cos(x) + c_1,
         {("c",): "c"}),
    Case("partial", functools.partial(bump, a=2.0, width=0.5),
         a * sp.exp(-((x / sp.Symbol("width", real=True)) ** 2))
         + (sp.exp(x) - 1) / sp.Symbol("width", real=True),
         {("keywords", "a"): "a", ("keywords", "width"): "width"}),
    Case("points", points_fn(1.3), sp.exp(-a * (x**2 + y**2)) * x + sp.sqrt(y**2 + a**2),
         {("a",): "a"}, ("x", "y")),
]  # fmt: skip
IDS = [case.id for case in CASES]


def _readable(expr: sp.Expr, case: Case) -> sp.Expr:
    """``expr`` with array components ``layer_w_k`` named ``w_k`` as the hand-written one."""
    return expr.subs({sp.Symbol(f"layer_w_{k}", real=True): sp.Symbol(f"w_{k}", real=True)
                      for k in range(2)})  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expression_is_the_hand_written_one(case: Case) -> None:
    lifting = lift(case.fn, case.var)
    assert lifting.names == case.names
    assert sp.simplify(_readable(lifting.integrand.expr, case) - case.expr) == 0
    for path, name in lifting.names.items():
        np.testing.assert_array_equal(lifting.integrand.params[name], get_path(case.fn, path))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_are_the_callables(case: Case, rng: np.random.Generator) -> None:
    shape = (9, len(case.var)) if isinstance(case.var, tuple) else (9,)
    nodes = rng.uniform(0.05, 1.0, shape)
    f = Integrand.from_function(case.fn, var=case.var)
    np.testing.assert_allclose(f(nodes), case.fn(nodes), rtol=EXACT, atol=EXACT)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_is_the_callables_by_ad(case: Case) -> None:
    lifting = lift(case.fn, case.var)
    paths = list(lifting.names)
    several = isinstance(case.var, tuple)
    domain = ((0.1, 1.0), (0.0, 0.5)) if several else (0.1, 1.0)
    rule = Product(GaussLegendre(6), GaussLegendre(5)) if several else GaussLegendre(12)

    def by_ad(*values: Any) -> Any:
        fn = replace_leaves(case.fn, dict(zip(paths, values, strict=True)))
        return sr.integrate(fn, domain, rule, method="ad")

    def by_symbolic(*values: Any) -> Any:
        new = {lifting.names[p]: v for p, v in zip(paths, values, strict=True)}
        return sr.integrate(sr.with_fields(lifting.integrand, **new), domain, rule,
                            method="symbolic")  # fmt: skip

    values = [get_path(case.fn, path) for path in paths]
    argnums = tuple(range(len(paths)))
    expected = sr.value_and_grad(by_ad, argnums)(*values)
    got = sr.value_and_grad(by_symbolic, argnums)(*values)
    np.testing.assert_allclose(got[0], expected[0], rtol=GRAD)
    for g, e in zip(got[1], expected[1], strict=True):
        np.testing.assert_allclose(g, e, rtol=GRAD, atol=GRAD)


def test_piecewise_functions_become_sympy() -> None:
    c = 0.4

    def f(x: Any) -> Any:
        ramp = np.where(x < c, np.maximum(x, 0.1), np.minimum(np.abs(x - 1.0), 0.5))
        return ramp + np.heaviside(x - 0.5, 0.5) * np.sign(x - 0.7) + np.floor(3 * x)

    lifted = Integrand.from_function(f).expr
    cs = sp.Symbol("c", real=True)
    expected = (sp.Piecewise((sp.Max(x, 0.1), x < cs), (sp.Min(sp.Abs(x - 1.0), 0.5), True))
                + sp.Heaviside(x - 0.5, 0.5) * sp.sign(x - 0.7) + sp.floor(3 * x))  # fmt: skip
    assert sp.simplify(lifted - expected) == 0
    nodes = np.linspace(0.0, 1.0, 41)
    np.testing.assert_allclose(Integrand.from_function(f)(nodes), f(nodes), rtol=EXACT)


def test_field_names_stay_distinct() -> None:
    # a scalar c_0 and an array c (components c_0, c_1), a field named like a function
    sizes: dict[tuple[Any, ...], int | None] = {("c",): 2, ("c_0",): None, ("exp",): None}
    names = parameter_names(None, sizes, "x")
    assert names == {("c",): "c", ("c_0",): "c_0_2", ("exp",): "exp_2"}
    f = Integrand.from_function(functools.partial(lambda x, c, c_0: c[1] * x + c_0,
                                                  c_0=3.0, c=np.array([1.0, 2.0])))  # fmt: skip
    assert float(f(np.array([1.0]))[0]) == pytest.approx(5.0, rel=EXACT)


UNSUPPORTED = [
    ("numpy.cumsum", lambda x: np.cumsum(np.exp(x))),
    ("numpy.sum over the nodes", lambda x: np.sum(x) * x),
    ("numpy.sort", lambda x: np.sort(x)),
    ("numpy.linalg.norm", lambda x: np.linalg.norm(x) + x),
    ("numpy.remainder", lambda x: np.mod(x, 0.5)),
    (r"indexing \[array", lambda x: x[np.array([0, 1])]),
    ("a Python if", lambda x: x if x > 0.5 else -x),
    ("numpy.asarray", lambda x: np.asarray(x, dtype=float)),
    ("numpy.add.reduce", lambda x: np.add.reduce(x)),
]


@pytest.mark.parametrize(("named", "fn"), UNSUPPORTED, ids=[n for n, _ in UNSUPPORTED])
def test_unsupported_calls_raise_naming_the_function(named: str, fn: Callable) -> None:
    with pytest.raises(LiftingError, match=named):
        Integrand.from_function(fn)


def test_a_field_no_parameter_holds_is_named() -> None:
    weights = np.eye(2)
    with pytest.raises(ParameterValueError, match=r"\.weights holds shape \(2, 2\)"):
        Integrand.from_function(lambda x: weights[0, 0] * x)


def test_a_hidden_branch_is_caught_by_the_value_check() -> None:
    calls = []

    def f(x: Any) -> Any:  # a second call differs: nothing numpy sees
        calls.append(1)
        return x * len(calls)

    with pytest.raises(LiftingError, match="computes something its numpy calls do not show"):
        Integrand.from_function(f)

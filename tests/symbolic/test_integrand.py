"""The Integrand pins down: its generated reverse and forward rules agree with finite
differences through the inner-product identity, its own fields (``f_bar``) included; gradients
flow from outer code through its fields (the seed gives ``[0.505, 1.0]``); rebuilding it with
new fields reuses the compiled code; the decorator and ``symbolic_rule`` produce the same rules
as the expression they stand for; ``import symrules`` does not import SymPy.
"""

import subprocess
import sys
import time

import numpy as np
import pytest
import sympy as sp
from integrand_catalogue import CATALOGUE, IDS, Case, cosine_series

import symrules as sr
from symrules.engine.fields import fields, with_fields
from symrules.errors import ParameterValueError, SymbolicError, UndeclaredSymbolError
from symrules.symbolic import Integrand, integrand, symbolic_rule
from symrules.testing import check_frule, check_rrule

# Rule checks compare against 5-point central differences: truncation ~h^4, rounding ~eps/h.
CHECK_RTOL = 1e-6
CHECK_ATOL = 1e-8
# The 64-term series has a 63rd harmonic: central differences lose ~(63 h)^4 in x.
CHECK_RTOL_HIGH_FREQUENCY = 1e-4
# Exact closed forms evaluated in floating point.
EXACT = 1e-12


def _rtol(case: Case) -> float:
    return CHECK_RTOL_HIGH_FREQUENCY if case.id == "cosine-series-64" else CHECK_RTOL


def _integrand(case: Case) -> Integrand:
    return Integrand(case.expr, **case.params)


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_check_rrule(case: Case, rng: np.random.Generator) -> None:
    check_rrule(_integrand(case), case.nodes(9), rtol=_rtol(case), atol=CHECK_ATOL, rng=rng)


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_check_frule(case: Case, rng: np.random.Generator) -> None:
    check_frule(_integrand(case), case.nodes(9), rtol=_rtol(case), atol=CHECK_ATOL, rng=rng)


def test_seed() -> None:
    dx = np.diff(np.linspace(0, 1, 101))
    x = np.cumsum(dx)

    def main(p):
        return np.sum(Integrand("p1*x + p2", p1=p[0], p2=p[1])(x) * dx)

    np.testing.assert_allclose(sr.grad(main)(np.array([2.0, 1.0])), [0.505, 1.0], rtol=EXACT)


def test_gradient_into_array_field_and_nodes() -> None:
    x = np.linspace(0.0, np.pi, 7)
    w = np.full(7, 0.5)

    def total(c, x):
        return np.sum(w * Integrand(cosine_series(3), c=c)(x))

    c = np.array([1.0, 2.0, 3.0])
    c_bar, x_bar = sr.grad(total, argnums=(0, 1))(c, x)
    k = np.arange(3)
    np.testing.assert_allclose(c_bar, np.cos(np.outer(k, x)) @ w, rtol=EXACT, atol=EXACT)
    np.testing.assert_allclose(x_bar, -w * (np.sin(np.outer(x, k)) @ (k * c)), atol=EXACT)


def test_jvp_through_fields() -> None:
    x = np.linspace(0.0, 1.0, 5)

    def total(a):
        return np.sum(Integrand("exp(a*x)", a=a)(x))

    _, y_dot = sr.jvp(total, (0.3,), (2.0,))
    assert np.isclose(y_dot, 2.0 * np.sum(x * np.exp(0.3 * x)), rtol=EXACT)


def test_scalar_node() -> None:
    f = Integrand("a*sin(x)", a=2.0)
    assert isinstance(f(0.5), float)
    assert np.isclose(sr.grad(lambda x: f(x))(0.5), 2.0 * np.cos(0.5), rtol=EXACT)


def test_fields_and_cheap_rebuild() -> None:
    f = Integrand("a*x + c[0]*x**2", a=1.0, c=np.array([2.0]))
    assert list(fields(f)) == ["a", "c"]
    g = with_fields(f, a=5.0)
    assert g._rules is f._rules and g(1.0) == 7.0 and f(1.0) == 3.0
    start = time.perf_counter()
    for _ in range(1000):
        with_fields(f, a=5.0)
    assert (time.perf_counter() - start) / 1000 < 1e-4  # no parsing, deriving or compiling


def test_second_construction_reuses_compiled_code() -> None:
    expr = cosine_series(64)
    first = Integrand(expr, c=np.ones(64))
    start = time.perf_counter()
    second = Integrand(expr, c=np.zeros(64))
    assert time.perf_counter() - start < 0.01
    assert second._rules is first._rules


def test_attributes() -> None:
    f = Integrand("a*exp(-b*x)", a=1.0, b=2)
    a, b, x = (sp.Symbol(n, real=True) for n in "abx")
    assert f.expr == a * sp.exp(-b * x)
    assert f.partials == {"a": sp.exp(-b * x), "b": -a * x * sp.exp(-b * x),
                          "x": -a * b * sp.exp(-b * x)}  # fmt: skip
    assert "def rrule(x_, a_, b_):" in f.source
    assert f.params == {"a": 1.0, "b": 2.0} and isinstance(f.params["b"], float)
    latex = f._repr_latex_()
    assert latex.startswith("$") and r"\frac{\partial f}{\partial b}" in latex
    assert repr(f) == "Integrand('a*exp(-b*x)', var='x', a=1.0, b=2.0)"


def test_rule_returns_contracted_cotangents() -> None:
    f = Integrand("a*x**2 + c[0]*x + c[1]", a=1.0, c=np.array([0.0, 0.0]))
    x = np.linspace(0.0, 1.0, 1000)
    _, pullback = sr.rrule(f, x)
    f_bar, x_bar = pullback(np.ones_like(x))
    assert isinstance(f_bar, sr.Tangent) and np.ndim(f_bar.a) == 0
    assert f_bar.c.shape == (2,) and x_bar.shape == x.shape
    np.testing.assert_allclose(f_bar.c, [np.sum(x), 1000.0], rtol=EXACT)


def test_other_variable_name() -> None:
    f = Integrand("k*t**2", var="t", k=3.0)
    k, t = sp.symbols("k t", real=True)
    assert f(2.0) == 12.0 and f.partials["t"] == 2 * k * t


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"expr": "a*x + q", "a": 1.0}, UndeclaredSymbolError, "'q'"),
        ({"expr": "a*x", "a": np.ones((2, 2))}, ParameterValueError, r"'a' has shape \(2, 2\)"),
        ({"expr": "a*x", "a": 1j}, ParameterValueError, "'a' must be a real"),
        ({"expr": "a*x", "a": "one"}, ParameterValueError, "'a'"),
    ],
)
def test_bad_parameters(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Integrand(kwargs.pop("expr"), **kwargs)


def test_decorator_with_numpy_and_math() -> None:
    import math

    @integrand
    def f(x, a=1.0, b=2.0):
        return a * np.exp(-b * x**2) + math.sin(x) * np.maximum(x, 0.0)

    x = sp.Symbol("x", real=True)
    a, b = sp.symbols("a b", real=True)
    assert f.expr == a * sp.exp(-b * x**2) + sp.sin(x) * sp.Max(x, sp.Float(0.0))
    assert f.params == {"a": 1.0, "b": 2.0}
    assert np.isclose(f(0.5), np.exp(-0.5) + np.sin(0.5) * 0.5, rtol=EXACT)


def test_decorator_values_and_array_parameter() -> None:
    @integrand(var="t", c=np.array([1.0, 0.5, 0.25]))
    def series(c, t, scale=2.0):
        k = np.arange(len(c))
        return scale * np.sum(c * np.cos(k * t))

    assert series.var == "t" and list(series.params) == ["c", "scale"]
    assert np.isclose(series(0.3), 2.0 * (1.0 + 0.5 * np.cos(0.3) + 0.25 * np.cos(0.6)))


def test_decorator_needs_every_value() -> None:
    @integrand
    def f(x, b, a=1.0):
        return a * b * x

    with pytest.raises(ParameterValueError, match=r"'b' of .*no value"):
        f()  # without values, a family (tests/symbolic/test_ergonomics.py)

    with pytest.raises(ParameterValueError, match="'c'"):

        @integrand(c=1.0)
        def g(x, b):
            return b * x


def test_decorator_leaves_the_function_alone() -> None:
    def f(x, a=2.0):
        return a * np.sin(x)

    integrand(f)
    assert f(0.5) == 2.0 * np.sin(0.5) and f.__globals__["np"] is np


def test_decorator_rejects_non_symbolic_code() -> None:
    with pytest.raises(SymbolicError, match="could not be evaluated"):

        @integrand
        def f(x, a=1.0):
            return a * float(x)


def test_symbolic_rule() -> None:
    pullback = symbolic_rule("a*exp(-b*x)", wrt=("b", "a"))
    x = np.linspace(0.0, 1.0, 11)
    y_bar = np.linspace(1.0, 2.0, 11)
    b_bar, a_bar = pullback(y_bar, x, 2.0, 0.5)
    np.testing.assert_allclose(b_bar, np.sum(y_bar * -2.0 * x * np.exp(-0.5 * x)), rtol=EXACT)
    np.testing.assert_allclose(a_bar, np.sum(y_bar * np.exp(-0.5 * x)), rtol=EXACT)
    x_bar = symbolic_rule("a*exp(-b*x)", wrt="x")(y_bar, x, a=2.0, b=0.5)
    np.testing.assert_allclose(x_bar, y_bar * -1.0 * np.exp(-0.5 * x), rtol=EXACT)
    with pytest.raises(SymbolicError, match="'z'"):
        symbolic_rule("a*x", wrt="z")


def test_symbolic_rule_array_parameter() -> None:
    pullback = symbolic_rule(cosine_series(4), wrt="c", c=np.zeros(4))
    x = np.linspace(0.0, 1.0, 9)
    expected = np.cos(np.outer(np.arange(4), x)).sum(axis=1)
    np.testing.assert_allclose(pullback(np.ones(9), x, np.ones(4)), expected, rtol=EXACT)


def test_import_symrules_does_not_import_sympy() -> None:
    code = "import sys, symrules; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

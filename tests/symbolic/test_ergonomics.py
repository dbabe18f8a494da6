"""An Integrand speaks SymPy: the symbols a user passes in stay theirs, so every partial minus
SymPy's own ``diff`` in those symbols simplifies to 0 (whatever assumptions they carry); a
decorated function without values is a family that gives Integrands once called with them;
``eval(repr(f))`` rebuilds the same integrand; the LaTeX shows ``f(x; a, b) = ...`` and the
partials. The oracles are SymPy (``diff``, ``simplify``, ``lambdify``) and closed forms.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy as sp
from integrand_catalogue import CATALOGUE, IDS, cosine_series

import symrules as sr
from symrules.errors import ParameterNameError, ParameterValueError
from symrules.symbolic import Integrand, integrand
from symrules.symbolic.decorator import IntegrandFamily

# Closed forms and SymPy's lambdified derivatives evaluated in floating point.
EXACT = 1e-12
NODES = np.linspace(0.1, 0.9, 9)

plain = sp.symbols("a b x")
real = sp.symbols("a b x", real=True)
positive = sp.symbols("a b x", positive=True)
mixed = (sp.Symbol("a", positive=True), sp.Symbol("b"), sp.Symbol("x", real=True))


def _case(symbols: tuple, build: Callable[..., sp.Expr]) -> tuple[tuple, sp.Expr]:
    return symbols, build(*symbols)


# (user's symbols a, b, x; expression); Abs, Max, Min only on real symbols (the Integrand is
# real; SymPy's complex derivative of Abs is another function).
CASES = {
    "plain-exp": _case(plain, lambda a, b, x: a * sp.exp(-b * x)),
    "plain-trig": _case(plain, lambda a, b, x: a * sp.sin(b * x) ** 2 + sp.cos(x) / b),
    "plain-log1p": _case(plain, lambda a, b, x: sp.log(1 + a * x**2) * b),
    "plain-sqrt": _case(plain, lambda a, b, x: sp.sqrt(a + b * x**2)),
    "plain-atan2": _case(plain, lambda a, b, x: sp.atan2(a, x + b)),
    "plain-rational": _case(plain, lambda a, b, x: (a * x + b) / (x**2 + 2)),
    "real-abs": _case(real, lambda a, b, x: b * sp.Abs(x - a)),
    "real-max": _case(real, lambda a, b, x: sp.Max(a * x, b) ** 2),
    "real-min": _case(real, lambda a, b, x: a * sp.Min(x, b) + sp.Abs(a) * x),
    "positive-log": _case(positive, lambda a, b, x: sp.log(a * x) + sp.log(b)),
    "positive-powers": _case(positive, lambda a, b, x: x**a * sp.sqrt(b) + a**x),
    "positive-sqrt-square": _case(positive, lambda a, b, x: sp.sqrt(a**2 * x**2) * b),
    "mixed-gaussian": _case(mixed, lambda a, b, x: sp.exp(-a * x**2) * sp.cos(b * x)),
}
VALUES = {"a": 0.7, "b": 1.3}


@pytest.mark.parametrize("symbols, expr", CASES.values(), ids=list(CASES))
def test_partials_are_sympys_in_the_users_symbols(symbols: tuple, expr: sp.Expr) -> None:
    a, b, x = symbols
    f = Integrand(expr, var="x", **VALUES)
    assert f.expr.free_symbols <= {a, b, x}  # the user's objects, assumptions included
    assert sp.simplify(f.expr - expr) == 0
    for name, symbol in (("a", a), ("b", b), ("x", x)):
        assert f.partials[symbol] == f.partials[name]
        assert sp.simplify(f.partials[symbol] - sp.diff(expr, symbol)) == 0, name
    # and the generated code computes them: SymPy's lambdify as the oracle
    exact = np.broadcast_to(sp.lambdify((x, a, b), sp.diff(expr, a))(NODES, *VALUES.values()),
                            NODES.shape)  # fmt: skip
    _, pullback = sr.rrule(f, NODES)
    f_bar, _ = pullback(np.ones_like(NODES))
    np.testing.assert_allclose(f_bar.a, np.sum(exact), rtol=EXACT)


def test_the_issues_example_is_zero_without_simplifying() -> None:
    a, b, x = sp.symbols("a b x")
    expr = a * sp.exp(-b * x)
    f = Integrand(expr, var="x", a=2.0, b=3.0)
    assert f.partials["a"] - sp.diff(expr, a) == 0
    assert f.expr == expr and f.partials == {"a": sp.exp(-b * x), "b": -a * x * sp.exp(-b * x),
                                             "x": -a * b * sp.exp(-b * x)}  # fmt: skip


def test_plain_symbols_are_differentiated_as_real() -> None:
    # Abs of a plain (complex) symbol: the Integrand's partial is the real one, sign(x - a),
    # written in the user's symbols; the oracle differentiates real twins and substitutes back.
    a, x = sp.symbols("a x")
    a_r, x_r = sp.symbols("a x", real=True)
    f = Integrand(sp.Abs(x - a), var="x", a=0.5)
    twin = sp.diff(sp.Abs(x_r - a_r), a_r).xreplace({a_r: a, x_r: x})
    assert f.partials[a] == twin and f.partials[a].free_symbols == {a, x}


def test_array_parameter_as_indexed_base() -> None:
    c, x = sp.IndexedBase("c"), sp.Symbol("x")
    expr = c[0] + c[1] * sp.cos(x) + c[2] * x**2
    f = Integrand(expr, var="x", c=np.array([1.0, 0.5, 0.25]))
    assert f.expr == expr
    assert list(f.partials[c]) == [sp.diff(expr, c[k]) for k in range(3)]
    assert f.partials[c[2]] == x**2 and f.partials["x"] == sp.diff(expr, x)


def test_partials_lookup() -> None:
    a, x = sp.symbols("a x", positive=True)
    f = Integrand(a * x**2, var="x", a=1.0)
    assert a in f.partials and "a" in f.partials and sp.Symbol("q") not in f.partials
    assert f.partials.get(sp.Symbol("a")) == x**2  # any symbol of that name
    assert list(f.partials) == ["a", "x"]
    with pytest.raises(KeyError):
        f.partials[sp.Symbol("q")]


def test_strings_use_the_integrands_real_symbols() -> None:
    f = Integrand("a*exp(-b*x)", a=1.0, b=2.0)
    a, b, x = sp.symbols("a b x", real=True)
    assert f.expr.free_symbols == {a, b, x}
    assert sp.simplify(f.partials[sp.Symbol("b")] - sp.diff(f.expr, b)) == 0


def test_two_symbols_of_one_name_are_refused() -> None:
    a, a_positive, x = sp.Symbol("a"), sp.Symbol("a", positive=True), sp.Symbol("x")
    with pytest.raises(ParameterNameError, match="'a'"):
        Integrand(a * x + a_positive, var="x", a=1.0)


def test_gradient_through_users_symbols() -> None:
    a, b, x = sp.symbols("a b x", positive=True)
    expr = a * sp.exp(-b * x)

    def loss(a_value: Any) -> Any:
        f = Integrand(expr, var="x", a=a_value, b=2.0)
        return sr.integrate(f, (0.0, 1.0), sr.GaussLegendre(20))

    exact = (1 - np.exp(-2.0)) / 2.0  # d/da of a (1 - e^-2) / 2
    np.testing.assert_allclose(sr.grad(loss)(1.5), exact, rtol=EXACT)


# --- families ------------------------------------------------------------------------------


@integrand(var="x")
def bump(x, a, b):
    return a * np.exp(-b * x**2)


def test_a_function_without_defaults_is_a_family() -> None:
    assert isinstance(bump, IntegrandFamily) and bump.missing == ("a", "b")
    a, b, x = sp.symbols("a b x", real=True)
    assert bump.expr == a * sp.exp(-b * x**2)
    f = bump(a=1.5, b=0.25)
    assert isinstance(f, Integrand) and f.params == {"a": 1.5, "b": 0.25}
    np.testing.assert_allclose(f(NODES), 1.5 * np.exp(-0.25 * NODES**2), rtol=EXACT)
    assert repr(bump) == "<integrand family bump(x; a, b) = a*exp(-b*x**2)>"
    latex = bump._repr_latex_()
    assert r"\operatorname{bump}(x; a, b) &= a e^{- b x^{2}}" in latex


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((), {"a": 1.0}, r"parameter 'b' of bump has no value: write bump\(b=...\)"),
        ((), {}, r"parameters 'a', 'b' of bump have no value"),
        ((), {"a": 1.0, "b": 2.0, "q": 3.0}, "bump has no parameter 'q'; its parameters: a, b"),
        ((0.5,), {}, r"give its parameters by keyword, bump\(a=..., b=...\)"),
    ],
    ids=["missing", "all-missing", "unknown", "positional"],
)
def test_a_family_refuses_by_name(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterValueError, match=match):
        bump(*args, **kwargs)


def test_a_family_with_some_defaults_and_decorator_values() -> None:
    calls = []

    @integrand(b=2.0)
    def shifted(x, a, b, s=0.5):
        calls.append(1)  # the function runs on symbols once per set of shapes
        return a * (x - s) ** 2 + b

    assert shifted.missing == ("a",) and shifted.values == {"s": 0.5, "b": 2.0}
    f, g = shifted(a=3.0), shifted(a=1.0, s=0.0)
    np.testing.assert_allclose(f(NODES), 3.0 * (NODES - 0.5) ** 2 + 2.0, rtol=EXACT)
    np.testing.assert_allclose(g(NODES), NODES**2 + 2.0, rtol=EXACT)
    assert len(calls) == 1


def test_a_family_with_an_array_parameter() -> None:
    @integrand(var="t")
    def series(t, c):
        return np.sum(c * np.cos(np.arange(len(c)) * t))

    assert repr(series) == "<integrand family series(t; c)>"  # c's length is not known yet
    assert series._repr_latex_() is None
    f = series(c=[1.0, 0.5, 0.25])
    np.testing.assert_allclose(f(NODES), 1.0 + 0.5 * np.cos(NODES) + 0.25 * np.cos(2 * NODES),
                               rtol=EXACT)  # fmt: skip


def test_gradient_through_a_family() -> None:
    def loss(a: Any, b: Any) -> Any:
        return sr.integrate(bump(a=a, b=b), (0.0, 1.0), sr.GaussLegendre(30))

    # d/da of a*I(b) is I(b) = int_0^1 exp(-b x^2) dx = sqrt(pi/b)/2 * erf(sqrt(b))
    b = 0.25
    exact = float(sp.sqrt(sp.pi / b) / 2 * sp.erf(sp.sqrt(b)))
    np.testing.assert_allclose(sr.grad(loss)(1.5, b), exact, rtol=EXACT)


def test_defaults_still_give_an_integrand() -> None:
    @integrand
    def f(x, a=1.0):
        return a * x

    assert isinstance(f, Integrand) and f.params == {"a": 1.0}


# --- repr and LaTeX ------------------------------------------------------------------------


def _same(f: Integrand, g: Integrand) -> None:
    assert g.expr == f.expr and g.var == f.var and g.backend == f.backend
    assert list(g.params) == list(f.params)
    for name, value in f.params.items():
        np.testing.assert_array_equal(g.params[name], value)
    nodes = np.linspace(0.15, 0.95, 7)
    np.testing.assert_array_equal(g(nodes), f(nodes))


@pytest.mark.parametrize("case", [c for c in CATALOGUE if c.id != "cosine-series-64"],
                         ids=[i for i in IDS if i != "cosine-series-64"])  # fmt: skip
def test_repr_round_trips(case: Any) -> None:
    f = Integrand(case.expr, **case.params)
    _same(f, eval(repr(f), {"Integrand": Integrand}))


@pytest.mark.parametrize(
    "expr, var, params",
    [
        ("0.30000000000000004*a*x + 1/3", "x", {"a": 0.1 + 0.2}),  # floats in full
        ("Max(0.0, t)**2 + pi*E**t", "t", {}),
        ("a*sqrt(x)**3 + x**(-1.5)", "x", {"a": -2.0}),
        ("c[0]*cos(x) - c[1]*x", "x", {"c": np.array([0.1, 1e-300])}),
    ],
)
def test_repr_round_trips_exactly(expr: str, var: str, params: dict) -> None:
    f = Integrand(expr, var=var, **params)
    _same(f, eval(repr(f), {"Integrand": Integrand}))


def test_repr_of_users_symbols_and_backend() -> None:
    a, x = sp.symbols("a x", positive=True)
    f = Integrand(sp.log(a * x), var="x", a=2.0, backend="numpy")
    assert repr(f).startswith("Integrand('log(a*x)', var='x', a=2.0")
    g = eval(repr(f), {"Integrand": Integrand})
    # the rebuilt one has the same expression in its own real symbols
    a_r, x_r = sp.symbols("a x", real=True)
    assert g.expr == f.expr.xreplace({a: a_r, x: x_r}) and g.backend == "numpy"


def test_repr_is_short() -> None:
    f = Integrand(cosine_series(64), c=np.ones(64))
    assert repr(f).startswith("Integrand(<") and "c=array(<64>)" in repr(f)
    assert len(repr(f)) < 150


def test_latex_shows_the_expression_and_the_partials() -> None:
    a, b, x = sp.symbols("a b x", positive=True)
    expr = a * sp.exp(-b * x)
    latex = Integrand(expr, var="x", a=2.0, b=3.0)._repr_latex_()
    assert latex.startswith(r"$\displaystyle \begin{aligned}f(x; a, b) &= ")
    for symbol in (a, b, x):
        row = rf"\frac{{\partial f}}{{\partial {symbol}}} &= {sp.latex(sp.diff(expr, symbol))}"
        assert row in latex
    arrays = Integrand("c[0] + c[1]*x", c=[1.0, 2.0])._repr_latex_()
    assert r"f(x; \mathbf{c})" in arrays and r"\partial \mathbf{c}} &= \left[1, x\right]" in arrays

"""Special and piecewise functions in an Integrand pin down: every function of issue 13's list,
written in a string, gives the value and every partial (each parameter and ``x``) that SymPy's
own ``diff`` and ``lambdify(modules="scipy")`` give, at nodes and in a symbolic quadrature on
both backends (the numba kernel where numba can call the function); steps have derivative
zero away from their jumps; a partial SymPy gives in no evaluable closed form, a function
SciPy does not evaluate, and a kernel numba cannot build are named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

import symrules as sr
from symrules.errors import ExpressionSyntaxError, NoNumpyPrinterError

# Generated numpy/scipy code against SymPy's lambdified closed forms (or mpmath, pointwise),
# both in float64: a few rounding errors of functions evaluated by different algorithms.
RTOL = 1e-9
# The kernel against the numpy rules: the same formulas summed in a different order.
SUM_RTOL = 1e-12


@dataclass(frozen=True)
class Case:
    """``expr`` over ``x`` with ``params``, smooth on ``(lo, hi)``; ``kernel``: numba calls it."""

    id: str
    expr: str
    params: dict[str, float]
    lo: float = 0.2
    hi: float = 1.4
    kernel: bool = False
    reference: str = ""  # the expression in SymPy's syntax, where it differs
    smooth: tuple[float, float] | None = None  # a quadrature domain with no jump inside


CATALOGUE = [
    Case("erf-erfc", "erf(a*x) + erfc(b*x)", {"a": 0.6, "b": 1.3}, kernel=True),
    Case("erfi", "erfi(a*x)", {"a": 0.8}),
    Case("erfinv", "erfinv(a*x)", {"a": 0.7}, -0.9, 0.9),
    Case("gamma-loggamma-no-parameter-inside", "a*gamma(x + 1) + b*loggamma(x + 1)",
         {"a": 0.5, "b": 2.0}, kernel=True),
    Case("gamma", "gamma(a*x + 1)", {"a": 1.5}),
    Case("loggamma", "loggamma(a + x)", {"a": 1.5}),
    Case("digamma", "digamma(a*x + 1)", {"a": 0.9}),
    Case("polygamma", "polygamma(2, a*x + 1)", {"a": 0.9}),
    Case("beta", "beta(a, x + 1)", {"a": 1.5}),
    Case("besselj", "besselj(0, a*x) + besselj(1.5, a*x)", {"a": 1.9}),
    Case("bessely", "bessely(1, a*x)", {"a": 1.9}, 0.5, 3.0),
    Case("besseli", "besseli(2, a*x)", {"a": 1.2}),
    Case("besselk", "besselk(0.5, a*x)", {"a": 1.2}),
    Case("jn", "jn(0, a*x) + jn(2, a*x)", {"a": 1.3}, 0.5, 3.0),
    Case("yn", "yn(0, a*x) + yn(1, a*x)", {"a": 1.3}, 0.5, 3.0),
    Case("airy", "airyai(a*x) + airybi(-a*x)", {"a": 1.1}, -1.5, 1.5),
    Case("expint", "expint(2, a*x) + E1(a*x)", {"a": 1.1}, 0.3, 2.0),
    Case("Ei-Si-Ci", "Ei(a*x) + Si(a*x) + Ci(a*x)", {"a": 1.1}, 0.3, 2.0),
    Case("fresnel", "fresnels(a*x) + fresnelc(a*x)", {"a": 1.1}),
    Case("zeta", "zeta(3, a*x + 1)", {"a": 0.8}),
    Case("polylog", "polylog(2, a*x) + polylog(1, a*x)", {"a": 0.5}, -1.0, 1.0),
    Case("lower-upper-gamma", "lowergamma(2, a*x) + uppergamma(1.5, a*x)", {"a": 1.2}),
    Case("LambertW", "LambertW(a*x)", {"a": 1.3}, 0.0, 2.0),
    Case("elliptic-k-e", "elliptic_k(a*x) + elliptic_e(a*x)", {"a": 0.5}, 0.1, 1.5),
    Case("elliptic-e-incomplete", "elliptic_e(x, a)", {"a": 0.4}, 0.1, 1.5),
    Case("piecewise", "Piecewise((a*x, x < 0.5), (b*x**2, True))", {"a": 1.5, "b": 0.7},
         kernel=True, smooth=(0.55, 1.4)),
    Case("piecewise-chained", "Piecewise((a, 0.3 < x < 0.6 and x != 0.45), (b*x, True))",
         {"a": 1.5, "b": 0.7}, kernel=True,
         reference="Piecewise((a, (0.3 < x) & (x < 0.6) & Ne(x, 0.45)), (b*x, True))",
         smooth=(0.61, 1.4)),
    Case("steps", "Heaviside(x - c)*exp(a*x) + sign(x - c)*a + Abs(a*x - 0.7)",
         {"a": 1.2, "c": 0.5}, kernel=True, smooth=(0.6, 1.4)),
    Case("max-min-floor-ceiling", "Max(a*x, 0.3) + Min(x, b) + a*floor(3*x) + ceiling(b*x)",
         {"a": 0.9, "b": 0.8}, kernel=True, smooth=(0.7, 0.79)),
]  # fmt: skip
IDS = [case.id for case in CATALOGUE]


def _away_from_jumps(expr: sp.Expr) -> sp.Expr:
    """The derivative of a step is zero away from its jump (DiracDelta, d floor, d ceiling)."""
    return expr.replace(
        lambda n: isinstance(n, sp.DiracDelta | sp.Subs | sp.Derivative), lambda n: sp.S.Zero
    )


def _numeric(expr: sp.Expr, symbols: list[sp.Symbol], x: np.ndarray, values: list) -> np.ndarray:
    """``expr`` at the nodes: SymPy's lambdify with scipy (mpmath pointwise where scipy has
    no translation), complex values allowed, then checked real."""
    half = sp.S.Half  # spherical Bessel by definition, any integer order (scipy: n >= 0)
    expr = expr.replace(sp.jn, lambda n, z: sp.sqrt(sp.pi / (2 * z)) * sp.besselj(n + half, z))
    expr = expr.replace(sp.yn, lambda n, z: sp.sqrt(sp.pi / (2 * z)) * sp.bessely(n + half, z))
    try:
        out = np.asarray(sp.lambdify(symbols, expr, modules="scipy")(x, *values), dtype=complex)
    except (NameError, TypeError):  # no scipy translation in SymPy: mpmath, node by node
        out = np.array([complex(expr.subs(dict(zip(symbols, (t, *values), strict=True))).evalf())
                        for t in x])  # fmt: skip
    out = np.broadcast_to(out, x.shape)
    np.testing.assert_allclose(out.imag, 0.0, atol=1e-12)
    return out.real


def oracle(case: Case, x: np.ndarray) -> dict[str, np.ndarray]:
    """Value (key ``""``) and every partial by SymPy alone: ``parse_expr``, ``diff``."""
    names = ["x", *case.params]
    symbols = {n: sp.Symbol(n, real=True) for n in names}
    local = {**symbols, "E1": sp.E1, "Ei": sp.Ei, "Si": sp.Si, "Ci": sp.Ci}
    expr = parse_expr(case.reference or case.expr, local_dict=local)
    args = [symbols[n] for n in names]
    values = list(case.params.values())
    out = {"": _numeric(expr, args, x, values)}
    for n in names:
        out[n] = _numeric(_away_from_jumps(sp.diff(expr, symbols[n])), args, x, values)
    return out


def _nodes(case: Case) -> np.ndarray:
    """Interior nodes off the jumps of the step cases (0.3, 0.45, 0.5, 0.6, k/3, 1/b...)."""
    return np.linspace(case.lo, case.hi, 9)[1:-1] + 0.0123


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_values_and_partials_at_nodes(case: Case, rng: np.random.Generator) -> None:
    x = _nodes(case)
    expected = oracle(case, x)
    f = sr.Integrand(case.expr, backend="numpy", **case.params)
    np.testing.assert_allclose(f(x), expected[""], rtol=RTOL, atol=RTOL)
    y_bar = rng.standard_normal(x.shape)
    for name, value in case.params.items():

        def contracted(v: Any, name: str = name) -> Any:
            return np.vdot(y_bar, sr.with_fields(f, **{name: v})(x))

        got = sr.grad(contracted)(value)
        assert got == pytest.approx(np.vdot(y_bar, expected[name]), rel=RTOL, abs=RTOL), name
    x_bar = sr.grad(lambda xs: np.vdot(y_bar, f(xs)))(x)
    np.testing.assert_allclose(x_bar, y_bar * expected["x"], rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_quadrature_on_both_backends(case: Case) -> None:
    rule = sr.GaussLegendre(12)
    lo, hi = case.smooth or (case.lo, case.hi)
    x, w = rule.nodes_weights(lo, hi)
    expected = oracle(case, np.asarray(x))
    f = sr.Integrand(case.expr, **case.params)
    assert f.backend == ("numba" if case.kernel else "numpy"), f.no_kernel
    assert (f.no_kernel is None) == case.kernel
    for backend in ("numba", "numpy") if case.kernel else ("numpy",):
        g = sr.Integrand(case.expr, backend=backend, **case.params)
        names = list(case.params)

        def integral(*values: Any, g: sr.Integrand = g, names: list = names) -> Any:
            fields = dict(zip(names, values, strict=True))
            return sr.integrate(sr.with_fields(g, **fields), (lo, hi), rule=rule,
                                method="symbolic")  # fmt: skip

        value, grads = sr.value_and_grad(integral, argnums=tuple(range(len(names))))(
            *case.params.values()
        )
        tol = SUM_RTOL if backend == "numba" else RTOL
        assert value == pytest.approx(np.dot(w, expected[""]), rel=RTOL, abs=tol)
        for name, got in zip(names, grads, strict=True):
            assert got == pytest.approx(np.dot(w, expected[name]), rel=RTOL, abs=RTOL), name


def test_the_issue_example_from_a_string_and_from_sympy() -> None:
    g, h, x = sp.symbols("g h x")
    from_text = sr.Integrand("erf(g*x) + besselj(0, h*x)", g=0.6, h=1.9)
    from_sympy = sr.Integrand(sp.erf(g * x) + sp.besselj(0, h * x), g=0.6, h=1.9)
    nodes = np.array([0.3, 0.9])
    expected = [float(sp.erf(0.6 * t) + sp.besselj(0, 1.9 * t)) for t in nodes]
    np.testing.assert_allclose(from_text(nodes), expected, rtol=RTOL)
    np.testing.assert_allclose(from_sympy(nodes), expected, rtol=RTOL)
    assert "special.jv" in from_text.source
    assert from_text.backend == "numpy"
    assert from_text.no_kernel == "numba cannot call scipy.special.jv, for besselj(0, h*x)"


def test_a_parameter_may_share_a_special_function_name() -> None:
    f = sr.Integrand("gamma*gamma(x + 1) + beta", gamma=2.0, beta=0.5)
    assert float(f(3.0)) == pytest.approx(2.0 * 6.0 + 0.5, rel=RTOL)  # gamma(4) = 3!


def test_numba_cannot_call_it_and_numba_is_asked_for() -> None:
    with pytest.raises(sr.SymrulesError, match="besselj"):
        sr.Integrand("besselj(0, a*x)", a=1.0, backend="numba")


@pytest.mark.parametrize(
    ("expr", "params", "named"),
    [
        ("besselj(nu, x)", {"nu": 0.5}, "partial in nu of besselj"),
        ("jn(n, x)", {"n": 1.0}, "partial in n of jn"),
        ("polygamma(n, x)", {"n": 1.0}, "partial in n of polygamma"),
        ("lowergamma(s, x)", {"s": 1.5}, "partial in s of lowergamma"),
        ("zeta(x)", {}, "partial in x of zeta"),
        ("zeta(s, x + 1)", {"s": 3.0}, "partial in s of zeta"),
    ],
    ids=["besselj-order", "jn-order", "polygamma-order", "lowergamma-s", "zeta-x", "zeta-s"],
)
def test_a_partial_in_no_closed_form_is_refused_by_name(expr: str, params: dict,
                                                        named: str) -> None:  # fmt: skip
    with pytest.raises(NoNumpyPrinterError, match=named):
        sr.Integrand(expr, **params)


@pytest.mark.parametrize(
    ("expr", "named"),
    [("polylog(3, a*x)", "polylog"), ("expint(1.5, a*x)", "expint"), ("jn(0.5, a*x)", "jn")],
)
def test_a_function_scipy_does_not_evaluate_is_refused_by_name(expr: str, named: str) -> None:
    with pytest.raises(NoNumpyPrinterError, match=named):
        sr.Integrand(expr, a=1.0)


def test_a_condition_is_only_a_piecewise_condition() -> None:
    with pytest.raises(ExpressionSyntaxError, match="Piecewise"):
        sr.Integrand("Piecewise((a, x + 1), (0, True))", a=1.0)
    with pytest.raises(ExpressionSyntaxError, match="pair"):
        sr.Integrand("Piecewise(a, x < 1)", a=1.0)
    with pytest.raises(ExpressionSyntaxError, match="Compare"):
        sr.Integrand("a*(x < 1)", a=1.0)

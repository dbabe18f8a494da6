"""Second derivatives wherever first derivatives work, by the symbolic and the AD paths.

The Hessian of ``integrate`` over an Integrand, with respect to its parameters (scalar and
array ones, through ``Max``/``Min``/``Abs`` too), equals SymPy's Hessian of the integrand
summed with the rule's weights on the same nodes (the kinks' found breakpoints are not used,
``breakpoints="declared"``; tests/quadrature/test_found_breakpoints.py checks them): the
oracle is ``sympy.hessian`` and ``lambdify``, not symrules.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symrules as sr

RULE = sr.GaussLegendre(16)
RTOL = 1e-10  # both sides sum the same 16 terms; the generated code reorders the algebra
CASES = {
    "array-exp": ("exp(c[0])*x + c[0]*c[1]*x**2", {"c": [0.3, 0.7]}),
    "array-only-one-entry": ("exp(c[0])", {"c": [0.4]}),
    "max": ("Max(a, x)**2 + a*x", {"a": 0.3}),
    "min-two-params": ("Min(a*x, b)**2", {"a": 1.5, "b": 0.6}),
    "abs": ("Abs(x - a)**3 + a**2*x", {"a": 0.45}),
    "mixed": ("a*exp(-b*x**2)*sin(c[0]*x + c[1])", {"a": 1.3, "b": 0.7, "c": [2.0, 0.1]}),
}


def _flat_values(params: dict) -> np.ndarray:
    return np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in params.values()])


def _sympy_hessian(expr: str, params: dict) -> np.ndarray:
    """``sum_i w_i d2f/dp dq (x_i)`` with SymPy's derivatives, on ``RULE``'s nodes."""
    x = sp.Symbol("x", real=True)
    symbols, local = [], {"x": x, "Max": sp.Max, "Min": sp.Min, "Abs": sp.Abs}
    for name, value in params.items():
        if np.ndim(value):
            comps = sp.symbols(f"{name}0:{len(value)}", real=True)
            local[name] = comps
            symbols.extend(comps)
        else:
            local[name] = sp.Symbol(name, real=True)
            symbols.append(local[name])
    f = sp.sympify(expr, locals=local)  # the test's own literal text
    # no node sits on a kink, where DiracDelta terms live: they are zero at every node
    hessian = sp.hessian(f, symbols).replace(sp.DiracDelta, lambda *args: sp.S.Zero)
    numeric = sp.lambdify([x, *symbols], hessian, modules="numpy")
    nodes, weights = RULE.nodes_weights(0.0, 1.0)
    values = _flat_values(params)
    pairs = zip(nodes, weights, strict=True)
    terms = [w * np.asarray(numeric(t, *values), dtype=float) for t, w in pairs]
    return np.sum(terms, axis=0)


@pytest.mark.parametrize("method", ["symbolic", "ad"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_hessian_of_integrate_equals_sympys(case, method):
    expr, params = case
    names = list(params)
    sizes = [np.size(v) for v in params.values()]

    def integral(flat):
        values, start = {}, 0
        for name, size, given in zip(names, sizes, params.values(), strict=True):
            values[name] = flat[start : start + size] if np.ndim(given) else flat[start]
            start += size
        f = sr.Integrand(expr, **values)
        return sr.integrate(f, (0.0, 1.0), RULE, method=method, breakpoints="declared")

    got = sr.hessian(integral)(_flat_values(params))
    np.testing.assert_allclose(got, _sympy_hessian(expr, params), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("method", ["ad", "symbolic"])
def test_mixed_second_derivative_in_a_parameter_and_a_moving_end(method):
    """d^2/(da db) of the integral of exp(-a x^2) over [0, b]: the nodes move with b, so the
    AD path must hand them to the integrand traced (watching them for jumps would strip them,
    as it once did, and silently drop this term)."""
    a, b, x = sp.symbols("a b x", positive=True)
    exact = sp.integrate(sp.exp(-a * x**2), (x, 0, b))
    at = {a: 0.7, b: 0.8}
    want = [[float(sp.diff(exact, s, t).subs(at)) for t in (a, b)] for s in (a, b)]

    def loss(ab):
        f = sr.Integrand("exp(-a*x**2)", a=ab[0]) if method == "symbolic" else \
            (lambda t: np.exp(-ab[0] * t**2))  # fmt: skip
        return sr.integrate(f, (0.0, ab[1]), sr.GaussLegendre(20), method)

    np.testing.assert_allclose(sr.hessian(loss)(np.array([0.7, 0.8])), want, rtol=1e-12)

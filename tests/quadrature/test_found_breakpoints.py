"""Jumps and kinks an Integrand's pieces make are found by SymPy and split the domain.

Pins down: with no breakpoint declared, ``integrate`` of an Integrand built from
``Piecewise``, ``Heaviside``, ``Abs``, ``sign``, ``Max``, ``floor`` has the closed-form value
and the closed-form gradient in every parameter -- including the Leibniz term of a jump the
parameter moves -- by every method ("symbolic", "ad", "fd"), in reverse and forward mode; a
jump that leaves the domain drops out; a condition SymPy cannot solve warns, naming it, and
the declared breakpoint is then used. Oracles: closed forms, and scipy's root finder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

import symrules as sr
from symrules.errors import BreakpointWarning

# Split at the found points, every panel's integrand is a low-degree polynomial (or exp):
# the 8-point Gauss rule is exact up to summation round-off.
EXACT_RTOL = 1e-12
# method="fd": central differences of the quadrature sum in the fields (step ~1e-3 or less).
FD_RTOL = 1e-7
# Absolute floor for entries that are exactly zero.
ATOL = 1e-12
RULE = sr.GaussLegendre(8)
METHODS = ("symbolic", "ad", "fd")
x, a, b, c, d = sp.symbols("x a b c d")
E = math.e


@dataclass(frozen=True)
class Jump:
    """An integrand on [0, 1], parameter values, and the closed-form value and gradient."""

    name: str
    expr: sp.Expr
    params: dict[str, float]
    value: float
    grad: tuple[float, ...]  # in the order of params


STEP = sp.Piecewise((a, x < c), (b, True))
CATALOGUE = [
    # I = a c + b (1 - c): dI/dc = a - b, the jump
    Jump("piecewise-step", STEP, {"a": 1.0, "b": 2.5, "c": 0.3},
         1.0 * 0.3 + 2.5 * 0.7, (0.3, 0.7, 1.0 - 2.5)),
    # I = e - e^c
    Jump("heaviside-exp", sp.Heaviside(x - c) * sp.exp(x), {"c": 0.3},
         E - math.exp(0.3), (-math.exp(0.3),)),
    # I = (c^2 + (1 - c)^2) / 2: a kink, no jump
    Jump("abs-kink", sp.Abs(x - c), {"c": 0.3}, (0.09 + 0.49) / 2, (2 * 0.3 - 1,)),
    # I = (1 - c)^3 / 3
    Jump("max-hinge-squared", sp.Max(0, x - c) ** 2, {"c": 0.3}, 0.7**3 / 3, (-(0.7**2),)),
    # I = 1 - 2c
    Jump("sign", sp.sign(x - c), {"c": 0.3}, 1 - 0.6, (-2.0,)),
    # two moving boundaries: I = a (d - c)
    Jump("piecewise-two-boundaries", sp.Piecewise((0, x < c), (a, x < d), (0, True)),
         {"a": 1.5, "c": 0.25, "d": 0.7}, 1.5 * 0.45, (0.45, -1.5, 1.5)),
    # the jump has left the domain on either side: no Leibniz term
    Jump("jump-left-above", STEP, {"a": 1.0, "b": 2.5, "c": 1.4}, 1.0, (1.0, 0.0, 0.0)),
    Jump("jump-left-below", STEP, {"a": 1.0, "b": 2.5, "c": -0.2}, 2.5, (0.0, 1.0, 0.0)),
    # u = 2x + c crosses the integers 1 and 2: I = (1 + 2 * 0.3) / 2, dI/dc = (2 - 0) / 2
    Jump("floor-crossings", sp.floor(2 * x + c), {"c": 0.3}, 0.8, (1.0,)),
]  # fmt: skip
IDS = [case.name for case in CATALOGUE]


def integral_of(case: Jump, method: str = "auto", rule: sr.QuadratureRule = RULE):
    names = list(case.params)

    def integral(p):
        f = sr.Integrand(case.expr, **dict(zip(names, p, strict=True)))
        return sr.integrate(f, (0.0, 1.0), rule, method=method)

    return integral


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_value_and_gradient_are_the_closed_forms(case, method):
    p = np.array(list(case.params.values()))
    value, grad = sr.value_and_grad(integral_of(case, method))(p)
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    assert abs(value - case.value) <= EXACT_RTOL * abs(case.value)
    np.testing.assert_allclose(grad, case.grad, rtol=rtol, atol=ATOL)


@pytest.mark.parametrize("case", CATALOGUE, ids=IDS)
def test_forward_mode_agrees(case, rng):
    p = np.array(list(case.params.values()))
    p_dot = rng.standard_normal(p.shape)
    _, y_dot = sr.jvp(integral_of(case), (p,), (p_dot,))
    assert abs(y_dot - np.dot(case.grad, p_dot)) <= EXACT_RTOL * (1 + np.abs(p_dot).sum())


@pytest.mark.parametrize("case", CATALOGUE[:6], ids=IDS[:6])
def test_adaptive_default_rule(case):
    p = np.array(list(case.params.values()))
    value, grad = sr.value_and_grad(integral_of(case, rule=sr.GaussKronrod()))(p)
    assert abs(value - case.value) <= 1e-10 * abs(case.value)  # the rule's default rtol
    np.testing.assert_allclose(grad, case.grad, rtol=1e-10, atol=ATOL)


def test_the_found_points_are_sympy_expressions_in_the_parameters():
    f = sr.Integrand(sp.Piecewise((0, x < c), (a, x < d), (0, True)), a=1.0, c=0.2, d=0.6)
    assert set(f.breakpoints) == {c, d}
    assert f.breakpoints_in(0.0, 1.0) == [0.2, 0.6]
    assert f.breakpoints_in(1.0, 0.5) == [0.6]


@pytest.mark.parametrize("s", np.linspace(-0.5, 1.5, 9))
def test_a_jump_moving_through_the_domain(s):
    """dI/dc is a - b while the jump is inside [0, 1], and 0 outside."""
    grad = sr.grad(integral_of(CATALOGUE[0]))(np.array([1.0, 2.5, s]))
    inside = 0.0 < s < 1.0
    np.testing.assert_allclose(grad[2], 1.0 - 2.5 if inside else 0.0, atol=ATOL)


def _step(s, domain, **kw):
    return sr.integrate(sr.Integrand(STEP, a=1.0, b=2.5, c=s), domain, RULE, **kw)


def test_roots_that_are_not_real_drop_out():
    """x**2 < c: points +-sqrt(c), NaN for c < 0 (no warning, no point)."""

    def integral(p):
        f = sr.Integrand(sp.Piecewise((a, x**2 < c), (b, True)), a=p[0], b=p[1], c=p[2])
        return sr.integrate(f, (-1.0, 1.0), RULE)

    value, grad = sr.value_and_grad(integral)(np.array([1.0, 2.5, 0.25]))
    # I = 2 a sqrt(c) + b (2 - 2 sqrt(c)); dI/dc = (a - b) / sqrt(c)
    assert abs(value - (1.0 + 2.5)) <= EXACT_RTOL * 3.5
    np.testing.assert_allclose(grad, [1.0, 1.0, (1.0 - 2.5) / 0.5], rtol=EXACT_RTOL)
    assert abs(integral([1.0, 2.5, -0.25]) - 5.0) <= EXACT_RTOL * 5.0


def test_second_derivative_across_a_found_kink():
    """d2/dc2 (1 - c)^3 / 3 = 2 (1 - c): the kink's Leibniz term at second order."""

    def hinge(s):
        return sr.integrate(sr.Integrand(sp.Max(0, x - c) ** 2, c=s), (0.0, 1.0), RULE)

    assert abs(sr.grad(sr.grad(hinge))(0.3) - 2 * 0.7) <= EXACT_RTOL


def test_a_declared_point_at_the_jump_stays_exact():
    """Declared as the traced c (the old way), or as the plain number c is at: still a - b."""
    assert abs(sr.grad(lambda s: _step(s, (0.0, s, 1.0)))(0.3) - (1.0 - 2.5)) <= EXACT_RTOL
    assert abs(sr.grad(lambda s: _step(s, (0.0, 0.3, 1.0)))(0.3) - (1.0 - 2.5)) <= EXACT_RTOL


def test_reversed_domain_has_the_opposite_sign():
    value, grad = sr.value_and_grad(lambda s: _step(s, (1.0, 0.0)))(0.3)
    assert abs(value + (0.3 + 2.5 * 0.7)) <= EXACT_RTOL and abs(grad + (1.0 - 2.5)) <= EXACT_RTOL


def test_declared_only_keeps_the_fixed_nodes():
    """breakpoints="declared" opts out: the nodes see no moving jump (the documented zero)."""
    assert sr.grad(lambda s: _step(s, (0.0, 1.0), breakpoints="declared"))(0.3) == 0.0
    with pytest.raises(sr.SymrulesError, match="breakpoints must be"):
        _step(0.3, (0.0, 1.0), breakpoints="all")


def test_an_unsolvable_condition_warns_and_the_declared_point_is_used():
    expr = sp.Piecewise((a, x < c * sp.cos(x)), (b, True))
    root = brentq(lambda t: t - 0.5 * math.cos(t), 0.0, 1.0)
    f = sr.Integrand(expr, a=1.0, b=2.5, c=0.5)
    with pytest.warns(BreakpointWarning, match=r"cos\(x\)"):
        value = sr.integrate(f, (0.0, root, 1.0), RULE)
    assert abs(value - (root + 2.5 * (1 - root))) <= EXACT_RTOL

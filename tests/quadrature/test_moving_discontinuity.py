"""No silent zero in the AD path: a jump that moves with a traced value inside a panel raises.

Pins down: when ``integrate`` differentiates a plain numpy integrand by the engine
(``method="ad"``) and the integrand compares its nodes with a traced value -- ``x < s``,
``np.where(x > s, ...)``, ``np.heaviside(x - s, ...)``, ``np.maximum(x, s)``, ``np.sign``,
``np.floor`` -- inside a panel, :class:`MovingDiscontinuityError` names the numpy function and
the traced field and shows the fix; with the jump declared as a breakpoint the gradient is the
exact Leibniz answer; a comparison of the nodes alone, of traced values alone, or with a jump
outside the domain does not raise and is exact. Oracles: closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr
from symrules.errors import MovingDiscontinuityError, QuadratureInputError, SymrulesError
from symrules.quadrature import GaussLegendre, Trapezoid, integrate
from symrules.quadrature.adaptive import GaussKronrod

S = 0.4
# GaussLegendre(8) and GaussKronrod integrate each smooth piece to round-off; the trapezoid
# rule is exact on the piecewise-linear integrands below, once the jump is a breakpoint.
EXACT_RTOL = 1e-9
RULES = [GaussLegendre(8), GaussKronrod(), Trapezoid(16)]
RULE_IDS = ["GaussLegendre8", "GaussKronrod", "Trapezoid16"]

# name -> (integrand family in s, dI/ds on [0, 1] at s, by hand)
MOVING = {
    "where_less": (lambda s: lambda x: np.where(x < s, 1.0 + x, 0.0), 1.0 + S),
    "less_operator": (lambda s: lambda x: (x < s) * 2.0 + 0.0 * x, 2.0),
    "where_greater": (lambda s: lambda x: np.where(x > s, 2.0, x), S - 2.0),
    "heaviside": (lambda s: lambda x: np.heaviside(x - s, 0.5) * x, -S),
    "maximum": (lambda s: lambda x: np.maximum(x, s), S),
    "sign": (lambda s: lambda x: np.sign(x - s), -2.0),
    "floor": (lambda s: lambda x: np.floor(x - s), -1.0),
}
FUNCTIONS = {
    "where_less": "numpy.less",
    "less_operator": "numpy.less",
    "where_greater": "numpy.greater",
    "heaviside": "numpy.heaviside",
    "maximum": "numpy.maximum",
    "sign": "numpy.sign",
    "floor": "numpy.floor",
}


def loss(family, domain, rule):
    def area(s):
        points = tuple(s if p == "s" else p for p in domain)
        return integrate(family(s), points, rule, method="ad")

    return area


def test_the_error_is_a_quadrature_input_error():
    assert issubclass(MovingDiscontinuityError, QuadratureInputError)
    assert issubclass(MovingDiscontinuityError, SymrulesError)


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_where_less_without_breakpoint_raises_naming_the_comparison(rule):
    with pytest.raises(MovingDiscontinuityError) as info:
        sr.grad(loss(MOVING["where_less"][0], (0.0, 1.0), rule))(S)
    message = str(info.value)
    assert message.startswith("numpy.less compares the nodes x with the traced field f.s:")
    assert "integrate(f, (0.0, s, 1.0))" in message
    assert "symrules.Integrand" in message


@pytest.mark.parametrize("name", list(MOVING))
def test_every_comparison_form_raises(name):
    family, _ = MOVING[name]
    with pytest.raises(MovingDiscontinuityError, match=f"^{FUNCTIONS[name]} compares .* f.s:"):
        sr.grad(loss(family, (0.0, 1.0), GaussLegendre(8)))(S)


# A closed rule puts a node on the kink of maximum(x, s), where the engine splits the
# derivative of the tie in half: that case is left to the open rules.
BREAKPOINT_CASES = [
    pytest.param(name, rule, id=f"{name}-{rule_id}")
    for name in MOVING
    for rule, rule_id in zip(RULES, RULE_IDS, strict=True)
    if not (name == "maximum" and isinstance(rule, Trapezoid))
]


@pytest.mark.parametrize(("name", "rule"), BREAKPOINT_CASES)
def test_declared_breakpoint_keeps_the_exact_answer(name, rule):
    family, exact = MOVING[name]
    g = sr.grad(loss(family, (0.0, "s", 1.0), rule))(S)
    np.testing.assert_allclose(g, exact, rtol=EXACT_RTOL)


def test_the_field_named_is_the_one_that_moves_the_jump():
    def area(a, s):
        def f(x):
            return a * np.where(x < s, 1.0, 0.0)

        return integrate(f, (0.0, 1.0), GaussLegendre(8), method="ad")

    with pytest.raises(MovingDiscontinuityError, match=r"with the traced field f\.s:"):
        sr.grad(area, argnums=(0, 1))(2.0, S)


def test_a_comparison_of_the_nodes_alone_is_fine():
    # I = s (0.5^2 / 2) + s 0.5, dI/ds = 0.625
    def area(s):
        return integrate(lambda x: np.where(x < 0.5, s * x, s), (0.0, 0.5, 1.0), method="ad")

    np.testing.assert_allclose(sr.grad(area)(S), 0.625, rtol=EXACT_RTOL)


def test_a_comparison_of_traced_values_alone_is_fine():
    # for s < 0.5, I = s / 2, dI/ds = 1 / 2
    def area(s):
        return integrate(lambda x: np.where(s < 0.5, s * x, x), (0.0, 1.0), method="ad")

    np.testing.assert_allclose(sr.grad(area)(S), 0.5, rtol=EXACT_RTOL)


def test_a_jump_outside_the_domain_is_fine():
    # for s > 1, I = 1 whatever s: dI/ds = 0 exactly, and no node sees the jump
    area = loss(lambda s: lambda x: np.where(x < s, 1.0, 0.0), (0.0, 1.0), GaussLegendre(8))
    np.testing.assert_allclose(sr.grad(area)(1.5), 0.0, atol=0.0)


def test_a_jump_at_a_fixed_node_of_a_plain_integrand_is_fine():
    # the jump at 0.5 does not move: I = s (0.5 + 2 * 0.5), dI/ds = 1.5
    def area(s):
        return integrate(lambda x: s * np.where(x < 0.5, 1.0, 2.0), (0.0, 0.5, 1.0), method="ad")

    np.testing.assert_allclose(sr.grad(area)(S), 1.5, rtol=EXACT_RTOL)


def test_an_integrand_may_still_copy_and_write_its_nodes():
    # the nodes behave as a numpy array (copy, mask, write); I = s / 2, dI/ds = 0.5
    def f_of(s):
        def f(x):
            y = x.copy()
            y[np.asarray(x) > 0.5] = 1.0
            return s * x + 0.0 * y

        return f

    g = sr.grad(lambda s: integrate(f_of(s), (0.0, 1.0), GaussLegendre(4), method="ad"))(S)
    np.testing.assert_allclose(g, 0.5, rtol=EXACT_RTOL)

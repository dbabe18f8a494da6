"""integrate over boxes in several dimensions: values and gradients by every method, by value.

The oracle is SymPy (tests/box_catalogue.py integrates each expression exactly and
differentiates the result); the QMC and Monte Carlo estimates are checked against it within
their own error estimates; second derivatives and the forward rule against SymPy too.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from box_catalogue import PROBLEMS, BoxProblem, exact, integrand

import symrules as sr
from symrules.quadrature import QMC, GaussLegendre, MonteCarlo, Product

METHODS = ("symbolic", "ad", "fd")
# finite differences of the quadrature sum: a central difference with a step near eps**(1/3)
# leaves a relative error of about 1e-10 on these smooth integrands
FD_TOL = 1e-8


def _loss(problem: BoxProblem, method: str):
    """``loss(*params, *traced_bounds)``: the integral as a function of what is differentiated."""
    names = list(problem.params)

    def loss(*args):
        params = dict(zip(names, args[: len(names)], strict=True))
        bounds = list(problem.bounds)
        for k, value in zip(problem.traced_bounds, args[len(names) :], strict=True):
            bounds[k] = value
        box = tuple(zip(bounds[::2], bounds[1::2], strict=True))
        return sr.integrate(integrand(problem, method, params), box, problem.rule, method)

    args = [*problem.params.values(), *(problem.bounds[k] for k in problem.traced_bounds)]
    return loss, args


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.id)
def test_value_and_gradient_match_sympy(problem, method):
    loss, args = _loss(problem, method)
    value, gradient = sr.value_and_grad(loss, argnums=tuple(range(len(args))))(*args)
    want_value, want_gradient = exact(problem)
    tol = max(problem.tol, FD_TOL if method == "fd" else 0.0)
    assert value == pytest.approx(want_value, rel=problem.tol)
    assert np.array(gradient, dtype=float) == pytest.approx(want_gradient, rel=tol, abs=tol)


@pytest.mark.parametrize("method", ["symbolic", "ad"])
def test_forward_rule_matches_sympy(method):
    problem = PROBLEMS[2]  # poly_box: every parameter and bound moves
    loss, args = _loss(problem, method)
    rng = np.random.default_rng(4)
    tangent = rng.standard_normal(len(args))
    _, y_dot = sr.jvp(loss, args, list(tangent))
    assert float(y_dot) == pytest.approx(exact(problem)[1] @ tangent, rel=1e-12)


@pytest.mark.parametrize("method", ["symbolic", "ad"])
def test_second_derivatives_in_a_parameter_and_a_bound(method):
    """d^2/da^2 and d^2/db^2 of the integral of exp(-a (x^2 + y^2)) over [0, b] x [0, 1]:
    the bound's second derivative differentiates the face integral again."""
    a, b, x, y = sp.symbols("a b x y", positive=True)
    exact_value = sp.integrate(sp.exp(-a * (x**2 + y**2)), (x, 0, b), (y, 0, 1))
    at = {a: 0.7, b: 0.8}
    want = [[float(sp.N(sp.diff(exact_value, s, t).subs(at))) for t in (a, b)] for s in (a, b)]

    def loss(ab):
        f = integrand(PROBLEMS[0], method, {"a": ab[0]})
        return sr.integrate(f, ((0.0, ab[1]), (0.0, 1.0)), Product(GaussLegendre(20)), method)

    hess = sr.hessian(loss)(np.array([0.7, 0.8]))
    assert np.array(hess, dtype=float) == pytest.approx(np.array(want), rel=1e-10)


def test_one_axis_box_uses_the_point_as_its_face():
    """((a, b),): f gets x of shape (n, 1), and d/db is f(b)."""

    def loss(b):
        return sr.integrate(lambda x: np.sin(x[:, 0]), ((0.0, b),), GaussLegendre(10))

    value, slope = sr.value_and_grad(loss)(1.2)
    assert value == pytest.approx(1 - np.cos(1.2), rel=1e-13)
    assert slope == pytest.approx(np.sin(1.2), rel=1e-13)


@pytest.mark.parametrize("rule", [QMC(2**12, seed=3), QMC(2**12, "halton", seed=3),
                                  MonteCarlo(2**16, seed=3)], ids=repr)  # fmt: skip
def test_randomised_rules_are_within_their_error_estimate(rule):
    """4-D: sin(1)**4 of prod cos(x_k) over [0, 1]^4, and an infinite box, within 4 sigma."""
    result = sr.estimate(lambda x: np.cos(x).prod(axis=1), ((0, 1),) * 4, rule)
    assert abs(result.value - np.sin(1.0) ** 4) < 4 * result.error
    gaussian = sr.estimate(
        lambda x: np.exp(-(x**2).sum(axis=1)), ((0, np.inf), (-np.inf, np.inf)), rule
    )
    assert abs(gaussian.value - np.pi / 2) < 4 * gaussian.error


def test_qmc_error_shrinks_faster_than_monte_carlo():
    f, box = (lambda x: np.exp(x.sum(axis=1))), ((0, 1),) * 3
    qmc_error = sr.estimate(f, box, QMC(2**14, seed=1)).error
    mc_error = sr.estimate(f, box, MonteCarlo(8 * 2**14, seed=1)).error
    assert qmc_error < mc_error / 10  # same number of points; QMC converges near 1/n


def test_product_rule_has_no_error_estimate():
    result = sr.estimate(lambda x: x[:, 0] * x[:, 1], ((0, 1), (0, 2)), Product(GaussLegendre(2)))
    assert result == (pytest.approx(1.0, rel=1e-15), None, 4)


def test_sobol_points_are_not_biased_below_their_error_estimate():
    """The mean of x over [0, 1]^3 is 1/2 exactly for every balanced scrambled Sobol' net; with
    scipy's default 30 bits each point is a multiple of 2**-30 and the mean comes out 2**-31
    low in every replicate alike, which the replicates' spread cannot reveal."""
    result = sr.estimate(lambda x: x.sum(axis=1), ((0, 1),) * 3, QMC(2**12, seed=9))
    assert abs(result.value - 1.5) < 1e-13

"""Bad input to integrate over a box raises a named error saying what is wrong, never a number."""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr
from symrules.quadrature import QMC, GaussKronrod, GaussLegendre, MonteCarlo, Product


def gaussian(x):
    return np.exp(-(x**2).sum(axis=1))


@pytest.mark.parametrize(("domain", "match"), [
    (((0, 1), (0,)), r"domain axis 1 must be a pair \(a1, b1\)"),
    (((0, 1), (0, 1, 2)), "domain axis 1 must be a pair"),
    (((0, 1), ("a", 1)), "domain bound a1 must be a real scalar"),
    (((0, 1), (0, np.nan)), "domain bound b1 is NaN"),
    (np.zeros((2, 3)), "domain axis 0 must be a pair"),
])  # fmt: skip
def test_malformed_box(domain, match):
    with pytest.raises(sr.QuadratureInputError, match=match):
        sr.integrate(gaussian, domain)


@pytest.mark.parametrize(("f", "match"), [
    (lambda x: x, r"returned values of shape \(400, 2\) for 400 points in 2 dimensions"),
    (lambda x: x.sum(), r"returned values of shape \(\) for 400 points"),
    (lambda x: np.where(x[:, 0] > 0.5, np.nan, 1.0), r"returned nan at node x=\[0\.5\d+, "),
    (lambda x: (x[:, 0] > 0.5).astype(complex), "returned complex128 values"),
])  # fmt: skip
def test_integrand_returning_bad_values(f, match):
    with pytest.raises(sr.QuadratureInputError, match=match):
        sr.integrate(f, ((0, 1), (0, 1)))


def test_traced_infinite_bound():
    with pytest.raises(sr.QuadratureInputError, match="domain bound b1 is inf and traced"):
        sr.grad(lambda b: sr.integrate(gaussian, ((0, 1), (0, b))))(np.inf)


def test_non_finite_gradient_names_the_field_and_point():
    def loss(a):
        return sr.integrate(
            lambda x: np.sqrt(a * x[:, 0]), ((0, 1), (0, 1)), Product(sr.Trapezoid(5))
        )

    with (
        np.errstate(divide="ignore", invalid="ignore"),
        pytest.raises(sr.QuadratureInputError, match=r"field f\.a .* at the node x=\[0\.0, "),
    ):
        sr.grad(loss)(0.5)  # fmt: skip


@pytest.mark.parametrize(("rule", "match"), [
    (Product(GaussLegendre(3), GaussLegendre(4), GaussLegendre(5)), "has 3 rules for a domain in"),
    (GaussKronrod(), "the adaptive GaussKronrod"),
    ("sobol", "rule must be a CubatureRule"),
])  # fmt: skip
def test_rule_that_does_not_fit_the_box(rule, match):
    with pytest.raises(sr.QuadratureInputError, match=match):
        sr.integrate(gaussian, ((0, 1), (0, 1)), rule)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: QMC(1000), r"power of two.*use n=512 or n=1024"),
    (lambda: QMC(2**10, scramble=False), "unscrambled replicates are all the same points"),
    (lambda: QMC(2**10, sequence="lattice"), "sequence must be 'sobol' or 'halton'"),
    (lambda: QMC(2**10, replicates=0), "replicates must be at least 1"),
    (lambda: QMC(2**10, seed=-1), "seed must be a non-negative integer"),
    (lambda: MonteCarlo(1.5), "n must be an integer"),
])  # fmt: skip
def test_bad_rule_arguments(make, match):
    with pytest.raises(sr.QuadratureInputError, match=match):
        make()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"chunk_size": 0}, "chunk_size must be a positive integer"),
    ({"chunk_size": 2.5}, "chunk_size must be a positive integer"),
    ({"executor": "dask"}, "executor must be a concurrent.futures.Executor"),
])  # fmt: skip
def test_bad_chunks_or_executor(kwargs, match):
    with pytest.raises(sr.QuadratureInputError, match=match):
        sr.integrate(gaussian, ((0, 1), (0, 1)), **kwargs)


def test_box_rule_or_chunks_with_a_one_dimensional_domain():
    with pytest.raises(
        sr.QuadratureInputError, match=r"for a box domain; integrate over \(\(a, b\),\)"
    ):
        sr.integrate(np.exp, (0, 1), QMC(2**8))
    with pytest.raises(sr.QuadratureInputError, match="chunk_size and executor: for a box domain"):
        sr.integrate(np.exp, (0, 1), chunk_size=64)


def test_integrand_variables_must_match_the_box():
    f = sr.Integrand("x*y", var=("x", "y"))
    with pytest.raises(sr.QuadratureInputError, match=r"2 variables \('x', 'y'\).*box in 3"):
        sr.integrate(f, ((0, 1),) * 3)
    with pytest.raises(sr.QuadratureInputError, match="integrate it over a box"):
        sr.integrate(f, (0, 1))
    with pytest.raises(
        sr.QuadratureInputError, match="the one variable x, and the domain is a box"
    ):
        sr.integrate(sr.Integrand("x**2"), ((0, 1), (0, 1)))


def test_fd_refuses_a_second_derivative():
    def loss(a):
        return sr.integrate(lambda x: np.exp(-a * x[:, 0]), ((0, 1), (0, 1)), method="fd")

    with pytest.raises(sr.MethodError, match="method='fd' gives first derivatives only"):
        sr.hessian(loss)(np.array(0.5))


def _step(s, height=2.0):
    return lambda x: np.where(x[:, 0] < s, height, 0.0) * x[:, 1]


@pytest.mark.parametrize("chunk_size", [None, 8], ids=["one-chunk", "jump-between-chunks"])
def test_a_jump_moving_inside_the_box_is_refused(chunk_size):
    """d/ds of the integral of 2 y [x0 < s] over the unit square is 1, all of it from the moving
    jump, which no tape over fixed points sees: "ad" raises instead of returning 0. With chunks
    of 8 points of a 4 x 4 grid the jump lies between two chunks, each constant inside."""

    def loss(s):
        rule = Product(GaussLegendre(4))
        return sr.integrate(_step(s), ((0, 1), (0, 1)), rule, "ad", chunk_size=chunk_size)

    with pytest.raises(sr.MovingDiscontinuityError, match=r"numpy\.less .* traced f\.s"):
        sr.grad(loss)(0.5)


def test_a_box_split_where_the_jump_sits_gets_its_term_exactly():
    """Split at x0 = s: each face is read one step inside its box, so the jump's term
    (the integral of 2 y over the face, 1) comes from Leibniz' rule."""

    def loss(s):
        f = _step(s)
        return sr.integrate(f, ((0, s), (0, 1)), method="ad") + sr.integrate(
            f, ((s, 1), (0, 1)), method="ad"
        )

    value, slope = sr.value_and_grad(loss)(0.4)
    assert value == pytest.approx(0.4, rel=1e-14)  # 2 * 0.4 * 1/2
    assert slope == pytest.approx(1.0, rel=1e-14)


def test_a_jump_outside_the_box_is_no_error():
    def loss(s):
        return sr.integrate(_step(s), ((0, 1), (0, 1)), method="ad")

    assert sr.grad(loss)(1.5) == 0.0  # the step is 2 everywhere in the box: no term


@pytest.mark.parametrize("method", ["symbolic", "ad", "fd"])
def test_an_integrand_whose_jump_moves_is_refused_by_every_method(method):
    """SymPy finds the step's parameter; differentiating in another parameter is fine."""
    f = sr.Integrand("Heaviside(s - x)*y + a*y**2", var=("x", "y"), s=0.4, a=0.5)

    def loss(s, a):
        g = sr.Integrand(f.expr, var=f.var, s=s, a=a)
        return sr.integrate(g, ((0, 1), (0, 1)), method=method)

    with pytest.raises(sr.MovingDiscontinuityError, match=r"moves with f\.s"):
        sr.grad(loss, argnums=(0, 1))(0.4, 0.5)
    slope = sr.grad(loss, argnums=1)(0.4, 0.5)  # d/da of a y^2 over the unit square: 1/3
    assert slope == pytest.approx(1 / 3, rel=1e-8 if method == "fd" else 1e-13)


def test_a_lifted_closure_whose_jump_moves_is_refused():
    """method="symbolic" lifts the closure; SymPy finds its step's parameter, as for an
    Integrand, and the gradient in it is refused instead of missing the surface term."""

    def loss(s):
        return sr.integrate(_step(s), ((0, 1), (0, 1)), method="symbolic")

    with pytest.raises(sr.MovingDiscontinuityError, match=r"moves with f\.fn\.s"):
        sr.grad(loss)(0.4)


def test_a_lifted_closure_over_a_box_gets_the_closed_form_gradient():
    def loss(a):
        return sr.integrate(lambda x: np.exp(-a * (x**2).sum(axis=1)), ((0, 1), (0, 1)),
                            method="symbolic")  # fmt: skip

    erf_1 = 0.746824132812427  # the integral of exp(-x^2) over [0, 1]
    d_erf = (np.exp(-1.0) - erf_1) / 2  # d/da of the integral of exp(-a x^2), at a = 1
    assert sr.grad(loss)(1.0) == pytest.approx(2 * erf_1 * d_erf, rel=1e-12)

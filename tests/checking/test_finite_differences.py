"""Finite differences: exact stencils, their observed order of convergence, and gradients.

Pins down: the coefficients of a p-point stencil match the classical tables exactly (as
fractions); the error of a stencil of accuracy order a falls like h^a (log-log slope);
Richardson extrapolation shrinks the error; gradients over floats, arrays, containers,
closures and dataclasses match closed forms and come back shaped like the input, and so do
their error estimates, which bound the true error; near a bound the stencil turns one-sided;
bad input raises FiniteDifferenceError. (The step search itself: test_stencils.py.)
"""

import dataclasses
from fractions import Fraction as F

import numpy as np
import pytest

import symrules as sr
from symrules.engine.tangents import NoTangent, Tangent
from symrules.errors import FiniteDifferenceError, SymrulesError
from symrules.finite_differences import (
    FDM,
    backward_fdm,
    central_fdm,
    forward_fdm,
    gradient,
    inner,
    jacobian,
    jvp,
    richardson,
    vjp,
)

# Observed convergence slope may differ from the theoretical order by this much: the error
# is c h^a (1 + O(h)) plus round-off; the fitted steps run from 32 down to 2 times the
# step rule's h, where truncation dominates round-off by at least 2^(a+q).
ORDER_TOL = 0.1
# The default 5-point central step gives ~1e-12 relative error on O(1) smooth functions;
# 1e-9 leaves room for functions with larger higher derivatives.
FD_RTOL = 1e-9

TABLES = {
    "central3_d1": (central_fdm(3), [F(-1, 2), 0, F(1, 2)], 2),
    "central5_d1": (central_fdm(5), [F(1, 12), F(-2, 3), 0, F(2, 3), F(-1, 12)], 4),
    "central7_d1": (
        central_fdm(7),
        [F(-1, 60), F(3, 20), F(-3, 4), 0, F(3, 4), F(-3, 20), F(1, 60)],
        6,
    ),
    "forward2_d1": (forward_fdm(2), [-1, 1], 1),
    "forward3_d1": (forward_fdm(3), [F(-3, 2), 2, F(-1, 2)], 2),
    "backward3_d1": (backward_fdm(3), [F(1, 2), -2, F(3, 2)], 2),
    "central3_d2": (central_fdm(3, 2), [1, -2, 1], 2),
    "central5_d2": (central_fdm(5, 2), [F(-1, 12), F(4, 3), F(-5, 2), F(4, 3), F(-1, 12)], 4),
    "forward4_d2": (forward_fdm(4, 2), [2, -5, 4, -1], 2),
    "central5_d4": (central_fdm(5, 4), [1, -4, 6, -4, 1], 2),
}


@pytest.mark.parametrize("name", TABLES)
def test_coefficients_match_tables(name):
    method, coefs, order = TABLES[name]
    assert method.coefs == tuple(F(c) for c in coefs)
    assert method.order == order


def test_repr_prints_the_stencil():
    assert repr(central_fdm(5)) == (
        "FDM(central, 5 points, d1, order 4: coefs [1/12, -2/3, 0, 2/3, -1/12] "
        "at [-2, -1, 0, 1, 2])"
    )
    assert "richardson 2" in repr(forward_fdm(2, richardson=2))


def test_custom_offsets_solved_exactly():
    # Non-integer grid: f'(0) from f(-1/2), f(0), f(1) is -4/3, 1, 1/3 (solved by hand).
    method = FDM([F(-1, 2), 0, 1])
    assert method.coefs == (F(-4, 3), F(1), F(1, 3))
    assert method.kind == "custom"


# (function, derivative q, its exact q-th derivative at x0)
SMOOTH = {
    "exp": (np.exp, {1: np.exp, 2: np.exp, 4: np.exp}),
    "sin": (np.sin, {1: np.cos, 2: lambda x: -np.sin(x), 4: np.sin}),
}


@pytest.mark.parametrize("fun_name", SMOOTH)
@pytest.mark.parametrize("name", TABLES)
def test_observed_order_of_convergence(name, fun_name):
    method, _, order = TABLES[name]
    fun, exact = SMOOTH[fun_name]
    x0 = 0.7
    steps = 32 * method.step_size() * 0.5 ** np.arange(5)
    errors = [abs(method(fun, x0, step=h) - exact[method.deriv](x0)) for h in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < ORDER_TOL


def test_default_step_is_accurate():
    for method in (central_fdm(5), central_fdm(7), forward_fdm(5)):
        assert np.isclose(method(np.exp, 0.3), np.exp(0.3), rtol=FD_RTOL, atol=0)


def test_richardson_improves_accuracy():
    # Central 3-point at h = 0.1: error ~ h^2/6 e^x ~ 3e-3; one level removes the h^2 term.
    plain = abs(central_fdm(3)(np.exp, 0.5, step=0.1) - np.exp(0.5))
    once = abs(central_fdm(3, richardson=1)(np.exp, 0.5, step=0.1) - np.exp(0.5))
    twice = abs(central_fdm(3, richardson=2)(np.exp, 0.5, step=0.1) - np.exp(0.5))
    assert once < plain / 1e3
    assert twice < once / 10


def test_richardson_function_raises_order():
    # forward difference has error h/2 + h^2/6 + ...; two levels leave O(h^3).
    def forward(h):
        return (np.exp(h) - 1.0) / h

    steps = 0.2 * 0.5 ** np.arange(4)
    errors = [abs(richardson(forward, h, 1, levels=2) - 1.0) for h in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - 3) < ORDER_TOL


def test_gradient_accepts_a_method_object():
    # forward 2-point (order 1) plus two Richardson levels reaches order 3.
    method = forward_fdm(2, richardson=2)
    x = np.array([0.1, 0.9])
    assert np.allclose(gradient(lambda v: np.sum(np.sin(v)), x, method), np.cos(x), rtol=1e-8)


def test_step_rule_formula():
    method = central_fdm(5)
    eps = np.finfo(float).eps
    expected = 2.0 * (eps * 1.5 / (1 / 30)) ** (1 / 5)
    assert np.isclose(method.step_size(2.0), expected, rtol=1e-14)


def test_gradient_scalar_and_array():
    assert np.isclose(gradient(np.sin, 0.4), np.cos(0.4), rtol=FD_RTOL)
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    g = gradient(lambda v: np.sum(v**3), x)
    assert g.shape == x.shape
    assert np.allclose(g, 3 * x**2, rtol=FD_RTOL)


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_gradient_methods_and_orders(method):
    for order in (2, 4):
        assert np.isclose(gradient(np.exp, 0.2, method=method, order=order), np.exp(0.2), rtol=1e-6)


def test_gradient_over_closure_captured_array():
    def quadratic(p, n):
        return lambda t: p[0] * t**2 + p[1] * t + n

    f = quadratic(np.array([2.0, -1.0]), 3)
    f_bar = gradient(lambda g: g(1.5) + g(-0.5), f)
    assert isinstance(f_bar, Tangent) and f_bar.primal is f
    # d/dp0 = 1.5^2 + 0.5^2, d/dp1 = 1.5 - 0.5; n is an int: no derivative.
    assert np.allclose(f_bar.fields["p"], [2.5, 1.0], rtol=FD_RTOL)
    assert f_bar.fields["n"] is NoTangent()


@dataclasses.dataclass(frozen=True)
class Gaussian:
    mu: float
    sigma: float
    shape: tuple
    label: str = "g"

    def __call__(self, t):
        return np.exp(-((t - self.mu) ** 2) / (2 * self.sigma**2)) * self.shape[0]


def test_gradient_over_dataclass_fields():
    f = Gaussian(0.3, 0.8, (2.0, 5))
    t = 1.1
    f_bar = gradient(lambda g: g(t), f)
    e = np.exp(-((t - 0.3) ** 2) / (2 * 0.8**2))
    assert np.isclose(f_bar.mu, 2.0 * e * (t - 0.3) / 0.8**2, rtol=FD_RTOL)
    assert np.isclose(f_bar.sigma, 2.0 * e * (t - 0.3) ** 2 / 0.8**3, rtol=FD_RTOL)
    assert np.isclose(f_bar.shape[0], e, rtol=FD_RTOL)
    assert f_bar.shape[1] is NoTangent() and f_bar.label is NoTangent()


def test_gradient_over_pytree_keeps_structure():
    x = {"a": np.array([1.0, 2.0]), "b": (0.5, 7)}
    g = gradient(lambda d: np.sum(d["a"] ** 2) * d["b"][0], x)
    assert set(g) == {"a", "b"} and isinstance(g["b"], tuple)
    assert np.allclose(g["a"], 2 * x["a"] * 0.5, rtol=FD_RTOL)
    assert np.isclose(g["b"][0], 5.0, rtol=FD_RTOL)
    assert g["b"][1] is NoTangent()


def test_gradient_structure_mirrors_fields():
    def make(p, q):
        return lambda t: p * t + len(q[1]) * q[0]

    f = make(2.0, (1.0, "ab"))
    f_bar = gradient(lambda g: g(3.0), f)
    assert np.isclose(f_bar.fields["p"], 3.0, rtol=FD_RTOL)
    q_bar = f_bar.fields["q"]
    assert isinstance(q_bar, tuple) and np.isclose(q_bar[0], 2.0, rtol=FD_RTOL)
    assert q_bar[1] is NoTangent()


def test_not_finite_anywhere_raises_and_bounds_fix_it():
    # sqrt at 0: every central stencil reaches below 0, so no step gives a finite value; the
    # message says how to stay inside the domain.
    with pytest.raises(FiniteDifferenceError, match=r"pass bounds=\(lo, hi\)"):
        gradient(np.sqrt, 0.0)
    # Near 0 the search skips the steps that leave the domain; bounds turn it one-sided.
    x = 2e-3
    assert np.isclose(gradient(np.sqrt, x), 0.5 / np.sqrt(x), rtol=FD_RTOL)
    assert np.isclose(gradient(np.sqrt, x, bounds=(0.0, np.inf)), 0.5 / np.sqrt(x), rtol=FD_RTOL)
    # At the bound itself sqrt' is infinite: a finite value, flagged by its error estimate.
    g, err = gradient(np.sqrt, 0.0, bounds=(0.0, np.inf), error=True)
    assert np.isfinite(g) and err >= g


def test_a_trial_step_outside_the_integrands_domain_is_a_step_too_large():
    # integrate refuses a NaN integrand value with NonFiniteValueError, an ArithmeticError:
    # the search's first steps move c past the first node, where sqrt(x - c) is NaN, and the
    # finer ones give the derivative. Oracle: -sum w / (2 sqrt(x - c)) on the same nodes.
    rule, c = sr.GaussLegendre(8), 0.573
    x, w = rule.nodes_weights(c, 0.9)
    g = gradient(lambda c: sr.integrate(lambda x: np.sqrt(x - c), (0.573, 0.9), rule), c)
    assert np.isclose(g, -np.sum(w / (2 * np.sqrt(x - c))), rtol=FD_RTOL)


def test_one_sided_at_the_boundary_is_accurate():
    # Smooth up to the bound: forward at the lower end, backward at the upper end.
    assert np.isclose(gradient(np.exp, 0.0, bounds=(0.0, 1.0)), 1.0, rtol=FD_RTOL)
    assert np.isclose(gradient(np.exp, 1.0, bounds=(0.0, 1.0)), np.e, rtol=FD_RTOL)
    # A narrow domain: the step shrinks to fit.
    assert np.isclose(gradient(np.exp, 0.5, bounds=(0.499, 0.501)), np.exp(0.5), rtol=1e-6)


def test_error_estimates_are_shaped_like_the_gradient():
    def quadratic(p, n):
        return lambda t: p[0] * t**2 + p[1] * t + n

    f = quadratic(np.array([2.0, -1.0]), 3)
    f_bar, err = gradient(lambda g: g(1.5) + g(-0.5), f, error=True)
    assert isinstance(err, Tangent) and err.primal is f
    assert err.fields["p"].shape == (2,) and err.fields["n"] is NoTangent()
    assert np.all(np.abs(f_bar.fields["p"] - [2.5, 1.0]) <= err.fields["p"])
    x = {"a": np.array([1.0, 2.0]), "b": (0.5, 7)}
    g, e = gradient(lambda d: np.sum(d["a"] ** 2) * d["b"][0], x, error=True)
    assert isinstance(e["b"], tuple) and e["b"][1] is NoTangent()
    assert np.all(np.abs(g["a"] - x["a"]) <= e["a"]) and abs(g["b"][0] - 5.0) <= e["b"][0]
    assert gradient(np.sin, 0.4) == gradient(np.sin, 0.4, error=True)[0]


def test_jacobian_jvp_and_vjp_estimate_their_error(rng):
    a = rng.standard_normal((2, 3))
    x, v, u = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(2)

    def fun(z):
        return np.tanh(a @ z)

    exact = (1 - np.tanh(a @ x) ** 2)[:, None] * a  # d tanh(a z) / dz
    J, J_err = jacobian(fun, x, error=True)
    assert J_err.shape == J.shape == (2, 3) and np.all(np.abs(J - exact) <= J_err)
    y_dot, y_dot_err = jvp(fun, x, v, error=True)
    assert np.all(np.abs(y_dot - exact @ v) <= y_dot_err)
    x_bar, x_bar_err = vjp(fun, x, u, error=True)
    assert np.all(np.abs(x_bar - u @ exact) <= x_bar_err)


def test_jvp_vector_valued():
    x = np.array([0.3, -0.2, 1.0])
    v = np.array([1.0, 2.0, -1.0])

    def fun(z):
        return np.array([z[0] * z[1], np.sin(z[2])])

    expected = np.array([v[0] * x[1] + x[0] * v[1], np.cos(x[2]) * v[2]])
    assert np.allclose(jvp(fun, x, v), expected, rtol=FD_RTOL)


def test_jvp_and_vjp_over_fields():
    def line(p):
        return lambda t: p[0] * t + p[1]

    f = line(np.array([2.0, 1.0]))
    ts = np.array([0.0, 1.0, 2.0])
    direction = Tangent(f, p=np.array([1.0, -1.0]))
    assert np.allclose(jvp(lambda g: g(ts), f, direction), ts - 1.0, rtol=FD_RTOL)
    u = np.array([1.0, 2.0, 3.0])
    f_bar = vjp(lambda g: g(ts), f, u)
    assert np.allclose(f_bar.fields["p"], [u @ ts, u.sum()], rtol=FD_RTOL)


def test_vjp_inner_product_identity(rng):
    a = rng.standard_normal((3, 4))
    x, v, u = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(3)

    def fun(z):
        return np.tanh(a @ z)

    assert np.isclose(inner(vjp(fun, x, u), v), inner(u, jvp(fun, x, v)), rtol=FD_RTOL)


def test_jacobian_shape_and_values(rng):
    a = rng.standard_normal((2, 3))
    x = rng.standard_normal((3,))
    J = jacobian(lambda z: a @ z, x)
    assert J.shape == (2, 3)
    assert np.allclose(J, a, rtol=FD_RTOL, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: FDM([0, 1], deriv=2), "2-point stencil cannot give derivative order 2"),
        (lambda: central_fdm(3, deriv=3), "needs at least 4 points"),
        (lambda: FDM([0, 1, 1]), "distinct"),
        (lambda: central_fdm(2.5), "points must be a positive integer"),
        (lambda: FDM([0, 1], deriv=0), "deriv must be"),
        (lambda: gradient(np.sin, 3), "no float values"),
        (lambda: gradient(np.sum, np.arange(3)), "no float values"),
        (lambda: gradient(lambda t: [t, t], 1.0), "scalar output"),
        (lambda: gradient(np.sin, 1.0, method="sideways"), "method must be"),
        (lambda: gradient(np.sin, 1.0, method=central_fdm(3), order=2), "not both"),
        (lambda: gradient(np.sin, 2.0, bounds=(0.0, 1.0)), "outside the bounds"),
        (lambda: gradient(np.sin, 1j), "complex"),
        (lambda: jvp(np.sin, np.ones(2), np.ones(3)), "shape"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(FiniteDifferenceError, match=match) as info:
        call()
    assert isinstance(info.value, SymrulesError)

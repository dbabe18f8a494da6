"""integrate(f, domain, rule, method): gradients in f's fields and the domain points are exact.

Pins down: every method ("symbolic", "ad", "fd") reproduces the closed-form value and gradient
of each catalogue problem (tests/integrate_catalogue.py), f_bar is right by value for a
closure, a dataclass and a partial, bounds and breakpoints follow Leibniz' rule (also when a
bound is the value f captures), a moving jump is missed by "fd" without a breakpoint and
exact with one, the discrete and continuous adjoints of the adaptive rule differ at a loose
tolerance and both converge, integrate nests under grad, forward mode agrees, and bad input
raises an error naming the culprit. Oracles: closed forms and finite differences.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pytest
from integrate_catalogue import CATALOGUE, Problem, RightRiemann

import symrules as sr
from symrules.errors import ConvergenceError, ConvergenceWarning, MethodError, QuadratureInputError
from symrules.quadrature import ClenshawCurtis, GaussLegendre, TanhSinh, Trapezoid, integrate
from symrules.quadrature.adaptive import GaussKronrod
from symrules.symbolic import Integrand
from symrules.testing import check_grad

# Exact rules (or the adaptive rule at rtol 1e-13) leave only summation round-off.
EXACT_RTOL = 1e-10
# Symbolic and AD gradients are the same sums over the same nodes: they agree to rounding.
ROUNDING_RTOL = 1e-13
# Central finite differences (order 4, step ~1e-3) of smooth sums reach ~1e-9 relative.
FD_RTOL = 1e-6
# Absolute floor for gradient entries that are exactly zero.
ATOL = 1e-12
METHODS = ("symbolic", "ad", "fd")


def loss_of(problem: Problem, method: str, symbolic: bool | None = None):
    """``p -> loss(integrate(f, domain, rule, method))``; ``f`` an Integrand if ``symbolic``
    (default: when ``method == "symbolic"``), else a closure."""
    names = list(problem.params)
    symbolic = method == "symbolic" if symbolic is None else symbolic

    def loss(p):
        v = {name: p[i] for i, name in enumerate(names)}
        inside = {name: v[name] for name in problem.inside}
        if symbolic:
            f = Integrand(problem.expr, **inside)
        else:

            def f(x):
                return problem.integrand(x, **inside)

        return problem.loss(integrate(f, problem.domain(v), problem.rule, method=method))

    return loss


def params_of(problem: Problem) -> np.ndarray:
    return np.array(list(problem.params.values()))


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("problem", CATALOGUE, ids=lambda p: p.id)
def test_catalogue_value_and_gradient(problem, method, compiled):
    run = sr.value_and_grad(loss_of(problem, method))
    if compiled:  # traced at a nearby point, then the generated code runs at the problem's
        run = sr.jit(run)
        run(params_of(problem) * 1.001)
    value, g = run(params_of(problem))
    np.testing.assert_allclose(value, problem.value, rtol=EXACT_RTOL)
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    np.testing.assert_allclose(g, problem.gradient, rtol=rtol, atol=ATOL)


@pytest.mark.parametrize("symbolic", [True, False], ids=["integrand", "closure"])
@pytest.mark.parametrize("problem", CATALOGUE, ids=lambda p: p.id)
def test_auto_method(problem, symbolic):
    g = sr.grad(loss_of(problem, "auto", symbolic))(params_of(problem))
    np.testing.assert_allclose(g, problem.gradient, rtol=EXACT_RTOL, atol=ATOL)


@pytest.mark.parametrize("problem", CATALOGUE, ids=lambda p: p.id)
def test_symbolic_and_ad_agree_to_rounding(problem):
    p = params_of(problem)
    g_symbolic = sr.grad(loss_of(problem, "symbolic"))(p)
    g_ad = sr.grad(loss_of(problem, "ad"))(p)
    np.testing.assert_allclose(g_symbolic, g_ad, rtol=ROUNDING_RTOL, atol=ATOL)


@pytest.mark.parametrize("problem", CATALOGUE[:5], ids=lambda p: p.id)
def test_check_grad_against_finite_differences(problem):
    check_grad(loss_of(problem, "ad"), params_of(problem))


HESSIAN = np.array([[0.0, 0.0], [0.0, 4.0]])  # of x**2 + p1**3 x + p2**2 on [-1, 1] at (1, 2)


@pytest.mark.parametrize("method", ["symbolic", "ad"])
def test_hessian_of_cubic(method):
    problem = CATALOGUE[2]
    H = sr.hessian(loss_of(problem, method))(params_of(problem))
    np.testing.assert_allclose(H, HESSIAN, atol=ATOL)


def test_fd_refuses_second_derivatives():
    with pytest.raises(MethodError, match="first derivatives only"):
        sr.hessian(loss_of(CATALOGUE[2], "fd"))(params_of(CATALOGUE[2]))


# f_bar by value: f(x) = s x + c x**2 on [0, 1], y_bar = 2: f_bar = 2 (1/2, 1/3).
Y_BAR = 2.0
S_BAR, C_BAR = Y_BAR / 2, Y_BAR / 3


def poly(s, x, c):
    return s * x + c * x**2


@dataclass(frozen=True)
class Poly:
    s: float
    c: float

    def __call__(self, x):
        return self.s * x + self.c * x**2


def f_bar_of(f, method):
    _, pullback = sr.vjp(lambda g: integrate(g, (0.0, 1.0), GaussLegendre(3), method), f)
    return pullback(Y_BAR)[0]


@pytest.mark.parametrize("method", ["ad", "fd"])
def test_f_bar_of_closure(method):
    s, c = 3.0, 0.5
    f_bar = f_bar_of(lambda x: s * x + c * x**2, method)
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    np.testing.assert_allclose([f_bar.fields["s"], f_bar.fields["c"]], [S_BAR, C_BAR], rtol=rtol)


@pytest.mark.parametrize("method", ["ad", "fd"])
def test_f_bar_of_dataclass(method):
    f_bar = f_bar_of(Poly(3.0, 0.5), method)
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    assert isinstance(f_bar, sr.Tangent) and f_bar.primal == Poly(3.0, 0.5)
    np.testing.assert_allclose([f_bar.fields["s"], f_bar.fields["c"]], [S_BAR, C_BAR], rtol=rtol)


@pytest.mark.parametrize("method", ["ad", "fd"])
def test_f_bar_of_partial(method):
    f_bar = f_bar_of(functools.partial(poly, 3.0, c=0.5), method)
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    np.testing.assert_allclose(f_bar.fields["args"][0], S_BAR, rtol=rtol)
    np.testing.assert_allclose(f_bar.fields["keywords"]["c"], C_BAR, rtol=rtol)


def test_f_bar_of_integrand_symbolic():
    f_bar = f_bar_of(Integrand("s*x + c*x**2", s=3.0, c=0.5), "symbolic")
    np.testing.assert_allclose([f_bar.fields["s"], f_bar.fields["c"]], [S_BAR, C_BAR],
                               rtol=ROUNDING_RTOL)  # fmt: skip


# Leibniz' rule


@pytest.mark.parametrize("method", METHODS)
def test_bound_equal_to_captured_value_adds_both_terms(method):
    def area(q):  # d/dq int_0^q q x dx = d/dq q**3 / 2 = 3 q**2 / 2
        f = Integrand("q*x", q=q) if method == "symbolic" else (lambda x: q * x)
        return integrate(f, (0.0, q), GaussLegendre(2), method)

    q = 1.3
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    np.testing.assert_allclose(sr.grad(area)(q), 1.5 * q**2, rtol=rtol)


@pytest.mark.parametrize("rule", [GaussLegendre(20), GaussKronrod()], ids=["gauss", "kronrod"])
def test_reversed_bounds_have_the_opposite_sign(rule):
    def f(x):
        return np.exp(x)

    def backwards(a, b):
        return integrate(f, (b, a), rule)

    forward = integrate(f, (0.2, 1.5), rule)
    np.testing.assert_allclose(backwards(0.2, 1.5), -forward, rtol=EXACT_RTOL)
    np.testing.assert_allclose(forward, np.exp(1.5) - np.exp(0.2), rtol=EXACT_RTOL)
    g_a, g_b = sr.grad(backwards, argnums=(0, 1))(0.2, 1.5)  # = -(int_a^b): (f(a), -f(b))
    np.testing.assert_allclose([g_a, g_b], [np.exp(0.2), -np.exp(1.5)], rtol=EXACT_RTOL)


def test_breakpoints_split_the_domain_and_are_differentiable():
    def area(c):  # int_0^2 x**2 dx split at c: value 8/3 for any c; the jump is 0
        return integrate(lambda x: x**2, (0.0, c, 2.0), GaussLegendre(2))

    np.testing.assert_allclose(area(0.7), 8 / 3, rtol=EXACT_RTOL)
    np.testing.assert_allclose(sr.grad(area)(0.7), 0.0, atol=ATOL)


def test_jump_at_traced_breakpoint_on_the_real_line():
    def area(c):  # int of exp(-x**2) up to c = sqrt(pi) / 2 (1 + erf(c)); d/dc = exp(-c**2)
        return integrate(lambda x: np.where(x < c, np.exp(-(x**2)), 0.0), (-np.inf, c, np.inf))

    c = 0.3
    value, g = sr.value_and_grad(area)(c)
    np.testing.assert_allclose(value, np.sqrt(np.pi) / 2 * (1 + math.erf(c)), rtol=EXACT_RTOL)
    np.testing.assert_allclose(g, np.exp(-(c**2)), rtol=EXACT_RTOL)


def test_domain_as_array():
    np.testing.assert_allclose(integrate(np.exp, np.array([0.0, 0.5, 1.0])), np.e - 1.0,
                               rtol=EXACT_RTOL)  # fmt: skip


# A jump at a moving position p: f = 1 + x for x < p, else 0; I = p + p**2 / 2, dI/dp = 1 + p.
JUMP_AT = 0.4


def step_area(method, breakpoint):
    def area(p):
        def f(x):
            return np.where(x < p, 1.0 + x, 0.0)

        domain = (0.0, p, 1.0) if breakpoint else (0.0, 1.0)
        return integrate(f, domain, GaussLegendre(8), method)

    return area


@pytest.mark.parametrize("method", ["fd"])  # "ad" raises: see test_moving_discontinuity.py
def test_moving_jump_without_breakpoint_is_silently_zero(method):
    # GaussLegendre(8) on [0, 1] has no node within the finite-difference stencil of 0.4.
    np.testing.assert_allclose(
        sr.grad(step_area(method, breakpoint=False))(JUMP_AT), 0.0, atol=ATOL
    )


@pytest.mark.parametrize("method", ["ad", "fd"])
def test_moving_jump_with_breakpoint_is_exact(method):
    value, g = sr.value_and_grad(step_area(method, breakpoint=True))(JUMP_AT)
    np.testing.assert_allclose(value, JUMP_AT + JUMP_AT**2 / 2, rtol=EXACT_RTOL)
    np.testing.assert_allclose(g, 1.0 + JUMP_AT, rtol=EXACT_RTOL)


# Adaptive adjoints: a Lorentzian peak of width s at 0.3, I = atan(0.7/s) + atan(0.3/s).
WIDTH = 1e-3
PEAK_GRADIENT = -0.7 / (WIDTH**2 + 0.49) - 0.3 / (WIDTH**2 + 0.09)
LOOSE, TIGHT = 1e-3, 1e-10
# At rtol 1e-3 the discrete adjoint (the subdivision chosen for f, not for df/ds) is off by
# ~7e-7 relative; the continuous one adapts to df/ds and is accurate to ~1e-11.
ADJOINTS_DIFFER = 1e-7


def peak_gradient(adjoint, rtol, method):
    rule = GaussKronrod(rtol=rtol, atol=0.0, adjoint=adjoint)

    def peak(s):
        if method == "symbolic":
            f = Integrand("s/((x - 0.3)**2 + s**2)", s=s)
        else:

            def f(x):
                return s / ((x - 0.3) ** 2 + s**2)

        return integrate(f, (0.0, 1.0), rule, method)

    return sr.grad(peak)(WIDTH)


@pytest.mark.parametrize("method", ["symbolic", "ad"])
def test_discrete_and_continuous_adjoints_differ_at_loose_tolerance(method):
    discrete = peak_gradient("discrete", LOOSE, method)
    continuous = peak_gradient("continuous", LOOSE, method)
    assert abs(discrete - continuous) > ADJOINTS_DIFFER * abs(PEAK_GRADIENT)
    assert abs(continuous - PEAK_GRADIENT) <= LOOSE * abs(PEAK_GRADIENT)


# (Not "fd": its step, ~1e-3 max(1, |s|), is wider than the peak.)
@pytest.mark.parametrize("method", ["symbolic", "ad"])
@pytest.mark.parametrize("adjoint", ["discrete", "continuous"])
def test_both_adjoints_converge_as_tolerance_tightens(adjoint, method):
    gradient = peak_gradient(adjoint, TIGHT, method)
    np.testing.assert_allclose(gradient, PEAK_GRADIENT, rtol=100 * TIGHT)


@pytest.mark.parametrize("method", METHODS)
def test_continuous_adjoint_of_smooth_integrand_by_every_method(method):
    problem = CATALOGUE[3]  # sin(q x) on [1, 3]
    rule = GaussKronrod(rtol=1e-12, atol=0.0, adjoint="continuous")

    def area(q):
        f = Integrand(problem.expr, q=q) if method == "symbolic" else (lambda x: np.sin(q * x))
        return integrate(f, (1.0, 3.0), rule, method)

    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    np.testing.assert_allclose(sr.grad(area)(0.7), problem.gradient[0], rtol=rtol)


def test_nested_integrate_under_grad():
    def double(p):  # int_0^1 int_0^x p**2 x y dy dx = p**2 / 8
        def inner(x):
            return np.stack(
                [integrate(lambda y, xi=xi: p**2 * xi * y, (0.0, xi), GaussLegendre(2)) for xi in x]
            )

        return integrate(inner, (0.0, 1.0), GaussLegendre(3))

    value, g = sr.value_and_grad(double)(1.5)
    np.testing.assert_allclose([value, g], [1.5**2 / 8, 1.5 / 4], rtol=EXACT_RTOL)


# Forward mode


@pytest.mark.parametrize("method", METHODS)
def test_jvp_matches_gradient_including_bounds(method, rng):
    problem = CATALOGUE[3]  # sin(q x) on [a, b]
    v = rng.standard_normal(3)
    _, y_dot = sr.jvp(loss_of(problem, method), (params_of(problem),), (v,))
    rtol = FD_RTOL if method == "fd" else EXACT_RTOL
    np.testing.assert_allclose(y_dot, problem.gradient @ v, rtol=rtol)


def test_jvp_with_continuous_adjoint():
    rule = GaussKronrod(rtol=TIGHT, atol=0.0, adjoint="continuous")
    _, y_dot = sr.jvp(
        lambda s: integrate(lambda x: s / ((x - 0.3) ** 2 + s**2), (0.0, 1.0), rule), (WIDTH,),
        (1.0,),
    )  # fmt: skip
    np.testing.assert_allclose(y_dot, PEAK_GRADIENT, rtol=100 * TIGHT)


# Work done


def test_ad_traces_f_once_over_all_nodes_and_skips_untraced_fields():
    calls = []

    def area(p, b):
        def f(x):
            calls.append((type(p).__name__, np.size(x)))
            return p * x

        return integrate(f, (0.0, b), GaussLegendre(5), "ad")

    sr.grad(area, argnums=(0, 1))(2.0, 1.0)
    traced = [c for c in calls if c[0] == "Box"]
    assert traced == [("Box", 5)], calls  # one tape over the 5 nodes
    calls.clear()
    np.testing.assert_allclose(sr.grad(area, argnums=1)(2.0, 1.0), 2.0, rtol=EXACT_RTOL)
    assert all(c[0] == "float" for c in calls), calls  # p is not traced: no f_bar work


def test_seed_with_right_riemann_sum():
    dx = np.diff(np.linspace(0.0, 1.0, 101))
    x, w = RightRiemann(100).nodes_weights(0.0, 1.0)
    np.testing.assert_allclose(x, np.cumsum(dx), rtol=ROUNDING_RTOL)
    np.testing.assert_allclose(w, dx, rtol=ROUNDING_RTOL)


# Bad input


def test_nan_bound_is_named():
    with pytest.raises(QuadratureInputError, match="domain point b is NaN"):
        integrate(np.exp, (0.0, np.nan))


def test_infinite_interior_point_is_refused():
    with pytest.raises(QuadratureInputError, match="c1 is inf, an interior breakpoint"):
        integrate(np.exp, (0.0, np.inf, 1.0))


def test_traced_infinite_bound_is_refused():
    with pytest.raises(QuadratureInputError, match="domain point b is inf, traced"):
        sr.grad(lambda b: integrate(lambda x: np.exp(-x), (0.0, b)))(np.inf)


def test_malformed_domain_is_refused():
    with pytest.raises(QuadratureInputError, match=r"domain must be a tuple \(a, b\)"):
        integrate(np.exp, (0.0,))


def test_wrong_shape_is_named():
    with pytest.raises(QuadratureInputError, match=r"shape \(\) for 3 nodes"):
        integrate(lambda x: 2.0, (0.0, 1.0), GaussLegendre(3))


@pytest.mark.parametrize("traced", [False, True])
def test_nan_at_a_node_names_the_node(traced):
    x_nodes, _ = GaussLegendre(4).nodes_weights(0.0, 1.0)
    bad = x_nodes[x_nodes > 0.5][0]

    def area(p):
        return integrate(lambda x: np.where(x > 0.5, np.nan, p * x), (0.0, 1.0), GaussLegendre(4))

    with pytest.raises(QuadratureInputError, match=f"nan at node x={float(bad)!r}"):
        sr.grad(area)(1.0) if traced else area(1.0)


def test_symbolic_method_needs_a_rule_or_a_lifting():
    with pytest.raises(MethodError, match=r"lifts to SymPy; .*numpy\.cumsum"):
        integrate(lambda x: np.cumsum(x), (0.0, 1.0), method="symbolic")


@pytest.mark.parametrize("problem", CATALOGUE, ids=lambda p: p.id)
def test_symbolic_method_lifts_a_plain_closure(problem):
    """The closure of each catalogue problem, lifted to SymPy by method="symbolic": its
    gradient by value, its fields (the closure's cells) receiving their cotangents."""
    g = sr.grad(loss_of(problem, "symbolic", symbolic=False))(params_of(problem))
    np.testing.assert_allclose(g, problem.gradient, rtol=EXACT_RTOL, atol=ATOL)


def test_unknown_method_is_refused():
    with pytest.raises(MethodError, match="method must be one of"):
        integrate(np.exp, (0.0, 1.0), method="magic")


# The endpoint singularity x**-0.5 on [0, 1], integral 2.
SINGULAR_RTOL = 1e-10  # tanh-sinh level 5 and adaptive Gauss-Kronrod both reach it


@pytest.mark.parametrize("rule", [TanhSinh(level=5), GaussKronrod()], ids=["tanh_sinh", "kronrod"])
def test_endpoint_singularity_handled(rule):
    def area(p):
        return integrate(lambda x: p * x**-0.5, (0.0, 1.0), rule)

    value, g = sr.value_and_grad(area)(1.5)
    np.testing.assert_allclose([value, g], [3.0, 2.0], rtol=SINGULAR_RTOL)


@pytest.mark.parametrize("rule", [Trapezoid(8), ClenshawCurtis(8)], ids=["trapezoid", "cc"])
def test_endpoint_singularity_in_closed_rule_names_the_node(rule):
    with (
        np.errstate(divide="ignore"),
        pytest.raises(QuadratureInputError, match=r"inf at node x=0\.0"),
    ):
        integrate(lambda x: x**-0.5, (0.0, 1.0), rule)


def test_adaptive_non_convergence_reports_error_estimate():
    rule = GaussKronrod(rtol=1e-12, max_subdivisions=3)
    with pytest.raises(ConvergenceError, match="error estimate") as info:
        integrate(lambda x: x**-0.5, (0.0, 1.0), rule)
    assert info.value.error > 1e-12 * 2.0
    warn = GaussKronrod(rtol=1e-12, max_subdivisions=3, on_failure="warn")
    with pytest.warns(ConvergenceWarning, match="error estimate"):
        value = integrate(lambda x: x**-0.5, (0.0, 1.0), warn)
    assert abs(value - 2.0) < 0.1

"""A quadrature rule of degree d integrates every polynomial of degree <= d exactly on any
interval (here the shifted (-0.3, 2.1)) and misses degree d + 1; its error on smooth
integrands falls at the order theory predicts (trapezoid 2, Simpson 4, Gauss and
Clenshaw-Curtis geometrically, tanh-sinh double exponentially); infinite ends are handled by
a variable transform; ``a > b`` negates the weights; the adaptive Gauss-Kronrod rule's error
estimate bounds its true error, and failure is reported, never a silent number.

Covers ``symrules.quadrature.rules``, ``transforms`` and ``adaptive``. Oracles: closed forms (the
catalogue), QUADPACK's published Kronrod constants, ``numpy.polynomial.legendre.leggauss``,
finite differences, and ``scipy.integrate.quad`` as a peer.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from quadrature_catalogue import CATALOGUE, Problem, Z, problems

from symrules import grad
from symrules.errors import (
    ConvergenceError,
    ConvergenceWarning,
    QuadratureError,
    QuadratureInputError,
    SymrulesError,
)
from symrules.quadrature import (
    ClenshawCurtis,
    Composite,
    GaussLegendre,
    Simpson,
    TanhSinh,
    Trapezoid,
    transform,
)
from symrules.quadrature.adaptive import AdaptiveResult, GaussKronrod

A, B = -0.3, 2.1  # the shifted interval of the exactness tests

EXACT_RTOL = 1e-13  # rounding in sum(w * x**k) for k <= 32 on (A, B)
MISS_RTOL = 1e-11  # a rule "misses" degree d + 1 when its relative error exceeds this
ORDER_ATOL = 0.05  # observed algebraic order vs theory, from errors at n and 2n
RATE_RTOL = 0.05  # observed geometric rate vs 2 log(rho) for Gauss-Legendre
DE_SQUARING = 1.8  # tanh-sinh: log(error) at least this factor larger per level (theory 2)
KRONROD_RTOL = 1e-13  # computed Kronrod nodes/weights vs QUADPACK's 33-digit constants
FD_RTOL = 1e-7  # central differences of a transform with step 1e-6
TANH_SINH_RTOL = 1e-12  # tanh-sinh on x**-0.5 over (0, 1)

FIXED_RULES = [
    Trapezoid(7),
    Simpson(8),
    GaussLegendre(1),
    GaussLegendre(5),
    GaussLegendre(12),
    ClenshawCurtis(1),
    ClenshawCurtis(5),
    ClenshawCurtis(8),
    Composite(GaussLegendre(3), 4),
    Composite(Simpson(2), (0.0, 0.1, 0.5, 1.0)),
    GaussKronrod(7),
    GaussKronrod(15),
    GaussKronrod(21),
]

# rule, tolerance on each infinite-domain problem of the catalogue (measured errors are
# 10-100x below, see the comments)
INFINITE_RULES = [
    (GaussLegendre(40), 1e-6),  # exp(-x**2) transformed is flat at s = +-1: 4e-7
    (ClenshawCurtis(64), 1e-9),  # 2.5e-10
    (Trapezoid(1000), 1e-6),  # O(h**2) on exp(-x): 8e-8
    (Simpson(200), 1e-9),  # 1e-10
    (TanhSinh(), 1e-14),  # 1e-15
    (Composite(GaussLegendre(8), 8), 1e-4),  # 4e-6
]


def rule_sum(rule, f, a, b):
    x, w = rule.nodes_weights(a, b)
    return np.sum(w * f(x))


def monomial_integral(k, a, b, c=0.0):
    """Integral of (x - c)**k from a to b."""
    return ((b - c) ** (k + 1) - (a - c) ** (k + 1)) / (k + 1)


def relative_error(value, exact):
    return abs(value - exact) / abs(exact)


# --- exactness on polynomials ---------------------------------------------------------------


@pytest.mark.parametrize("rule", FIXED_RULES, ids=repr)
def test_exact_up_to_degree_on_shifted_interval(rule):
    for k in range(rule.degree + 1):
        value = rule_sum(rule, lambda x, k=k: x**k, A, B)
        assert relative_error(value, monomial_integral(k, A, B)) < EXACT_RTOL, k


@pytest.mark.parametrize("rule", FIXED_RULES, ids=repr)
def test_misses_degree_plus_one(rule):
    # centred at the midpoint, so the test does not hide in rounding of a large integral
    k, mid = rule.degree + 1, (A + B) / 2
    value = rule_sum(rule, lambda x: (x - mid) ** k, A, B)
    assert relative_error(value, monomial_integral(k, A, B, mid)) > MISS_RTOL


@pytest.mark.parametrize(
    ("rule", "degree"),
    [
        (Trapezoid(3), 1),
        (Simpson(4), 3),
        (GaussLegendre(6), 11),
        (ClenshawCurtis(7), 7),
        (ClenshawCurtis(6), 7),
        (GaussKronrod(15), 23),
        (GaussKronrod(21), 31),
    ],
    ids=repr,
)
def test_degree_attribute_states_theory(rule, degree):
    assert rule.degree == degree


@pytest.mark.parametrize("order", [7, 15, 21])
def test_embedded_gauss_rule_is_gauss_legendre(order):
    rule = GaussKronrod(order)
    n = rule.n
    x, _ = rule.nodes_weights(A, B)
    wg = rule.gauss_weights(A, B)
    xg, wg_ref = GaussLegendre(n).nodes_weights(A, B)
    np.testing.assert_allclose(x[wg != 0], xg, rtol=0, atol=1e-15)
    np.testing.assert_allclose(wg[wg != 0], wg_ref, rtol=1e-15)
    for k in range(2 * n):
        assert relative_error(wg @ x**k, monomial_integral(k, A, B)) < EXACT_RTOL, k
    mid = (A + B) / 2
    assert (
        relative_error(wg @ (x - mid) ** (2 * n), monomial_integral(2 * n, A, B, mid)) > MISS_RTOL
    )
    assert rule.degree >= 3 * n + 1


def test_kronrod_nodes_match_quadpack_constants():
    # QUADPACK (Piessens, de Doncker-Kapenga, Ueberhuber, Kahaner 1983), qk15 and qk21: the
    # outermost two Kronrod nodes xgk and weights wgk on [-1, 1].
    quadpack = {
        15: (
            [0.991455371120812639206854697526329, 0.949107912342758524526189684047851],
            [0.022935322010529224963732008058970, 0.063092092629978553290700663189204],
        ),
        21: (
            [0.995657163025808080735527280689003, 0.973906528517171720077964012084452],
            [0.011694638867371874278064396062192, 0.032558162307964727478818972459390],
        ),
    }
    for order, (xgk, wgk) in quadpack.items():
        x, w = GaussKronrod(order).nodes_weights(-1.0, 1.0)
        np.testing.assert_allclose(x[::-1][:2], xgk, rtol=KRONROD_RTOL)
        np.testing.assert_allclose(w[::-1][:2], wgk, rtol=KRONROD_RTOL)


def test_weights_sum_to_interval_length_and_nodes_are_sorted():
    for rule in [*FIXED_RULES, TanhSinh(3)]:
        x, w = rule.nodes_weights(A, B)
        assert np.isclose(w.sum(), B - A, rtol=1e-13), rule
        assert np.all(np.diff(x) >= 0), rule
        assert x.dtype == w.dtype == np.float64
        assert len(x) == rule.num_nodes or isinstance(rule, TanhSinh)


def test_closed_rules_hit_both_ends_exactly():
    for rule in [Trapezoid(5), Simpson(6), ClenshawCurtis(9)]:
        x, _ = rule.nodes_weights(A, B)
        assert (x[0], x[-1]) == (A, B), rule


# --- observed convergence ------------------------------------------------------------------


def errors_over(factory, ns, problem):
    return np.array(
        [abs(rule_sum(factory(n), problem.f, problem.a, problem.b) - problem.exact) for n in ns]
    )


@pytest.mark.parametrize(
    ("factory", "order", "ns"),
    [
        (Trapezoid, 2, [8, 16, 32, 64]),
        (Simpson, 4, [8, 16, 32, 64]),
        (lambda n: Composite(GaussLegendre(3), n), 6, [4, 8, 16, 32]),
    ],  # stop before rounding
    ids=["trapezoid", "simpson", "composite_gauss3"],
)
# not runge_on_unit: it is even with f'''(+-1) = 0, so Simpson's leading error term cancels
@pytest.mark.parametrize("problem", problems("smooth")[::2], ids=lambda p: p.id)
def test_algebraic_order_matches_theory(factory, order, ns, problem):
    errors = errors_over(factory, ns, problem)
    observed = np.log2(errors[:-1] / errors[1:])
    np.testing.assert_allclose(observed[-2:], order, atol=ORDER_ATOL)


def test_gauss_legendre_converges_geometrically_at_bernstein_rate():
    # 1/(1 + x**2) has poles at +-i: Bernstein ellipse rho = 1 + sqrt(2), error ~ rho**(-2n)
    runge = next(p for p in CATALOGUE if p.id == "runge_on_unit")
    ns = [4, 8, 12, 16]
    errors = errors_over(GaussLegendre, ns, runge)
    rate = np.log(errors[:-1] / errors[1:]) / 4
    np.testing.assert_allclose(rate, 2 * np.log(1 + np.sqrt(2)), rtol=RATE_RTOL)


def test_clenshaw_curtis_converges_geometrically():
    # theory: at least rho**(-n), at most Gauss' rho**(-2n) (Trefethen 2008)
    runge = next(p for p in CATALOGUE if p.id == "runge_on_unit")
    errors = errors_over(ClenshawCurtis, [4, 8, 12, 16, 20], runge)
    rate = np.log(errors[:-1] / errors[1:]) / 4
    log_rho = np.log(1 + np.sqrt(2))
    assert np.all(rate > (1 - RATE_RTOL) * log_rho) and np.all(rate < 2 * log_rho), rate


@pytest.mark.parametrize(
    "problem", [*problems("smooth"), *problems("singular")], ids=lambda p: p.id
)
def test_tanh_sinh_error_squares_per_level(problem):
    errors = errors_over(lambda level: TanhSinh(level), [0, 1, 2, 3], problem)  # h = 1 .. 1/8
    errors = errors[(errors > 1e-13) & (errors < 0.1)]  # asymptotic regime, above rounding
    assert len(errors) >= 2
    assert np.all(np.log(errors[1:]) / np.log(errors[:-1]) > DE_SQUARING), errors


# --- infinite domains ----------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "tol"), INFINITE_RULES, ids=lambda r: repr(r))
@pytest.mark.parametrize("problem", problems("infinite"), ids=lambda p: p.id)
def test_infinite_domains_by_transform(rule, tol, problem):
    assert abs(rule_sum(rule, problem.f, problem.a, problem.b) - problem.exact) < tol
    x, w = rule.nodes_weights(problem.a, problem.b)
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(w))


def test_exp2_up_to_z_matches_closed_form_for_several_z():
    for z in (-2.0, 0.0, Z, 3.0):
        value = rule_sum(TanhSinh(), lambda x: np.exp(2 * x), -np.inf, z)
        assert np.isclose(value, np.exp(2 * z) / 2, rtol=1e-14), z


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        (0.5, np.inf, "right"),
        (-np.inf, 0.5, "left"),
        (-np.inf, np.inf, "real"),
        (np.inf, 0.5, "right"),
        (-0.3, 2.1, "finite"),
    ],
)
def test_transform_jacobian_is_derivative_of_nodes(a, b, kind):
    tr = transform(a, b)
    assert tr.kind == kind
    t, step = np.linspace(0.05, 0.95, 7), 1e-6
    fd = (tr.nodes(t + step) - tr.nodes(t - step)) / (2 * step)
    np.testing.assert_allclose(tr.jacobian(t), fd, rtol=FD_RTOL)


def test_closed_rules_drop_the_node_at_infinity():
    x, w = Trapezoid(8).nodes_weights(0.0, np.inf)
    assert len(x) == 8 and x[0] == 0.0 and np.all(np.isfinite(w))


# --- orientation and bad input -------------------------------------------------------------


@pytest.mark.parametrize("rule", [*FIXED_RULES, TanhSinh(4)], ids=repr)
def test_reversed_bounds_negate_the_weights(rule):
    _, w = rule.nodes_weights(B, A)
    assert np.all(w <= 0)
    np.testing.assert_allclose(w.sum(), -(B - A), rtol=1e-13)
    k = min(rule.degree or 3, 3)  # tanh-sinh (no degree) is exact to rounding at level 4
    value = rule_sum(rule, lambda x: x**k, B, A)
    assert relative_error(value, -monomial_integral(k, A, B)) < EXACT_RTOL


@pytest.mark.parametrize("problem", problems("infinite"), ids=lambda p: p.id)
def test_reversed_infinite_bounds_negate_the_integral(problem):
    value = rule_sum(TanhSinh(), problem.f, problem.b, problem.a)
    assert np.isclose(value, -problem.exact, rtol=1e-14)


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: Trapezoid(0), "Trapezoid(n=0)"),
        (lambda: Simpson(0), "Simpson(n=0)"),
        (lambda: Simpson(5), "even"),
        (lambda: GaussLegendre(0), "GaussLegendre(n=0)"),
        (lambda: GaussLegendre(2.5), "integer"),
        (lambda: ClenshawCurtis(-1), "ClenshawCurtis"),
        (lambda: TanhSinh(level=-1), "level"),
        (lambda: TanhSinh(tmax=np.inf), "tmax"),
        (lambda: GaussKronrod(order=20), "order"),
        (lambda: GaussKronrod(rtol=0, atol=0), "rtol"),
        (lambda: GaussKronrod(adjoint="forward"), "adjoint"),
        (lambda: GaussKronrod(on_failure="ignore"), "on_failure"),
        (lambda: Composite(GaussLegendre(2), (0.0, 0.6, 0.5, 1.0)), "panels"),
        (lambda: Composite(np.sum, 2), "rule"),
    ],
)
def test_bad_rule_parameters_raise_naming_them(make, named):
    with pytest.raises(QuadratureInputError, match=named.replace("(", r"\(").replace(")", r"\)")):
        make()


@pytest.mark.parametrize(
    ("a", "b", "named"),
    [
        (np.nan, 1.0, "bound a is NaN"),
        (0.0, np.nan, "bound b is NaN"),
        (np.inf, np.inf, "both inf"),
        (np.array([0.0, 1.0]), 1.0, "bound a must be a scalar"),
        (0.0, "1", "bound b must be a real number"),
        (0.0, 1j, "bound b"),
    ],
)
def test_bad_bounds_raise_naming_them(a, b, named):
    with pytest.raises(QuadratureInputError, match=named):
        GaussLegendre(3).nodes_weights(a, b)
    assert issubclass(QuadratureInputError, SymrulesError)


def test_reprs_are_readable():
    assert repr(GaussLegendre(5)) == "GaussLegendre(n=5)"
    assert repr(TanhSinh()) == "TanhSinh(level=5, tmax=4.5)"
    assert repr(Composite(Simpson(2), 3)) == "Composite(rule=Simpson(n=2), panels=3)"
    assert repr(GaussKronrod(15)).startswith("GaussKronrod(order=15, rtol=1e-10")


# --- traced bounds: arithmetic only --------------------------------------------------------


class Traced:
    """Stands in for the engine's traced value: numpy arithmetic via ``__array_ufunc__``,
    but ``float()`` and ``np.asarray`` raise."""

    def __init__(self, value):
        self.value = value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        assert method == "__call__"
        return Traced(ufunc(*(i.value if isinstance(i, Traced) else i for i in inputs), **kwargs))

    def __array__(self, *args, **kwargs):
        raise TypeError("np.asarray of a traced value")

    def __float__(self):
        raise TypeError("float() of a traced value")

    def __add__(self, other):
        return np.add(self, other)

    def __radd__(self, other):
        return np.add(other, self)

    def __sub__(self, other):
        return np.subtract(self, other)

    def __rsub__(self, other):
        return np.subtract(other, self)

    def __mul__(self, other):
        return np.multiply(self, other)

    def __rmul__(self, other):
        return np.multiply(other, self)


@pytest.mark.parametrize("rule", [*FIXED_RULES, TanhSinh(3)], ids=repr)
@pytest.mark.parametrize(("a", "b"), [(A, B), (A, np.inf), (-np.inf, B)])
def test_traced_bounds_give_the_same_nodes_and_weights(rule, a, b):
    x, w = rule.nodes_weights(a, b)
    traced_a = Traced(a) if np.isfinite(a) else a
    traced_b = Traced(b) if np.isfinite(b) else b
    xt, wt = rule.nodes_weights(traced_a, traced_b)
    xt = xt.value if isinstance(xt, Traced) else xt
    wt = wt.value if isinstance(wt, Traced) else wt
    if isinstance(rule, TanhSinh):  # only concrete bounds let it drop nodes rounding onto them
        inside = (xt != a) & (xt != b)
        xt, wt = xt[inside], wt[inside]
    np.testing.assert_array_equal(xt, x)
    np.testing.assert_array_equal(wt, w)


@pytest.mark.parametrize(
    "rule", [GaussLegendre(5), Composite(Simpson(2), 3), TanhSinh(4), GaussKronrod(15)], ids=repr
)
def test_engine_differentiates_through_nodes_weights_by_leibniz(rule):
    # rules exact on x**2: d/db of the integral from A to b is b**2; and on [a, inf),
    # d/da of the integral of exp(-x) is -exp(-a) (tanh-sinh is exact to rounding there)
    def integral_to(b):
        x, w = rule.nodes_weights(A, b)
        return np.sum(w * x**2)

    assert grad(integral_to)(B) == pytest.approx(B**2, rel=1e-13)
    if isinstance(rule, TanhSinh):

        def tail_from(a):
            x, w = rule.nodes_weights(a, np.inf)
            return np.sum(w * np.exp(-x))

        assert grad(tail_from)(0.5) == pytest.approx(-np.exp(-0.5), rel=1e-13)


# --- endpoint singularity --------------------------------------------------------------------


def test_tanh_sinh_integrates_inverse_sqrt_singularity():
    x, w = TanhSinh().nodes_weights(0.0, 1.0)
    assert np.all((x > 0) & (x < 1))  # the singular end is never evaluated
    assert abs(w @ x**-0.5 - 2.0) < TANH_SINH_RTOL * 2.0


def test_gauss_kronrod_reports_inverse_sqrt_singularity_by_its_error_estimate():
    singular = problems("singular")[0]
    with pytest.raises(ConvergenceError, match="error estimate") as info:
        GaussKronrod(max_subdivisions=8).integrate_adaptive(singular.f, 0.0, 1.0)
    err = info.value
    assert abs(err.value - singular.exact) <= err.error
    assert err.panel[0] == 0.0 and err.panel[1] <= 2.0**-8  # refinement piles up at 0
    assert "[0.0, 0.00390625]" in str(err)
    result = GaussKronrod().integrate_adaptive(singular.f, 0.0, 1.0)
    assert abs(result.value - singular.exact) <= result.error <= 1e-10 * singular.exact


def test_on_failure_warn_returns_the_estimate_with_its_error():
    singular = problems("singular")[0]
    rule = GaussKronrod(max_subdivisions=4, on_failure="warn")
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        result = rule.integrate_adaptive(singular.f, 0.0, 1.0)
    assert 1e-10 < abs(result.value - singular.exact) <= result.error
    assert issubclass(ConvergenceError, QuadratureError)


# --- adaptive Gauss-Kronrod ------------------------------------------------------------------


@pytest.mark.parametrize("order", [15, 21])
@pytest.mark.parametrize("problem", CATALOGUE, ids=lambda p: p.id)
def test_adaptive_error_estimate_bounds_the_true_error(order, problem):
    rule = GaussKronrod(order, rtol=1e-10, atol=1e-12)
    result = rule.integrate_adaptive(problem.f, problem.a, problem.b)
    assert isinstance(result, AdaptiveResult)
    assert abs(result.value - problem.exact) <= result.error
    assert result.error <= max(rule.atol, rule.rtol * abs(result.value))


def test_adaptive_narrow_peak_refines_near_the_peak_and_agrees_with_scipy():
    scipy_integrate = pytest.importorskip("scipy.integrate")
    peak = problems("peak")[0]
    value, error, panels, _ = GaussKronrod().integrate_adaptive(peak.f, peak.a, peak.b)
    narrowest = min(panels, key=lambda p: p.b - p.a)
    assert narrowest.a <= 0.3 + 0.01 and narrowest.b >= 0.3 - 0.01
    peer, _ = scipy_integrate.quad(peak.f, peak.a, peak.b, points=[0.3], epsrel=1e-12)
    assert abs(value - peer) <= error


def test_final_subdivision_is_a_fixed_rule_reproducing_the_panels():
    peak = problems("peak")[0]
    result = GaussKronrod(15).integrate_adaptive(peak.f, peak.a, peak.b)
    x, w = result.rule.nodes_weights(peak.a, peak.b)
    np.testing.assert_array_equal(x, np.concatenate([p.nodes for p in result.panels]))
    np.testing.assert_array_equal(w, np.concatenate([p.weights for p in result.panels]))
    assert np.isclose(w @ peak.f(x), result.value, rtol=1e-14)
    ends = [(p.a, p.b) for p in result.panels]
    assert ends[0][0] == peak.a and ends[-1][1] == peak.b
    assert all(left[1] == right[0] for left, right in itertools.pairwise(ends))


def test_adaptive_on_infinite_domain_keeps_panels_in_x():
    problem = problems("infinite")[0]
    result = GaussKronrod().integrate_adaptive(problem.f, problem.a, problem.b)
    assert result.panels[-1].b == np.inf
    x, w = result.rule.nodes_weights(problem.a, problem.b)
    assert np.isclose(w @ problem.f(x), 1.0, rtol=1e-12)


def test_adaptive_reversed_bounds_negate():
    rule = GaussKronrod()
    forward = rule.integrate_adaptive(np.cos, A, B).value
    assert rule.integrate_adaptive(np.cos, B, A).value == pytest.approx(-forward, rel=1e-14)


def test_adaptive_vector_integrand_node_axis_last():
    result = GaussKronrod().integrate_adaptive(lambda x: np.stack([np.cos(x), x**2]), 0.0, 1.0)
    np.testing.assert_allclose(result.value, [np.sin(1.0), 1 / 3], rtol=1e-13)


def test_adaptive_rejects_bad_integrand_values_naming_the_node():
    with pytest.raises(QuadratureInputError, match="shape"):
        GaussKronrod().integrate_adaptive(lambda x: 1.0, 0.0, 1.0)
    with pytest.raises(QuadratureInputError, match=r"non-finite value at node x=0\.5"):
        GaussKronrod().integrate_adaptive(lambda x: np.where(x == 0.5, np.nan, x), 0.0, 1.0)
    with pytest.raises(QuadratureInputError, match="bound a must be a plain number"):
        GaussKronrod().integrate_adaptive(np.cos, Traced(0.0), 1.0)


def test_catalogue_ids_are_unique():
    ids = [p.id for p in CATALOGUE]
    assert len(ids) == len(set(ids)) and all(isinstance(p, Problem) for p in CATALOGUE)


@pytest.mark.parametrize("panels", [True, "ab", None, (0.0, 1.5), (0.0, 0.6, 0.4, 1.0)])
def test_composite_refuses_panels_that_are_no_count_or_breakpoints(panels):
    with pytest.raises(QuadratureInputError, match="panels must be a count or increasing"):
        Composite(GaussLegendre(2), panels=panels)

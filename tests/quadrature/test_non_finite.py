"""No silent NaN or infinity: a derivative that is not a number raises, naming where; an
infinite one that is the answer is returned.

Oracles are closed forms: ``d/da int_0^1 x^a dx = -1/(a+1)^2``; ``d/dlo int_lo^1 f = -f(lo)``,
which is ``-inf`` for ``1/sqrt(x)`` and ``+inf`` for ``log(x)`` at ``lo = 0``; numpy's own
results for ``log(0)``, ``0**-0.5`` and friends. Bad sizes, writes into the node array and
assignments of traced values into plain arrays raise errors that name them.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr

RTOL = 1e-12  # Gauss-Legendre on smooth integrands, 20+ nodes


@pytest.mark.parametrize("method", ["symbolic", "ad"])
def test_a_partial_singular_at_an_evaluated_end_names_the_node_and_the_field(method):
    def loss(a):
        f = sr.Integrand("x**a", a=a)
        return sr.integrate(f, (0.0, 1.0), sr.Trapezoid(10), method=method)

    message = r"field f\.a.*df/da is nan at the node x=0\.0"
    with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(sr.QuadratureInputError,
                                                                       match=message):  # fmt: skip
        sr.grad(loss)(1.5)

    def fine(a):  # the adaptive Gauss-Kronrod rule never evaluates the end
        return sr.integrate(sr.Integrand("x**a", a=a), (0.0, 1.0), method=method)

    # its default tolerance is 1e-10 relative, on x**a * log(x) as on the value
    np.testing.assert_allclose(sr.grad(fine)(1.5), -1 / 2.5**2, rtol=1e-9)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_a_non_finite_parameter_is_named(value):
    # exp(-a**2 x) at a = inf has the value 0 but the derivative -2 a x exp(...) = inf*0;
    # at a = nan the value itself is nan: either way the field is named, not an end
    def loss(a):
        return sr.integrate(sr.Integrand("exp(-a**2*x)", a=a), (1.0, 2.0), sr.GaussLegendre(5))

    with np.errstate(invalid="ignore"), pytest.raises(sr.QuadratureInputError,
                                                      match=rf"field f\.a is {value}"):  # fmt: skip
        sr.grad(loss)(value)


@pytest.mark.parametrize(
    "expr, expected", [("a/sqrt(x)", -np.inf), ("a*log(x)", np.inf)], ids=["pole", "log"]
)
def test_the_derivative_at_a_singular_bound_is_the_infinity_it_is(expr, expected):
    def loss(lo):
        return sr.integrate(sr.Integrand(expr, a=1.0), (lo, 1.0), sr.TanhSinh())

    assert sr.grad(loss)(0.0) == expected  # -f(0+): not -4.5e161, not 744.4
    assert sr.grad(loss)(0.25) == pytest.approx(-sr.Integrand(expr, a=1.0)(0.25), rel=RTOL)


@pytest.mark.parametrize(
    "make, limit",
    [
        (lambda: sr.GaussLegendre(30000), "MAX_GAUSS_NODES"),
        (lambda: sr.TanhSinh(level=40), "MAX_NODES"),
        (lambda: sr.Composite(sr.GaussLegendre(5), panels=10**9), "MAX_NODES"),
        (lambda: sr.Trapezoid(10**8), "MAX_NODES"),
        (lambda: sr.GaussKronrod(order=10001), "MAX_ORDER"),
    ],
    ids=["gauss-legendre", "tanh-sinh", "composite", "trapezoid", "gauss-kronrod"],
)
def test_rules_beyond_the_documented_sizes_are_refused_before_allocating(make, limit):
    with pytest.raises(sr.QuadratureInputError, match=limit):
        make()


def test_gauss_legendre_nodes_agree_with_numpy():
    x, w = sr.GaussLegendre(64).nodes_weights(-1.0, 1.0)
    s, v = np.polynomial.legendre.leggauss(64)
    np.testing.assert_allclose(x, s, atol=1e-15)
    np.testing.assert_allclose(w, v, rtol=1e-11)  # numpy's leggauss is good to ~1e-12 here


def test_writing_into_the_node_array_is_named():
    def f(x):
        x[0] = 1.0
        return x

    for method in ("ad", "fd"):
        with pytest.raises(sr.QuadratureInputError, match="wrote into its array of nodes"):
            sr.integrate(f, (0.0, 1.0), sr.GaussLegendre(3), method=method)


def test_assigning_a_traced_value_into_a_plain_array_is_named():
    def loss(p):
        out = np.zeros(3)
        out[0] = p
        return np.sum(out)

    with pytest.raises(sr.TracingError, match=r"assigned into an element .*np\.stack"):
        sr.grad(loss)(1.0)
    with pytest.raises(sr.TracingError, match="assigned into an element"):
        sr.jvp(loss, (1.0,), (1.0,))


def test_an_integrand_called_on_strings_is_named():
    with pytest.raises(sr.InputError, match=r"real numbers.*str"):
        sr.Integrand("a*x", a=1.0)("abc")


@pytest.mark.parametrize(
    "expr, param, expected",
    [("x*a**-0.5", 0.0, np.inf), ("a**2*x", 1e200, np.inf), ("(a-1)**0.5*x", 0.5, np.nan)],
    ids=["zero-division", "overflow", "complex-root"],
)
def test_parameters_follow_numpy_semantics(expr, param, expected):
    with np.errstate(all="ignore"):  # numpy warns; Python floats raised instead
        value = sr.Integrand(expr, a=param)(np.array([1.0]))
    np.testing.assert_equal(value, [expected])


@pytest.mark.parametrize(
    "fun, x, expected",
    [(np.log, 0.0, np.inf), (np.log1p, -1.0, np.inf), (np.arctanh, 1.0, np.inf),
     (lambda a: a / 0.0, 1.0, np.inf)],
    ids=["log", "log1p", "arctanh", "divide-by-zero"],
)  # fmt: skip
def test_engine_rules_follow_numpy_semantics(fun, x, expected):
    with np.errstate(all="ignore"):
        assert sr.grad(fun)(x) == expected
        assert sr.jvp(fun, (x,), (1.0,))[1] == expected


def test_a_domain_whose_width_overflows_is_named():
    with pytest.raises(sr.QuadratureInputError, match=r"overflows float64.*breakpoint at 0"):
        sr.integrate(lambda x: np.exp(-(x**2)), (-1e308, 1e308), sr.GaussLegendre(5))


def test_a_non_finite_value_inside_the_domain_is_not_called_an_end_singularity():
    with np.errstate(divide="ignore"), pytest.raises(sr.QuadratureInputError,
                                                     match="not finite inside") as err:  # fmt: skip
        sr.integrate(lambda x: 1.0 / (x - x[3]), (0.0, 1.0), sr.GaussLegendre(8))
    assert "end" not in str(err.value)


def test_a_long_flat_series_is_not_deep():
    # a 2,000-term cosine series: only genuine nesting counts towards the depth limit
    n = 2000
    c = 1.0 / np.arange(1, n + 1) ** 2
    f = sr.Integrand(" + ".join(f"c[{k}]*cos({k}*x)" for k in range(n)), c=c)
    x = np.linspace(0.0, 1.0, 7)
    np.testing.assert_allclose(f(x), np.cos(np.outer(x, np.arange(n))) @ c, rtol=RTOL)
    rule = sr.GaussLegendre(1500)  # resolves cos(1999 x): ~320 periods on [0, 1]
    g = sr.grad(lambda c: sr.integrate(sr.with_fields(f, c=c), (0.0, 1.0), rule))(c)
    sinc = np.r_[1.0, np.sin(np.arange(1, n)) / np.arange(1, n)]  # int_0^1 cos(k x) dx
    np.testing.assert_allclose(g, sinc, rtol=1e-9, atol=1e-12)

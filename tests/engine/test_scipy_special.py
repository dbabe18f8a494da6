"""scipy.special in a plain closure pins down: every registered function against finite
differences (reverse, forward, second order), DLMF closed forms at known points, and a named
error -- never a zero -- for a derivative in an order or shape parameter. scipy's Python-level
functions, in :mod:`symrules.scipy.special`, give scipy's values and are checked the same way.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import symrules as sr
from symrules.scipy import special
from symrules.testing import check_frule, check_grad, check_rrule

EXACT = 1e-13  # closed forms in floating point
SECOND_ORDER_RTOL, SECOND_ORDER_ATOL = 1e-5, 1e-6  # a Hessian against FD of the gradient

X = np.array([0.3, 0.55, 0.8])
POS = X + 1.2  # where gamma, Bessel Y and K are smooth
MIXED = X - 0.5  # both signs, for the exponentially scaled functions' |x|

CASES = {  # name -> (function, arguments); an integer (order, shape) is not differentiated
    "erf": (sc.erf, (X,)), "erfc": (sc.erfc, (X,)), "erfcx": (sc.erfcx, (X,)),
    "erfinv": (sc.erfinv, (X - 0.4,)), "erfcinv": (sc.erfcinv, (X + 0.4,)),
    "ndtr": (sc.ndtr, (X,)), "ndtri": (sc.ndtri, (X,)), "log_ndtr": (sc.log_ndtr, (X - 2.0,)),
    "gamma": (sc.gamma, (POS,)), "gammaln": (sc.gammaln, (POS,)), "digamma": (sc.digamma, (POS,)),
    "beta": (sc.beta, (POS, X + 0.5)), "betaln": (sc.betaln, (POS, X + 0.5)),
    "gammainc": (sc.gammainc, (2, POS)), "gammaincc": (sc.gammaincc, (1, POS)),
    "expit": (sc.expit, (MIXED,)), "logit": (sc.logit, (X,)),
    "xlogy": (sc.xlogy, (X, POS)), "xlog1py": (sc.xlog1py, (X, POS)),
    "j0": (sc.j0, (POS,)), "j1": (sc.j1, (POS,)), "y0": (sc.y0, (POS,)), "y1": (sc.y1, (POS,)),
    "jv": (sc.jv, (1, POS)), "yv": (sc.yv, (2, POS)), "iv": (sc.iv, (3, POS)),
    "kv": (sc.kv, (1, POS)), "ive": (sc.ive, (1, MIXED)), "kve": (sc.kve, (2, POS)),
    "i0": (sc.i0, (MIXED,)), "i1": (sc.i1, (MIXED,)),
    "i0e": (sc.i0e, (MIXED,)), "i1e": (sc.i1e, (MIXED,)),
    "rgamma": (sc.rgamma, (X,)), "loggamma": (sc.loggamma, (POS,)), "yn": (sc.yn, (2, POS)),
    "betainc": (sc.betainc, (2, np.array([1, 3, 4]), X)), "betaincc": (sc.betaincc, (2, 3, X)),
    "stdtr": (sc.stdtr, (np.array([1, 3, 7]), MIXED)),
    "polygamma": (special.polygamma, (2, POS)), "zeta": (special.zeta, (3, POS)),
    "spherical_jn": (special.spherical_jn, (np.array([0, 1, 3]), MIXED)),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rules_agree_with_finite_differences(case, rng):
    fn, args = case
    check_rrule(fn, *args, rng=rng)
    check_frule(fn, *args, rng=rng)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_second_derivatives(case):
    fn, args = case
    i = len(args) - 1  # the last argument is never an order

    def along(x, fixed=args):  # a default, not a captured (differentiated) field
        return np.sum(np.sin(fn(*fixed[:i], x)))

    hessian = sr.hessian(along)(args[i])
    by_fd = sr.finite_differences.jacobian(sr.grad(along), args[i])
    np.testing.assert_allclose(hessian, by_fd, rtol=SECOND_ORDER_RTOL, atol=SECOND_ORDER_ATOL)


def test_closed_forms():
    # erf'(0) = 2/sqrt(pi); Gamma'(1) = -euler_gamma; d/dx J_0 = -J_1; d/dx ln Gamma(1) = -gamma
    assert sr.grad(sc.erf)(0.0) == pytest.approx(2 / np.sqrt(np.pi), rel=EXACT)
    assert sr.grad(sc.gamma)(1.0) == pytest.approx(-np.euler_gamma, rel=EXACT)
    assert sr.grad(sc.gammaln)(1.0) == pytest.approx(-np.euler_gamma, rel=EXACT)
    assert sr.grad(sc.digamma)(1.0) == pytest.approx(np.pi**2 / 6, rel=EXACT)
    assert sr.grad(sc.j0)(2.0) == pytest.approx(-sc.j1(2.0), rel=EXACT)
    # an integrand written with scipy: d/da of int_0^1 erf(a x) dx = int_0^1 x erf'(a x) dx
    a = 0.7

    def integral(a):
        return sr.integrate(lambda x: sc.erf(a * x), (0.0, 1.0), sr.GaussLegendre(20))

    exact = (1 - np.exp(-a * a)) / (np.sqrt(np.pi) * a * a)  # closed form of the integral
    assert sr.grad(integral)(a) == pytest.approx(exact, rel=1e-12)


ORDERS = {  # name -> (function, order or shape given traced, the other arguments)
    "jv": (sc.jv, 1.5, (POS,)), "kv": (sc.kv, 0.5, (POS,)), "gammainc": (sc.gammainc, 2.0, (POS,)),
    "yn": (sc.yn, 2.0, (POS,)), "polygamma": (special.polygamma, 1.0, (POS,)),
    "zeta-exponent": (special.zeta, 3.0, (POS,)), "stdtr-df": (sc.stdtr, 3.0, (X,)),
    "betainc-a": (sc.betainc, 2.0, (POS, X)),
}  # fmt: skip


@pytest.mark.parametrize("case", ORDERS.values(), ids=ORDERS.keys())
def test_an_order_is_refused_by_name(case):
    fn, order, others = case
    with pytest.raises(sr.UnsupportedFunctionError,
                       match=rf"scipy\.special\.{fn.__name__} is not differentiable in its "
                       "argument 0"):  # fmt: skip
        sr.grad(lambda v: np.sum(fn(v, *others)))(order)


# ---------------------------------------------------------------------------------------
# scipy's Python-level functions (symrules.scipy.special): scipy's values, and derivatives

A = np.array([[0.3, -1.2, 2.0, 0.1], [1.5, 0.2, -0.7, 0.4], [0.0, 0.9, -2.1, 1.1]])
LOGSUMEXP_FORMS = {  # name -> keywords
    "all": {}, "axis0": {"axis": 0}, "axis1-keepdims": {"axis": 1, "keepdims": True},
    "axes-keepdims": {"axis": (0, 1), "keepdims": True}, "b": {"b": np.exp(-A), "axis": 0},
    "b-of-either-sign": {"b": np.sign(A - 0.2), "axis": 1, "return_sign": True},
}  # fmt: skip


@pytest.mark.parametrize("kwargs", LOGSUMEXP_FORMS.values(), ids=LOGSUMEXP_FORMS.keys())
def test_logsumexp_is_scipys_and_differentiates(kwargs, rng):
    def first(a):  # the log of |sum|; its sign has no derivative
        out = special.logsumexp(a, **kwargs)
        return out[0] if kwargs.get("return_sign") else out

    y, _ = sr.vjp(first, A)
    expected = sc.logsumexp(A, **kwargs)
    np.testing.assert_allclose(y, expected[0] if kwargs.get("return_sign") else expected,
                               rtol=EXACT)  # fmt: skip
    check_grad(lambda a: np.sum(np.sin(first(a))), A, rng=rng)


def test_logsumexp_in_b_and_against_jax():
    jax = pytest.importorskip("jax")
    jsp = pytest.importorskip("jax.scipy.special")
    b = np.exp(-A)
    with jax.enable_x64(True):
        expected = jax.grad(lambda a, b: jsp.logsumexp(a, axis=0, b=b).sum(), (0, 1))(A, b)
    got = sr.grad(lambda a, b: np.sum(special.logsumexp(a, axis=0, b=b)), argnums=(0, 1))(A, b)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=EXACT)


def test_logsumexp_second_derivative_is_the_softmax_covariance():
    x = A[0]
    p = special.softmax(x)
    hessian = sr.hessian(special.logsumexp)(x)
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), atol=EXACT)


def test_logsumexp_of_minus_infinity_is_scipys():
    x = np.array([-np.inf, -np.inf])
    y, _ = sr.vjp(lambda x: special.logsumexp(x), x)
    assert y == sc.logsumexp(x) == -np.inf


@pytest.mark.parametrize("fn", [special.softmax, special.log_softmax], ids=lambda f: f.__name__)
def test_softmax_family(fn, rng):
    y, _ = sr.vjp(lambda a: fn(a, axis=1), A)
    np.testing.assert_allclose(y, getattr(sc, fn.__name__)(A, axis=1), rtol=EXACT)
    check_grad(lambda a: np.sum(np.sin(fn(a, axis=1))), A, rng=rng)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_multigammaln(d, rng):
    a = np.array([[4.2, 4.7, 5.5], [3.1, 6.0, 4.4]])
    y, _ = sr.vjp(lambda a: special.multigammaln(a, d), a)
    np.testing.assert_allclose(y, sc.multigammaln(a, d), rtol=EXACT)
    check_grad(lambda a: np.sum(np.sin(special.multigammaln(a, d))), a, rng=rng)
    # d/da ln Gamma_d(a) = sum_j psi(a - j/2)
    a_bar = sr.grad(lambda a: special.multigammaln(a, d))(4.2)
    assert a_bar == pytest.approx(sum(sc.digamma(4.2 - j / 2) for j in range(d)), rel=EXACT)
    with pytest.raises(ValueError, match="condition a"):
        sr.grad(lambda a: special.multigammaln(a, 3))(0.9)


def test_spherical_jn_derivative_keyword(rng):
    n = np.array([0, 1, 4])
    check_rrule(special.spherical_jn, n, MIXED, derivative=True, rng=rng)
    # the keyword's value: j_n'(z) itself
    z_bar = sr.grad(lambda z: np.sum(special.spherical_jn(n, z)))(POS)
    np.testing.assert_allclose(z_bar, sc.spherical_jn(n, POS, derivative=True), rtol=1e-12)


def test_digamma_and_polygamma_closed_forms():
    # psi''(1) = -2 zeta(3); d/dq zeta(2, q) = -2 zeta(3, q)
    assert sr.hessian(sc.digamma)(1.0) == pytest.approx(-2 * sc.zeta(3), rel=EXACT)
    assert sr.grad(lambda q: special.zeta(2, q))(1.0) == pytest.approx(-2 * sc.zeta(3), rel=EXACT)
    assert special.psi is sc.digamma


def test_gammasgn_has_a_zero_derivative():
    # the sign of Gamma is constant between its poles
    assert sr.grad(lambda x: sc.gammasgn(x) * x)(-1.5) == pytest.approx(sc.gammasgn(-1.5))


def test_the_facade_is_scipy_special():
    assert special.erf is sc.erf and special.jv is sc.jv
    assert set(sc.__all__) <= set(special.__all__) <= set(dir(special))

"""scipy.special in a plain closure pins down: every registered function against finite
differences (reverse, forward, second order), DLMF closed forms at known points, and a named
error -- never a zero -- for a derivative in an order or shape parameter.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

import symrules as sr
from symrules.testing import check_frule, check_rrule

EXACT = 1e-13  # closed forms in floating point
SECOND_ORDER_RTOL, SECOND_ORDER_ATOL = 1e-5, 1e-6  # a Hessian against FD of the gradient

X = np.array([0.3, 0.55, 0.8])
POS = X + 1.2  # where gamma, Bessel Y and K are smooth
MIXED = X - 0.5  # both signs, for the exponentially scaled functions' |x|

CASES = {  # name -> (function, arguments); an integer order is not differentiated
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
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rules_agree_with_finite_differences(case, rng):
    fn, args = case
    check_rrule(fn, *args, rng=rng)
    check_frule(fn, *args, rng=rng)


SECOND = {name: case for name, case in CASES.items() if name != "digamma"}


@pytest.mark.parametrize("case", SECOND.values(), ids=SECOND.keys())
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


@pytest.mark.parametrize(
    "fn, order", [(sc.jv, 1.5), (sc.kv, 0.5), (sc.gammainc, 2.0)], ids=["jv", "kv", "gammainc"]
)
def test_an_order_is_refused_by_name(fn, order):
    with pytest.raises(sr.UnsupportedFunctionError,
                       match=rf"scipy\.special\.{fn.__name__} is not differentiable in its "
                       "argument 0"):  # fmt: skip
        sr.grad(lambda v: np.sum(fn(v, POS)))(order)


def test_digamma_second_derivative_is_refused_not_wrong():
    # its derivative is polygamma(1, x), a Python wrapper that converts its input to an array
    with pytest.raises(sr.TracingError, match="converted to a plain numpy array"):
        sr.hessian(lambda x: np.sum(sc.digamma(x)))(POS)

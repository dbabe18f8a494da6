"""scipy.linalg's matrix functions and scipy.signal's convolve, as ``symrules.scipy`` has them.

Each agrees with scipy's own function in value, and its derivatives agree with finite
differences in every argument, at first and second order (the rules are written with the
same traced functions).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

import symrules as sr
from symrules.scipy import linalg, signal
from symrules.testing import check_frule, check_grad, check_rrule

RTOL = 1e-12  # the same computation as scipy's, in float64

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])  # eigenvalues well apart
B = np.array([[2.0, 0.3, 0.0], [0.1, 5.0, 0.4], [0.0, 0.2, 1.5]])
Q = np.array([[0.3, 0.6, 0.1], [0.7, 0.2, 0.4], [0.5, 0.9, 0.8]])
AB = np.array([[0.0, 1.0, 0.5, 0.2], [4.0, 3.0, 5.0, 2.0], [0.3, 0.7, 0.9, 0.0]])
RHS = np.array([0.3, 0.55, 0.8, 0.1])


def test_values_are_scipys():
    np.testing.assert_allclose(linalg.sqrtm(A), scipy.linalg.sqrtm(A), rtol=RTOL)
    np.testing.assert_allclose(linalg.solve_sylvester(A, B, Q),
                               scipy.linalg.solve_sylvester(A, B, Q), rtol=RTOL)  # fmt: skip
    np.testing.assert_allclose(linalg.solve_banded((1, 1), AB, RHS),
                               scipy.linalg.solve_banded((1, 1), AB, RHS), rtol=1e-10)  # fmt: skip
    assert linalg.expm is scipy.linalg.expm  # the rest is scipy's own


@pytest.mark.parametrize("fn, args", [(linalg.sqrtm, (A,)), (linalg.solve_sylvester, (A, B, Q))],
                         ids=["sqrtm", "solve_sylvester"])  # fmt: skip
def test_rules_agree_with_finite_differences(fn, args, rng):
    check_rrule(fn, *args, rng=rng)
    check_frule(fn, *args, rng=rng)


@pytest.mark.parametrize(
    "fn, args",
    [
        (lambda a: linalg.sqrtm(a), (A,)),
        (lambda a, b, q: linalg.solve_sylvester(a, b, q), (A, B, Q)),
        (lambda ab, b: linalg.solve_banded((1, 1), ab, b), (AB, RHS)),
        (lambda a, b: signal.convolve(a, b), (Q, A[:2, :2])),
        (lambda a, b: signal.convolve(a, b, mode="valid"), (RHS, Q[0])),
        (lambda a, b: signal.convolve(a, b, mode="same"), (Q, B[:2])),
    ],
    ids=["sqrtm", "solve_sylvester", "solve_banded", "convolve_2d", "convolve_valid",
         "convolve_same"],
)  # fmt: skip
def test_first_and_second_derivatives(fn, args, rng):
    def scalar(*a):
        return np.sum(np.sin(fn(*a)))

    check_grad(scalar, *args, rng=rng)
    v = rng.standard_normal(np.shape(args[0]))
    check_grad(lambda x, rest=args[1:], v=v: np.sum(sr.grad(scalar)(x, *rest) * v), args[0],
               rng=rng)  # fmt: skip


@pytest.mark.parametrize("s1, s2", [((4,), (2,)), ((2,), (5,)), ((4, 3), (2, 2)), ((6, 7), (4, 1))])
@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_is_scipys(s1, s2, mode, rng):
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    np.testing.assert_allclose(signal.convolve(a, b, mode), scipy.signal.convolve(a, b, mode),
                               rtol=1e-12, atol=1e-14)  # fmt: skip


def test_bad_input_is_named():
    with pytest.raises(sr.UnsupportedFunctionError, match="mode='circular'"):
        signal.convolve(RHS, RHS, mode="circular")
    with pytest.raises(sr.UnsupportedFunctionError, match=r"ab has 3 rows.*\(2, 1\)"):
        linalg.solve_banded((2, 1), AB, RHS)

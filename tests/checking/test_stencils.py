"""The step search of a finite-difference method, and the error it estimates for itself.

Pins down: on a catalogue of functions with SymPy-derived exact derivatives (1/p, log, sqrt,
sin at p = 1e-4, 1, 1e4; p = 0; sin(1 + p) at a tiny p; the fast sin(exp(exp(p)))), every
method's error estimate bounds its true error and is itself small; 1/p at p = 1e-4 comes out
to 1e-6 relative (a step scaled to max(1, |p|) jumps over the pole); a kink inside the stencil
is either resolved, so the estimate bounds the error, or flagged, the estimate exceeding the
value; steps whose stencil leaves the function's domain are skipped; a fixed step keeps its
plain stencil value and gets a bound too; a smooth function costs a handful of stencils.
"""

import numpy as np
import pytest
import sympy as sp

from symrules.finite_differences import FDM, backward_fdm, central_fdm, forward_fdm

# The estimate is informative: at most this relative error on the catalogue's smooth cases
# (the largest seen is ~1e-7, central3 on sin(exp(exp(p))) at p = 2, whose derivative is 1e4).
INFORMATIVE = 1e-6
# A zero derivative of an O(1) function: the estimate is a few round-off terms, eps / h ~ 1e-11.
ZERO_ATOL = 1e-10
# The issue's example: d/dp 1/p at p = 1e-4 to this relative accuracy (it is ~1e-14).
ISSUE_RTOL = 1e-6
# A flagged estimate is at least this fraction of the value: not even the sign is known.
FLAGGED = 1.0
# A smooth, well-scaled function costs at most this many stencils (the class docstring: 5).
SMOOTH_STENCILS = 5

P = sp.Symbol("p")
CATALOGUE = {
    "inverse@1e-4": ("1/p", 1e-4),
    "inverse@1": ("1/p", 1.0),
    "inverse@1e4": ("1/p", 1e4),
    "log@1e-4": ("log(p)", 1e-4),
    "log@1e4": ("log(p)", 1e4),
    "sqrt@1e-4": ("sqrt(p)", 1e-4),
    "sqrt@1e4": ("sqrt(p)", 1e4),
    "sin@1e-4": ("sin(p)", 1e-4),
    "sin@1": ("sin(p)", 1.0),
    "sin@1e4": ("sin(p)", 1e4),
    "exp@0": ("exp(p)", 0.0),
    "cos@0": ("cos(p)", 0.0),
    "sin(1+p)@1e-10": ("sin(1 + p)", 1e-10),
    "exp(p/1e4)@1e4": ("exp(p / 10000)", 1e4),
    "tanh(1000p)@1e-3": ("tanh(1000 * p)", 1e-3),
    "sin(exp(exp(p)))@1": ("sin(exp(exp(p)))", 1.0),
    "sin(exp(exp(p)))@2": ("sin(exp(exp(p)))", 2.0),
}
METHODS = {
    "central5": central_fdm(5),
    "central3": central_fdm(3),
    "central7": central_fdm(7),
    "forward4": forward_fdm(4),
    "backward4": backward_fdm(4),
    "central3-richardson": central_fdm(3, richardson=1),
}


def exact_derivative(expr: str, x: float) -> tuple:
    """``(f, f'(x))``: the numpy function and its derivative by SymPy in 40 digits."""
    e = sp.sympify(expr)
    value = sp.diff(e, P).evalf(40, subs={P: sp.Float(x, 40)})  # x exactly, as a binary float
    return sp.lambdify(P, e, "numpy"), float(value)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CATALOGUE)
def test_error_estimate_bounds_the_true_error(case, method):
    f, exact = exact_derivative(*CATALOGUE[case])
    value, error = METHODS[method](f, CATALOGUE[case][1], error=True)
    assert abs(value - exact) <= error
    assert error <= (INFORMATIVE * abs(exact) if exact else ZERO_ATOL)


def test_inverse_at_a_small_parameter_is_accurate():
    # The issue's Integrand("x/a", a=1e-4): the old step 1e-3 * max(1, |p|) reached past the
    # pole at 0 and gave +5e5 for -1e8.
    f, exact = exact_derivative("1/p", 1e-4)
    assert exact == pytest.approx(-1e8, rel=1e-15)
    assert central_fdm(5)(f, 1e-4) == pytest.approx(exact, rel=ISSUE_RTOL)


@pytest.mark.parametrize("distance", [1e-2, 1e-4, 1e-7, 1e-10, 1e-13])
def test_a_kink_inside_the_stencil_is_resolved(distance):
    # |p - c| at p = c + d: the search steps down until the stencil lies on one side. p - c
    # is exact (Sterbenz), so the one-sided stencils see an exact straight line.
    c = 0.5
    value, error = central_fdm(5)(lambda p: abs(p - c), c + distance, error=True)
    assert abs(value - 1.0) <= error


@pytest.mark.parametrize("distance", [1e-3, 1e-5, 1e-8])
def test_a_kink_inside_a_fixed_stencil_is_flagged(distance):
    # With step 1e-2 every stencil of the estimate (h, h/4, h/16) straddles the kink: the
    # value is far from the slope 1 on either side, and the estimate says so.
    c = 0.5
    method = central_fdm(5)
    value, error = method(lambda p: abs(p - c), c + distance, step=1e-2, error=True)
    assert abs(value - 1.0) > 0.5  # wrong by more than half the slope
    assert error >= FLAGGED * abs(value)


def test_a_kink_at_the_point_is_the_blind_spot():
    # Documented: a central stencil centred on a kink sees the mean slope of its two sides.
    value, error = central_fdm(5)(lambda p: abs(p - 0.5), 0.5, error=True)
    assert abs(value - 0.0) <= error < ZERO_ATOL  # 0, not the slope -1 or 1 of either side


@pytest.mark.parametrize(
    ("fun", "x", "exact"),
    [
        (np.sqrt, 2e-3, 0.5 / np.sqrt(2e-3)),  # the first stencils reach below 0: nan
        (lambda p: 1.0 / p, 2.0**-13, -(2.0**26)),  # a stencil point at 0: ZeroDivisionError
        (np.exp, 709.0, np.exp(709.0)),  # the first stencils overflow
    ],
    ids=["sqrt", "python-pole", "overflow"],
)
def test_steps_leaving_the_domain_are_skipped(fun, x, exact):
    value, error = central_fdm(5)(fun, x, error=True)
    assert abs(value - exact) <= error <= INFORMATIVE * abs(exact)


@pytest.mark.parametrize("method", METHODS)
def test_fixed_step_keeps_its_value_and_gets_a_bound(method):
    m = METHODS[method]
    for h in m.step_size() * np.array([64.0, 8.0, 1.0, 1 / 8]):
        value, error = m(np.exp, 0.7, step=h, error=True)
        assert value == m(np.exp, 0.7, step=h)
        assert abs(value - np.exp(0.7)) <= error


def test_array_outputs_choose_their_steps_entry_by_entry():
    # 1/t needs a step near 1e-4 * 1e-3, sin(1 + t) a step near 1e-3: one search serves both.
    def fun(t):
        return np.array([1.0 / t, np.sin(1.0 + t)])

    value, error = central_fdm(5)(fun, 1e-4, error=True)
    exact = np.array([-1e8, np.cos(1.0 + 1e-4)])
    assert np.all(np.abs(value - exact) <= error)
    assert np.all(error <= INFORMATIVE * np.abs(exact))


def test_a_smooth_function_costs_a_few_stencils():
    calls = []

    def exp(t):
        calls.append(t)
        return np.exp(t)

    method = central_fdm(5)
    method(exp, 0.7)
    nonzero = sum(c != 0 for c in method.coefs)
    assert len(calls) <= SMOOTH_STENCILS * nonzero


def test_custom_grid_searches_too():
    # Non-integer offsets: the steps stay powers of 2 and the estimate still bounds the error.
    method = FDM([-0.5, 0, 1])
    value, error = method(np.sin, 0.3, error=True)
    assert abs(value - np.cos(0.3)) <= error <= INFORMATIVE

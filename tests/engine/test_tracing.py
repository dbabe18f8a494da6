"""Tracing: plain numpy code sees traced values as arrays, and loses no derivative silently.

Pins down the Box's array behaviour (operators with numpy scalars and arrays on either side,
methods, iteration), the non-differentiable functions computed on values, and the errors for
every operation that would drop a derivative: conversion to float or ndarray, in-place writes,
numpy functions without a rule, ``out=`` arguments.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import symrules as sr

RTOL = 1e-13


def test_operators_with_numpy_scalars_and_arrays_on_either_side():
    def f(x):
        return np.sum(np.float64(2.0) * x + x / np.arange(1.0, 4.0) - 1.0 / x + 2.0**x)

    x = np.array([0.5, 1.0, 2.0])
    expected = 2.0 + 1.0 / np.arange(1.0, 4.0) + 1.0 / x**2 + np.log(2.0) * 2.0**x
    np.testing.assert_allclose(sr.grad(f)(x), expected, rtol=RTOL)


def test_array_methods_and_properties():
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
        return x.T.reshape(-1).sum() + x.mean() + x.ravel().dot(np.ones(6))

    g = sr.grad(f)(np.ones((2, 3)))
    np.testing.assert_allclose(g, np.full((2, 3), 2.0 + 1.0 / 6.0), rtol=RTOL)


def test_iteration_and_builtin_sum():
    g = sr.grad(lambda x: sum(xi**2 for xi in x))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=RTOL)


def test_comparisons_give_plain_booleans_for_control_flow():
    def relu_sum(x):
        return np.sum(np.where(x > 0, x, 0.0)) if bool(np.any(x > 0)) else 0.0 * np.sum(x)

    np.testing.assert_allclose(sr.grad(relu_sum)(np.array([-1.0, 2.0])), [0.0, 1.0])


def test_non_differentiable_functions_are_computed_on_values():
    def f(x):
        k = int(np.argmax(x))
        return x[k] * np.sign(x[k]) + np.sum(np.floor(x))

    np.testing.assert_allclose(sr.grad(f)(np.array([0.5, -3.0, 2.5])), [0.0, 0.0, 1.0])


def test_user_function_marked_non_differentiable():
    @sr.non_differentiable
    def step_size(x):
        return 1e-3 * float(np.max(np.abs(x)))

    np.testing.assert_allclose(sr.grad(lambda x: np.sum(x) * step_size(x))(np.ones(2)), 1e-3)


@pytest.mark.parametrize(
    "convert, what",
    [(float, "Python number"), (math.exp, "Python number"), (np.asarray, "numpy array")],
)
def test_conversions_that_drop_the_derivative_are_errors(convert, what):
    with pytest.raises(sr.TracingError, match=what):
        sr.grad(lambda x: convert(x) * 1.0)(1.0)


def test_in_place_assignment_is_an_error():
    def f(x):
        x[0] = 1.0
        return np.sum(x)

    with pytest.raises(sr.TracingError, match="in-place"):
        sr.grad(f)(np.ones(2))


def test_unsupported_numpy_function_is_named():
    with pytest.raises(sr.UnsupportedFunctionError, match=r"numpy\.unwrap"):
        sr.grad(lambda x: np.sum(np.unwrap(x)))(np.ones(3))
    with pytest.raises(sr.UnsupportedFunctionError, match=r"numpy\.add\.reduce"):
        sr.grad(lambda x: np.add.reduce(x))(np.ones(3))


def test_ufunc_out_argument_is_an_error():
    def f(x):
        buf = np.empty(2)
        return np.sum(np.sin(x, out=buf))

    with pytest.raises(sr.UnsupportedFunctionError, match="out="):
        sr.grad(f)(np.ones(2))


def test_traced_keyword_argument_is_an_error():
    @sr.primitive
    def shift(x, *, by):
        return x + by

    with pytest.raises(sr.TracingError, match="keyword argument 'by'"):
        sr.grad(lambda b: shift(1.0, by=b))(1.0)


def test_astype_to_integer_is_an_error():
    with pytest.raises(sr.TracingError, match="astype"):
        sr.grad(lambda x: np.sum(x.astype(int)))(np.ones(2))

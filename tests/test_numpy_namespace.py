"""``symrules.numpy`` is numpy, and builds arrays from traced values.

Pins down: on plain input every call gives numpy's own result (values, shapes, dtypes, the
same classes and constants); with traced values inside lists and tuples (``array``,
``asarray``, ``r_``, ``c_``, and any function numpy would have converted the list for) the
values are numpy's and the derivatives agree with finite differences, in reverse and forward
mode and at second order; what would drop a derivative (an integer dtype) and what cannot be
traced (a matrix directive) raise an error naming it. Oracles: numpy on the primal values,
finite differences, closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr
import symrules.numpy as snp
from symrules.engine.casting import astype
from symrules.errors import TracingError, UnsupportedFunctionError
from symrules.testing import check_frule, check_rrule

C = np.array([[0.3, -1.2], [0.5, 0.8], [-0.4, 1.1]])  # a constant mixed in with traced values
V = np.linspace(-0.5, 0.7, 4)
RTOL = 1e-7  # forward mode against finite differences (central, 5 points) in float64
CAST_RTOL = 1e-8  # the cast rule against finite differences in float64
FLOAT32_RTOL = 1e-3  # float32 keeps 7 digits; differences of it, about half of them

# name -> (fun(np_module, x), x): each builds an array from x; ``m`` is numpy or symrules.numpy
BUILT = {
    "array_of_scalars": (lambda m, x: m.array([x, x * 2.0, x + 2.5]), 0.7),
    "array_2d_of_scalars": (lambda m, x: m.array([[x, 1.0, x**2], (x / 2.0, x, 3)]), 0.7),
    "array_of_arrays": (lambda m, x: m.array([x, 2.0 * x]), C),
    "array_mixed_with_constants": (lambda m, x: m.array([[2 * x, C], [x, x + 1]]), C),
    "array_of_a_scalar": (lambda m, x: m.array(x), 0.7),
    "array_ndmin": (lambda m, x: m.array([x, 1.0], ndmin=3), 0.7),
    "array_float32": (lambda m, x: m.array([x, 1.0], dtype=np.float32) * 1.0, 0.75),
    "asarray_of_a_tuple": (lambda m, x: m.asarray((x[0], x[1] * x[2])), V),
    "array_of_a_traced_array": (lambda m, x: m.array(m.sin(x), dtype=float), V),
    "r_basic": (lambda m, x: m.r_[x], C),
    "r_mixed": (lambda m, x: m.r_[x, C, x], C),
    "r_slice_and_scalars": (lambda m, x: m.r_[x, 1.0, 0:3, 0:1:3j, x[0]], V),
    "r_directive_axis": (lambda m, x: m.r_["-1", x, C], C),
    "r_directive_ndmin": (lambda m, x: m.r_["0,2", x, V], V),
    "r_directive_trans1d": (lambda m, x: m.r_["1,2,0", x, V, 0:4], V),
    "c_": (lambda m, x: m.c_[x, C, x], C),
    "c_of_vectors": (lambda m, x: m.c_[x, V, 0:4], V),
    "c_of_a_traced_scalar_row": (lambda m, x: m.c_[x[0], x[1]], V),
    "mean_of_a_list": (lambda m, x: m.mean([x, x + 2.0]), 0.7),
    "std_of_a_tuple": (lambda m, x: m.std((x, x**2, 1.0)), 0.7),
    "norm_of_a_list": (lambda m, x: m.linalg.norm([x, 4.0 * x, 1.0]), 0.7),
    "ufunc_of_a_list": (lambda m, x: m.exp([x, 2.0 * x]), 0.7),
    "keyword_list": (lambda m, x: m.sum(a=[x, x**2]), 0.7),
    "ragged_sequence_of_arrays": (lambda m, x: m.concatenate(([x[0], x[1]], [x[2]])), V),
    "fft_of_a_list": (lambda m, x: m.real(m.fft.fft([x, 2 * x, 1.0])), 0.7),
    "max_of_equal_values": (lambda m, x: m.max(m.array([[x, x], [x, 0.5]]), axis=1), 1.0),
}


def _on(fun, module):
    return lambda x: fun(module, x)


@pytest.mark.parametrize("case", BUILT.values(), ids=BUILT.keys())
def test_values_are_numpys(case):
    fun, x = case
    expected = fun(np, x)
    got = sr.vjp(_on(fun, snp), x)[0]
    assert np.shape(got) == np.shape(expected)
    assert np.result_type(got) == np.result_type(expected)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("case", BUILT.values(), ids=BUILT.keys())
def test_gradient_agrees_with_finite_differences(case, rng):
    fun, x = case
    rtol = FLOAT32_RTOL if np.result_type(fun(np, x)) == np.float32 else sr.testing.RTOL
    sr.testing.check_grad(_on(fun, snp), x, rng=rng, rtol=rtol)


@pytest.mark.parametrize("case", BUILT.values(), ids=BUILT.keys())
def test_forward_mode_agrees_with_finite_differences(case, rng):
    fun, x = case
    w = rng.standard_normal(np.shape(fun(np, x)))
    v = rng.standard_normal(np.shape(x))
    scalar = lambda x: np.sum(w * _on(fun, snp)(x))  # noqa: E731
    _, y_dot = sr.jvp(scalar, (x,), (v,))
    exact = np.sum(sr.finite_differences.gradient(scalar, x) * v)
    rtol = FLOAT32_RTOL if np.result_type(fun(np, x)) == np.float32 else RTOL
    np.testing.assert_allclose(y_dot, exact, rtol=rtol, atol=RTOL)


def test_second_derivative_through_a_built_array():
    # f(x) = sum(array([x^3, x*y, y^2])^2) at (x, y): d2f/dx2 = 30 x^4 + 2 y^2, closed form
    def f(p):
        x, y = p[0], p[1]
        return snp.sum(snp.array([x**3, x * y, y**2]) ** 2)

    p = np.array([0.7, -1.3])
    h = sr.hessian(f)(p)
    x, y = p
    exact = [[30 * x**4 + 2 * y**2, 4 * x * y], [4 * x * y, 2 * x**2 + 12 * y**2]]
    np.testing.assert_allclose(h, exact, rtol=1e-12)


def test_jacobian_of_a_scalar_to_vector():
    x = 0.3
    jac = sr.jacobian(lambda x: snp.array([x, x**2, x**3]))(x)
    np.testing.assert_allclose(jac, [1.0, 2 * x, 3 * x**2], rtol=1e-15)


def test_astype_keeps_the_requested_float_dtype():
    # autograd's test_astype: the cotangent of a float32 input is float32
    x = np.arange(3, dtype=np.float32)
    g = sr.grad(lambda x: np.sum(np.sin(x.astype("float64"))))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)  # float32 precision
    y = sr.vjp(lambda x: x.astype(np.float32), np.ones(2))[0]
    assert y.dtype == np.float32


# ---------------------------------------------------------------------------------------
# plain input: numpy's own, at numpy's speed


def test_plain_calls_are_numpys():
    for fun, x in BUILT.values():
        np.testing.assert_array_equal(fun(snp, x), fun(np, x))
    assert snp.array([[1, 2]]).dtype == np.array([[1, 2]]).dtype
    assert snp.r_["0,2", [1, 2]].shape == (1, 2)
    snp.random.seed(3)
    a = snp.random.randn(2)
    np.random.seed(3)
    np.testing.assert_array_equal(a, np.random.randn(2))


def test_classes_constants_and_submodules_are_numpys():
    assert snp.ndarray is np.ndarray and snp.float64 is np.float64 and snp.dtype is np.dtype
    assert snp.pi == np.pi and snp.newaxis is None and snp.testing is np.testing
    assert isinstance(snp.zeros(2), snp.ndarray)
    assert snp.add.reduce([1.0, 2.0]) == 3.0  # a ufunc keeps its methods
    assert snp.sum is snp.sum  # wrapped once
    assert set(dir(np)) <= set(dir(snp))
    from symrules.numpy.linalg import norm

    assert norm([3.0, 4.0]) == 5.0
    with pytest.raises(AttributeError, match=r"symrules\.numpy.*no_such_function"):
        snp.no_such_function  # noqa: B018


def test_integer_types_cast_traced_values_to_indices():
    # np.int64(x) of a traced x: integers (an index), no derivative; numpy's type otherwise
    def fun(w):
        index = snp.int64(w[:, -1])
        assert index.dtype == snp.int64
        return np.sum(w[index, :-1])

    w = np.array([[1.0, 2.0, 1.0], [3.0, 4.0, 0.0]])
    np.testing.assert_array_equal(sr.grad(fun)(w), [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    assert isinstance(np.int64(1), snp.int64) and issubclass(np.int64, snp.int64)
    assert np.dtype(snp.int64) == np.int64 and snp.int_ is snp.int64
    assert type(snp.int64(2)) is np.int64


# ---------------------------------------------------------------------------------------
# refusals, naming the culprit


def test_an_integer_dtype_of_traced_values_is_refused():
    with pytest.raises(TracingError, match="int64"):
        sr.grad(lambda x: snp.sum(snp.array([x, 1.0], dtype=np.int64)))(0.5)
    with pytest.raises(TracingError, match=r"astype\(int32\)"):
        sr.grad(lambda x: x.astype(np.int32))(0.5)


def test_ragged_lists_of_traced_values_fail_as_in_numpy():
    with pytest.raises(ValueError, match="ragged") as caught:
        sr.grad(lambda x: snp.sum(snp.array([x, [x, x]])))(0.5)
    assert "inhomogeneous" in str(caught.value.__cause__)  # numpy's own message


def test_directives_numpy_has_and_symrules_refuses():
    with pytest.raises(UnsupportedFunctionError, match="matrix directive 'r'"):
        sr.grad(lambda x: snp.sum(snp.r_["r", x, x]))(V)
    with pytest.raises(ValueError, match="unknown special directive 'a'"):
        sr.grad(lambda x: snp.sum(snp.r_["a", x]))(V)
    with pytest.raises(ValueError, match="first entry"):
        sr.grad(lambda x: snp.sum(snp.r_[x, "0"]))(V)


def test_plain_numpy_names_symrules_numpy():
    with pytest.raises(TracingError, match=r"symrules\.numpy"):
        sr.grad(lambda x: np.sum(np.array([x, x])))(0.5)
    # a refusal with no list to convert stands: a traced value made a Python number
    with pytest.raises(TracingError, match="Python number"):
        sr.grad(lambda x: snp.exp(float(x)))(0.5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_the_cast_rule_agrees_with_finite_differences(dtype, rng):
    x = rng.standard_normal(3)
    rtol = FLOAT32_RTOL if dtype is np.float32 else CAST_RTOL
    check_rrule(astype, x, dtype, rng=rng, rtol=rtol)
    check_frule(astype, x, dtype, rng=rng, rtol=rtol)

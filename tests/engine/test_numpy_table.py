"""The numpy table: every rule agrees with finite differences, forward and reverse.

Each entry of the catalogue below is a numpy function with arguments away from kinks (and on
both sides of each kink); ``check_rrule`` checks its pullback through the inner-product
identity and ``check_frule`` its pushforward, both against finite differences. Broadcasting
cases check the one unbroadcast helper; second derivatives check that the rules themselves
are differentiable.
"""

from __future__ import annotations

import operator
import re

import numpy as np
import pytest
import scipy.special as sc

import symrules as sr
from symrules.engine.numpy_table import scatter_add
from symrules.engine.table import composite, label, table_entry, table_functions
from symrules.scipy import linalg as scipy_linalg
from symrules.scipy import special as scipy_special
from symrules.testing import check_frule, check_rrule

# Points in (0.2, 0.9): inside every domain (log, arcsin, arctanh, sqrt) and away from kinks.
V = np.array([0.3, 0.55, 0.8])
W = np.array([0.45, 0.25, 0.65])
M = np.array([[0.3, 0.6], [0.7, 0.2], [0.5, 0.9]])

SQUARE = np.array([[0.3, 0.6, 0.1], [0.7, 0.2, 0.4], [0.5, 0.9, 0.8]])
STACKED_3x3 = np.stack([SQUARE, 2.0 * SQUARE])
SPD = SQUARE @ SQUARE.T + np.diag([0.5, 3.0, 6.0])  # eigenvalues well apart

CATALOGUE = {
    "add": (np.add, V, W),
    "add_broadcast": (np.add, M, np.array([0.1, 0.2])),
    "subtract_scalar": (np.subtract, V, 0.4),
    "multiply_broadcast": (np.multiply, M, np.array([[0.5], [0.2], [0.3]])),
    "true_divide": (np.true_divide, V, W),
    "negative": (np.negative, V),
    "power": (np.power, V, W),
    "power_int_exponent": (np.power, V, 3),
    "square": (np.square, V),
    "reciprocal": (np.reciprocal, V),
    "sqrt": (np.sqrt, V),
    "cbrt": (np.cbrt, V),
    "exp": (np.exp, V),
    "exp2": (np.exp2, V),
    "expm1": (np.expm1, V),
    "log": (np.log, V),
    "log2": (np.log2, V),
    "log10": (np.log10, V),
    "log1p": (np.log1p, V),
    "sin": (np.sin, V),
    "cos": (np.cos, V),
    "tan": (np.tan, V),
    "arcsin": (np.arcsin, V),
    "arccos": (np.arccos, V),
    "arctan": (np.arctan, V),
    "arctan2": (np.arctan2, V, W),
    "hypot": (np.hypot, V, W),
    "sinh": (np.sinh, V),
    "cosh": (np.cosh, V),
    "tanh": (np.tanh, V),
    "arcsinh": (np.arcsinh, V),
    "arccosh": (np.arccosh, V + 1.0),
    "arctanh": (np.arctanh, V),
    "abs_both_sides": (np.abs, V - 0.5),
    "fabs": (np.fabs, V - 0.5),
    "maximum_both_sides": (np.maximum, V, W),
    "minimum_both_sides": (np.minimum, V, W),
    "sum": (np.sum, M),
    "sum_axis": (np.sum, M, 0),
    "mean_axis_keepdims": (lambda x: np.mean(x, axis=1, keepdims=True), M),
    "prod": (np.prod, V),
    "max": (np.max, V),
    "min_axis": (lambda x: np.min(x, axis=0), M),
    "cumsum": (np.cumsum, V),
    "cumsum_axis": (lambda x: np.cumsum(x, axis=1), M),
    "diff": (np.diff, V),
    "flip": (np.flip, M),
    "dot_vectors": (np.dot, V, W),
    "vdot": (np.vdot, V, W),
    "dot_matrix_vector": (np.dot, M, np.array([0.2, 0.7])),
    "matmul": (np.matmul, M, M.T),
    "matmul_vector_matrix": (np.matmul, V, M),
    "matmul_batched": (np.matmul, np.stack([M, 2 * M]), M.T),
    "getitem_int": (operator.getitem, V, 1),
    "getitem_slice": (operator.getitem, M, (slice(None), 1)),
    "getitem_repeated_index": (operator.getitem, V, np.array([0, 0, 2])),
    "getitem_mask": (operator.getitem, V, V > 0.5),
    "reshape": (np.reshape, M, (2, 3)),
    "ravel": (np.ravel, M),
    "transpose": (np.transpose, M),
    "transpose_axes": (np.transpose, np.stack([M, M]), (2, 0, 1)),
    "swapaxes": (np.swapaxes, M, 0, 1),
    "moveaxis": (np.moveaxis, np.stack([M, M]), 0, 2),
    "squeeze": (np.squeeze, M[:, :1]),
    "expand_dims": (np.expand_dims, V, 0),
    "broadcast_to": (np.broadcast_to, V, (2, 3)),
    "concatenate": (lambda a, b: np.concatenate([a, b]), V, W),
    "concatenate_axis1": (lambda a, b: np.concatenate([a, b], axis=1), M, M),
    "stack_axis1": (lambda a, b: np.stack([a, b], axis=1), V, W),
    "where": (lambda a, b: np.where(V > 0.5, a, b), V, W),
    "clip": (np.clip, V, 0.4, 0.7),
    "linspace": (np.linspace, 0.3, 1.7, 7),
    "linspace_no_endpoint_arrays": (lambda a, b: np.linspace(a, b, 4, endpoint=False), V, W),
    "logaddexp": (np.logaddexp, V, W),
    "logaddexp2_broadcast": (np.logaddexp2, M, np.array([0.1, 0.2])),
    "remainder": (np.remainder, V + 1.0, W),
    "remainder_operator": (operator.mod, V + 1.0, W),
    "fmod_negative": (np.fmod, -V - 1.0, W),
    "deg2rad": (np.deg2rad, V),
    "radians": (np.radians, V),
    "rad2deg": (np.rad2deg, V),
    "degrees": (np.degrees, V),
    "sinc": (np.sinc, V - 0.5),
    "fliplr": (np.fliplr, M),
    "flipud": (np.flipud, M),
    "rot90": (np.rot90, M),
    "rot90_k3": (np.rot90, STACKED_3x3, 3, (2, 1)),
    "roll": (np.roll, M, 1),
    "roll_axes": (np.roll, M, (1, -1), (0, 1)),
    "tril": (np.tril, SQUARE),
    "triu_k1": (np.triu, SQUARE, 1),
    "diagonal": (np.diagonal, M),
    "diagonal_batched": (np.diagonal, STACKED_3x3, 1, 1, 2),
    "trace": (np.trace, SQUARE),
    "trace_batched": (np.trace, STACKED_3x3, -1, 1, 2),
    "diag_of_vector": (np.diag, V, 1),
    "diag_of_matrix": (np.diag, M, -1),
    "hstack": (lambda a, b: np.hstack([a, b]), V, W),
    "hstack_matrices": (lambda a, b: np.hstack((a, b)), M, M),
    "hstack_scalar": (lambda a, b: np.hstack([a, b]), 0.5, V),
    "vstack": (lambda a, b: np.vstack([a, b]), M.T, V),
    "dstack": (lambda a, b: np.dstack([a, b]), M, M),
    "vstack_rows_of_an_array": (np.vstack, STACKED_3x3),  # numpy stacks an array's rows
    "hstack_rows_of_an_array": (np.hstack, M),
    "column_stack_rows_of_an_array": (np.column_stack, M),
    "column_stack": (lambda a, b: np.column_stack([a, b]), M, V),
    "append_flat": (np.append, M, W),
    "append_axis1": (np.append, M, M[:, :1], 1),
    "repeat": (np.repeat, V, 2),
    "repeat_axis": (np.repeat, M, 3, 1),
    "repeat_per_element": (np.repeat, M, np.array([2, 0, 1]), 0),
    "tile": (np.tile, V, 2),
    "tile_more_axes": (np.tile, M, (2, 1, 3)),
    "atleast_2d": (np.atleast_2d, V),
    "atleast_3d": (np.atleast_3d, M),
    "outer": (np.outer, V, W),
    "outer_flattens": (np.outer, M, V),
    "inner": (np.inner, V, W),
    "inner_matrices": (np.inner, M, 2.0 * M),
    "inner_scalar": (np.inner, 0.5, M),
    "var": (np.var, M),
    "var_axis_ddof": (np.var, M, 0, None, None, 1),
    "std": (np.std, V),
    "std_axis": (lambda x: np.std(x, axis=1, keepdims=True), M),
    "nan_to_num": (np.nan_to_num, V),
    "sort": (np.sort, STACKED_3x3),
    "sort_axis0": (np.sort, M, 0),
    "sort_flat": (np.sort, M, None),
    "cross": (np.cross, STACKED_3x3[0], V),
    "kron_vectors": (np.kron, V, W[:2]),
    "kron_matrices": (np.kron, M, SQUARE[:2]),
    "tensordot": (np.tensordot, STACKED_3x3, SQUARE, 1),
    "tensordot_pairs": (np.tensordot, STACKED_3x3, SQUARE, ([2, 1], [0, 1])),
    "einsum_matmul": (lambda a, b: np.einsum("ij,jk->ik", a, b), M, M.T),
    "einsum_chain": (lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c), M, M.T, V),
    "einsum_sum_out": (lambda a: np.einsum("ij->j", a), M),
    "einsum_implicit": (lambda a, b: np.einsum("ij,ij", a, b), M, 2.0 * M),
    "einsum_outer": (lambda a, b: np.einsum("i,jk->kij", a, b), V, M),
    "rollaxis": (np.rollaxis, STACKED_3x3, 2),
    "rollaxis_start": (np.rollaxis, STACKED_3x3, 0, 3),
    "fftshift": (np.fft.fftshift, np.arange(5.0) / 7.0),
    "ifftshift_axes": (np.fft.ifftshift, STACKED_3x3, (0, 2)),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", CATALOGUE.values(), ids=CATALOGUE.keys())
def test_rrule_agrees_with_finite_differences(case, compiled, rng):
    fn, *args = case
    if compiled or sr.rrule(fn, *args) is None:  # a composite: check the engine instead
        sr.testing.check_grad(lambda *a: np.sum(np.sin(fn(*a))), *args, rng=rng, jit=compiled)
    else:
        check_rrule(fn, *args, rng=rng)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", CATALOGUE.values(), ids=CATALOGUE.keys())
def test_jvp_agrees_with_reverse_mode(case, compiled, rng):
    fn, *args = case
    stage = sr.jit if compiled else (lambda fun: fun)  # jit: traced at x + 0.01, replayed at x
    floats = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype == float]
    for i in floats:

        def along(x, i=i):
            return np.sum(np.sin(fn(*args[:i], x, *args[i + 1 :])))

        v = rng.standard_normal(np.shape(args[i]))
        jvp = stage(lambda x, v, along=along: sr.jvp(along, (x,), (v,))[1])
        grad = stage(sr.grad(along))
        jvp(args[i] + 0.01, v), grad(args[i] + 0.01)
        np.testing.assert_allclose(jvp(args[i], v), np.sum(grad(args[i]) * v), rtol=1e-12)


@pytest.mark.parametrize("fn", [np.sin, np.exp, np.tanh, np.sqrt, np.log1p, np.arctan])
def test_frule_of_elementwise_function(fn, rng):
    check_frule(fn, V, rng=rng)


def test_non_differentiable_function_rule_gives_zero_tangent():
    y, pullback = sr.rrule(np.sign, V - 0.5)
    np.testing.assert_array_equal(y, np.sign(V - 0.5))
    assert pullback(np.ones(3)) == (sr.NoTangent(), sr.ZeroTangent())


@pytest.mark.parametrize(
    "fn, second",
    [
        (np.sin, lambda x: -np.sin(x)),
        (np.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
        (lambda x: x**3, lambda x: 6 * x),
        (lambda x: np.sqrt(x), lambda x: -0.25 * x**-1.5),
        (lambda x: np.log(x) * x, lambda x: 1 / x),
    ],
    ids=["sin", "tanh", "cube", "sqrt", "xlogx"],
)
def test_second_derivatives_through_the_table(fn, second):
    d2 = [sr.grad(sr.grad(fn))(x) for x in V]
    np.testing.assert_allclose(d2, second(V), rtol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_gradient_is_exact_at_zeros(axis):
    x = np.array([[0.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    g = sr.grad(lambda x: np.sum(np.prod(x, axis=axis)))(x)
    expected = np.zeros_like(x)
    for idx in np.ndindex(x.shape):  # product of the others, written out
        others = np.delete(x, idx[1], axis=1)[idx[0]] if axis == 1 else None
        if axis is None:
            others = np.delete(x.ravel(), np.ravel_multi_index(idx, x.shape))
        elif axis == 0:
            others = np.delete(x[:, idx[1]], idx[0])
        expected[idx] = np.prod(others)
    np.testing.assert_array_equal(g, expected)


def test_std_where_it_is_zero_has_a_zero_derivative_not_nan():
    # one element: std is identically 0, so every derivative is 0; equal elements: the kink's
    # zero subgradient (found by HIPS autograd's stat_check through the shim)
    for x, kwargs in [(3.5, {}), (M[:1], {"axis": 0}), (np.ones(3), {})]:
        fun = lambda z, kw=kwargs: np.sum(np.std(z, **kw))  # noqa: E731
        np.testing.assert_array_equal(sr.grad(fun)(x), np.zeros_like(x))
        _, y_dot = sr.jvp(fun, (x,), (np.ones_like(x),))
        assert y_dot == 0.0
    check_frule(np.std, M[:1], axis=0)
    check_rrule(np.std, M[:1], axis=0)


def test_sinc_derivatives_at_and_near_zero():
    # closed forms: sinc'(0) = 0, sinc''(0) = -pi^2/3; sinc'(x) = (cos(pi x) - sinc(x)) / x,
    # accurate at 0.3 (no cancellation); across 0.05 the series and the formula meet smoothly
    assert sr.grad(np.sinc)(0.0) == 0.0
    np.testing.assert_allclose(sr.grad(sr.grad(np.sinc))(0.0), -np.pi**2 / 3, rtol=1e-14)
    x = 0.3
    np.testing.assert_allclose(sr.grad(np.sinc)(x), (np.cos(np.pi * x) - np.sinc(x)) / x,
                               rtol=1e-14)  # fmt: skip
    near = np.array([0.0499999, 0.0500001])
    g = sr.grad(lambda x: np.sum(np.sinc(x)))(near)
    np.testing.assert_allclose(g[0], g[1], rtol=1e-5)  # continuous across the switch


def test_linspace_with_traced_bounds_gives_a_riemann_sum_gradient():
    def riemann(b):
        x = np.linspace(0.0, b, 101)
        return np.sum(x[1:] ** 2) * (b / 100)

    b = 2.0
    exact = 3 * b**2 * (100 * 101 * 201 / 6) / 100**3  # d/db of b**3 * sum(i**2) / 100**3
    np.testing.assert_allclose(sr.grad(riemann)(b), exact, rtol=1e-12)


def test_several_outputs_are_refused_not_dropped():
    with pytest.raises(sr.UnsupportedFunctionError, match="several outputs"):
        sr.grad(lambda b: np.sum(np.linspace(0.0, b, 5, retstep=True)[0]))(1.0)
    with pytest.raises(sr.UnsupportedFunctionError, match="several outputs"):
        sr.jvp(lambda b: np.linspace(0.0, b, 5, retstep=True)[0], (1.0,), (1.0,))


# ---------------------------------------------------------------------------------------
# numpy's own keyword names: every table entry, generated from the table itself

STACKED = np.stack([M, 2 * M])
# One call in keyword form per table function that takes keywords (fn, args, kwargs).
KEYWORD_FORMS = {
    "sum": (np.sum, (M,), {"axis": 0, "keepdims": True}),
    "mean": (np.mean, (M,), {"axis": 1, "keepdims": True}),
    "prod": (np.prod, (M,), {"axis": 0}),
    "max": (np.max, (M,), {"axis": 1, "keepdims": True}),
    "min": (np.min, (M,), {"axis": 0}),
    "amax": (np.amax, (M,), {"axis": 0}),
    "amin": (np.amin, (M,), {"axis": 1}),
    "cumsum": (np.cumsum, (M,), {"axis": 1}),
    "flip": (np.flip, (M,), {"axis": 0}),
    "diff": (np.diff, (V,), {"n": 2, "axis": 0}),
    "reshape": (np.reshape, (M,), {"shape": (2, 3), "order": "F"}),
    "ravel": (np.ravel, (M,), {"order": "F"}),
    "squeeze": (np.squeeze, (M[:, :1],), {"axis": 1}),
    "expand_dims": (np.expand_dims, (V,), {"axis": 1}),
    "transpose": (np.transpose, (STACKED,), {"axes": (2, 0, 1)}),
    "swapaxes": (np.swapaxes, (M,), {"axis1": 0, "axis2": 1}),
    "moveaxis": (np.moveaxis, (STACKED,), {"source": 0, "destination": 2}),
    "broadcast_to": (np.broadcast_to, (V,), {"shape": (2, 3)}),
    "copy": (np.copy, (V,), {"order": "C"}),
    "concatenate": (np.concatenate, ([M, M],), {"axis": 1}),
    "stack": (np.stack, ([V, W],), {"axis": 1}),
    "clip": (np.clip, (V,), {"a_min": 0.4, "a_max": 0.7}),
    "clip_numpy2_names": (np.clip, (V,), {"min": 0.4}),
    "linspace": (np.linspace, (0.3, 1.7), {"num": 7, "endpoint": False}),
    "rot90": (np.rot90, (STACKED_3x3,), {"k": -1, "axes": (0, 2)}),
    "roll": (np.roll, (M,), {"shift": 2, "axis": 0}),
    "tril": (np.tril, (SQUARE,), {"k": -1}),
    "triu": (np.triu, (M,), {"k": 1}),
    "diagonal": (np.diagonal, (STACKED_3x3,), {"offset": 1, "axis1": 2, "axis2": 0}),
    "trace": (np.trace, (STACKED_3x3,), {"offset": 1, "axis1": 0, "axis2": 2}),
    "diag": (np.diag, (V,), {"k": -2}),
    "hstack": (np.hstack, ([M, M],), {"dtype": float}),
    "vstack": (np.vstack, ([M, M],), {"casting": "same_kind"}),
    "repeat": (np.repeat, (M,), {"repeats": 2, "axis": 1}),
    "tile": (np.tile, (V,), {"reps": (2, 1)}),
    "append": (np.append, (M, M), {"axis": 0}),
    "var": (np.var, (M,), {"axis": 0, "ddof": 1, "keepdims": True}),
    "std": (np.std, (M,), {"axis": 1, "correction": 1}),
    "nan_to_num": (np.nan_to_num, (V,), {"nan": 0, "posinf": 1, "neginf": -1}),
    "sort": (np.sort, (M,), {"axis": 0, "kind": "stable"}),
    "tensordot": (np.tensordot, (STACKED_3x3, SQUARE), {"axes": ([1, 2], [1, 0])}),
    "norm": (np.linalg.norm, (M,), {"ord": 3, "axis": 0, "keepdims": True}),
    "eigvalsh": (np.linalg.eigvalsh, (SPD,), {"UPLO": "U"}),
    "cholesky": (np.linalg.cholesky, (SPD,), {"upper": True}),
    "einsum": (np.einsum, ("ij,jk->ik", M, M.T), {"optimize": True}),
    "rollaxis": (np.rollaxis, (STACKED_3x3,), {"axis": 2, "start": 1}),
    "fftshift": (np.fft.fftshift, (M,), {"axes": 0}),
    "ifftshift": (np.fft.ifftshift, (M,), {"axes": (0, 1)}),
    # -- array functions (split, pad, select, ...) --
    "split": (np.split, (M,), {"indices_or_sections": [1], "axis": 0}),
    "array_split": (np.array_split, (M,), {"indices_or_sections": 2, "axis": 1}),
    "hsplit": (np.hsplit, (M,), {"indices_or_sections": 2}),
    "vsplit": (np.vsplit, (M,), {"indices_or_sections": [1]}),
    "dsplit": (np.dsplit, (STACKED,), {"indices_or_sections": 2}),
    "pad": (
        np.pad, (M,), {"pad_width": ((1, 2), (0, 1)), "mode": "constant",
                       "constant_values": ((1, 2), (3, 4))},
    ),
    "pad_reflect": (np.pad, (M,), {"pad_width": 2, "mode": "reflect", "reflect_type": "even"}),
    "select": (np.select, ([M > 0.5, M > 0.25], [M, 2.0 * M]), {"default": 0.1}),
    "partition": (np.partition, (V,), {"kth": 1, "axis": 0, "kind": "introselect"}),
    "gradient": (np.gradient, (M,), {"axis": 0, "edge_order": 2}),
    "cross": (np.cross, (STACKED_3x3[0], SQUARE), {"axisa": 0, "axisb": 1, "axisc": 0}),
    "cross_axis": (np.cross, (SQUARE, 2.0 * SQUARE), {"axis": 0}),
    "einsum_ellipsis": (np.einsum, ("...ij,...jk->...ik", STACKED, M.T), {"optimize": "greedy"}),
    "einsum_interleaved": (np.einsum, (M, (0, 1), M.T, (1, 2), (0, 2)), {"optimize": False}),
    # -- linalg decompositions --
    "eigh": (np.linalg.eigh, (SPD,), {"UPLO": "U"}),
    "eigh_packed": (sr.engine.numpy_decompositions.eigh_packed, (SPD,), {"UPLO": "U"}),
    "svd": (np.linalg.svd, (M,), {"full_matrices": False}),
    "svd_values": (np.linalg.svd, (M,), {"compute_uv": False}),
    "qr": (np.linalg.qr, (M,), {"mode": "r"}),
    "pinv": (np.linalg.pinv, (M,), {"rcond": 0}),  # an int: a float would be a field
    # -- scipy --
    "spherical_jn": (scipy_special.spherical_jn, (2, V), {"derivative": True}),
    # -- complex parts --
    "angle": (np.angle, (V + 0.5j,), {"deg": False}),  # deg=True: test_complex.py, vs JAX
    "real_if_close": (np.real_if_close, (V + 1e-20j,), {"tol": 1000}),
    # -- fft --
    "fft": (np.fft.fft, (M,), {"n": 4, "axis": 0, "norm": "ortho"}),
    "ifft": (np.fft.ifft, (M,), {"n": 1, "axis": -1, "norm": "forward"}),
    "rfft": (np.fft.rfft, (M,), {"n": 5, "axis": 0, "norm": "backward"}),
    "irfft": (np.fft.irfft, (M,), {"n": 3, "axis": 0, "norm": "ortho"}),
    "hfft": (np.fft.hfft, (M,), {"n": 4, "axis": 0, "norm": "forward"}),
    "ihfft": (np.fft.ihfft, (M,), {"n": 3, "axis": 1, "norm": "ortho"}),
    "fftn": (np.fft.fftn, (STACKED,), {"s": (3, 4), "axes": (2, 0), "norm": "ortho"}),
    "ifftn": (np.fft.ifftn, (STACKED,), {"axes": (0, 1), "norm": "forward"}),
    "fft2": (np.fft.fft2, (STACKED,), {"s": (2, 3), "axes": (1, 2)}),
    "ifft2": (np.fft.ifft2, (STACKED,), {"s": (4, 1), "norm": "ortho"}),
    "rfftn": (np.fft.rfftn, (STACKED,), {"s": (3, 4), "axes": (1, 0), "norm": "forward"}),
    "irfftn": (np.fft.irfftn, (STACKED,), {"s": (2, 3), "axes": (0, 2), "norm": "ortho"}),
    "rfft2": (np.fft.rfft2, (STACKED,), {"axes": (0, 2), "norm": "ortho"}),
    "irfft2": (np.fft.irfft2, (STACKED,), {"s": (3, 3), "axes": (2, 1)}),
}
# Functions numpy calls with positional data only (no keyword can reach them), or whose only
# argument is the data.
POSITIONAL_ONLY = {np.where, np.vdot, np.atleast_1d, operator.getitem, scatter_add, np.sinc,
                   np.fliplr, np.flipud, np.atleast_2d, np.atleast_3d, np.dstack,
                   np.column_stack, np.inner, np.kron, np.linalg.inv, np.linalg.det,
                   np.linalg.solve}  # fmt: skip
POSITIONAL_ONLY |= set()  # array functions
POSITIONAL_ONLY |= {np.real, np.imag}  # complex parts
POSITIONAL_ONLY |= {np.linalg.slogdet, np.linalg.eig, np.linalg.eigvals, np.linalg.svdvals,
                    sr.engine.numpy_linalg.logabsdet,
                    sr.engine.numpy_linalg.slogdet_sign, sr.engine.numpy_decompositions.svd_packed,
                    sr.engine.numpy_decompositions.svd_complement,
                    sr.engine.numpy_decompositions.qr_packed,
                    sr.engine.numpy_decompositions.eig_packed}  # linalg decompositions  # fmt: skip
POSITIONAL_ONLY |= {scipy_special.polygamma, scipy_special.zeta}  # scipy
POSITIONAL_ONLY |= {scipy_linalg.sqrtm, scipy_linalg.solve_sylvester}
POSITIONAL_ONLY |= set()  # fft
POSITIONAL_ONLY |= {sr.engine.casting.astype}  # construction (Box.astype's cast)
# A keyword each positional-or-ufunc function must refuse, not ignore (a silent wrong gradient).
REFUSED = {np.dot: {"out": np.zeros(())}, np.matmul: {"axes": [(-2, -1), (-2, -1), (-2, -1)]},
           np.outer: {"out": np.zeros((3, 3))}}  # fmt: skip


def test_every_table_function_has_a_keyword_case():
    covered = {fn for fn, _, _ in KEYWORD_FORMS.values()} | POSITIONAL_ONLY | set(REFUSED)
    missing = [
        getattr(fn, "__name__", fn)
        for fn in table_functions()
        if fn not in covered and not isinstance(fn, np.ufunc)
    ]
    assert not missing, f"table functions without a keyword-form test: {missing}"


def _scalarized(fn, kwargs):
    """``Re sum(sin(fn(...)))`` over each of ``fn``'s outputs: a scalar that sees every entry."""

    def scalar(*args):
        out = fn(*args, **kwargs)
        parts = out if isinstance(out, tuple | list) else [out]
        return sum(np.real(np.sum(np.sin(part))) for part in parts)  # real: fft's are complex

    return scalar


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", KEYWORD_FORMS.values(), ids=KEYWORD_FORMS.keys())
def test_keyword_form_agrees_with_finite_differences(case, compiled, rng):
    fn, args, kwargs = case
    if composite(fn) is None:  # a composite has no rule of its own: the engine checks it
        check_rrule(fn, *args, rng=rng, **kwargs)
    if any(isinstance(a, list) for a in args):
        return
    scalar = _scalarized(fn, kwargs)
    sr.testing.check_grad(scalar, *args, rng=rng, jit=compiled)  # the engine on the keyword call
    if composite(fn) is None:
        check_frule(fn, *args, rng=rng, **kwargs)
    else:  # forward mode through the composite, against the reverse mode just checked
        v = tuple(rng.standard_normal(np.shape(a)) for a in args)
        _, y_dot = sr.jvp(scalar, args, v)
        grads = sr.grad(scalar, argnums=tuple(range(len(args))))(*args)
        np.testing.assert_allclose(y_dot, sum(np.sum(g * t) for g, t in zip(grads, v, strict=True)),
                                   rtol=1e-10)  # fmt: skip


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("case", KEYWORD_FORMS.values(), ids=KEYWORD_FORMS.keys())
def test_keyword_form_second_derivative(case, compiled, rng):
    # the rules are differentiable themselves: a Hessian-vector product against differences
    fn, args, kwargs = case
    if any(isinstance(a, list) for a in args):
        pytest.skip("data given as a list")
    scalar = _scalarized(fn, kwargs)
    i = next(i for i, a in enumerate(args) if isinstance(a, np.ndarray | float))
    v = rng.standard_normal(np.shape(args[i]))

    def along(x):
        at = (*args[:i], x, *args[i + 1 :])
        return np.sum(sr.grad(scalar, argnums=i)(*at) * v)

    sr.testing.check_grad(along, args[i], rng=rng, jit=compiled)


ELEMENTWISE = [f for f in table_functions() if isinstance(f, np.ufunc) and f is not np.matmul]


# Inside each function's domain, away from the jumps of remainder and fmod at a == b; an
# integer order where scipy truncates a float one (with a warning).
SPECIAL_ARGUMENTS = {np.arccosh: (V + 1.0,), sc.yn: (np.array([0, 1, 2]), W)}


def _ufunc_arguments(fn):
    return SPECIAL_ARGUMENTS.get(fn, (V, W, V * W)[: fn.nin])


@pytest.mark.parametrize("fn", ELEMENTWISE, ids=lambda f: f.__name__)
def test_every_ufunc_refuses_a_keyword_it_would_ignore(fn):
    # the first argument with a derivative is traced (a Bessel function's order has none)
    args = _ufunc_arguments(fn)
    i = next(i for i, vjp in enumerate(table_entry(fn).vjps) if vjp is not None)

    def at(x, fixed=tuple(args), **kwargs):  # a default, not a captured (differentiated) field
        return np.sum(fn(*fixed[:i], x, *fixed[i + 1 :], **kwargs))

    mask = np.array([True, False, True])
    with pytest.raises(sr.UnsupportedFunctionError, match=rf"{re.escape(label(fn))}.*where="):
        sr.grad(lambda x: at(x, where=mask))(args[i])
    # a keyword at its default is no keyword: the call differentiates as usual
    sr.testing.check_grad(lambda x: at(x, where=True), args[i])


@pytest.mark.parametrize("fn", ELEMENTWISE, ids=lambda f: f.__name__)
def test_every_ufunc_has_a_second_derivative(fn, rng):
    # each traced argument in turn: the derivative of its gradient against differences
    args = _ufunc_arguments(fn)
    for i, vjp in enumerate(table_entry(fn).vjps):
        if vjp is None:  # no derivative in that argument (an order): refused, never zero
            continue

        # constants as defaults: a captured array would be a field, differentiated too
        def along(x, i=i, fixed=args, v=rng.standard_normal(np.shape(args[i]))):  # noqa: B008
            def scalar(t):
                return np.sum(fn(*fixed[:i], t, *fixed[i + 1 :]))

            return np.sum(sr.grad(scalar)(x) * v)

        sr.testing.check_grad(along, args[i], rng=rng)


@pytest.mark.parametrize("fn", list(REFUSED), ids=lambda f: f.__name__)
def test_keywords_without_a_rule_are_refused(fn):
    (name, value), = REFUSED[fn].items()
    with pytest.raises(sr.UnsupportedFunctionError, match=rf"{name}="):
        sr.grad(lambda x: np.sum(fn(x, M.T, **{name: value})))(M)


@pytest.mark.parametrize(
    "call, refused",
    [
        (lambda x: np.sum(x, where=x > 0.5), "where"),
        (lambda x: np.sum(x, initial=1.0), "initial"),
        (lambda x: np.max(x, initial=0.0), "initial"),
        (lambda x: np.sum(np.diff(x, prepend=0.0)), "prepend"),
    ],
    ids=["sum_where", "sum_initial", "max_initial", "diff_prepend"],
)
def test_reduction_keywords_without_a_rule_are_refused(call, refused):
    with pytest.raises(sr.UnsupportedFunctionError, match=rf"{refused}="):
        sr.grad(call)(V)


def test_the_keyword_calls_of_the_issue():
    # np.clip, np.moveaxis, np.swapaxes with numpy's keyword names crashed in the rules
    g = sr.grad(lambda x: np.sum(np.clip(x, a_min=0.4, a_max=0.7)))(V)
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])  # only 0.55 is inside [0.4, 0.7]
    g = sr.grad(lambda hi: np.sum(np.clip(V, a_max=hi)))(0.5)  # a traced keyword bound
    assert float(g) == 2.0  # 0.55 and 0.8 are clipped to hi
    weights = np.arange(12.0).reshape(3, 2, 2)
    g = sr.grad(lambda x: np.sum(np.moveaxis(x, source=0, destination=2) * weights))(
        np.ones((2, 3, 2))
    )
    np.testing.assert_array_equal(g, np.moveaxis(weights, 2, 0))  # the transpose
    g = sr.grad(lambda x: np.sum(np.swapaxes(x, axis1=0, axis2=1) * M.T))(M)
    np.testing.assert_array_equal(g, M)


def test_rrule_and_the_engine_run_the_same_table_code(rng):
    # rrule(np.sum, x, 0) and the engine both go through table.table_pullback: same numbers
    y_bar = rng.standard_normal(2)
    _, pullback = sr.rrule(np.sum, M, 0)
    _, engine_pullback = sr.vjp(lambda x: np.sum(x, axis=0), M)
    f_bar, x_bar, axis_bar = pullback(y_bar)
    assert f_bar is sr.NoTangent() and axis_bar is sr.NoTangent()
    np.testing.assert_array_equal(x_bar, engine_pullback(y_bar)[0])


# ---------------------------------------------------------------------------------------
# the power family at zero: 0 * inf is not the answer


@pytest.mark.parametrize("exponent", [0, 0.0, 1, 1.0, 2, 3, 2.5])
@pytest.mark.parametrize("form", ["power", "operator"])
def test_power_at_zero_has_its_exact_derivatives(exponent, form):
    def f(x):
        return np.power(x, exponent) if form == "power" else x**exponent

    # d/dx x**p at 0: 1 for p == 1, else 0 (p = 0 included); d2: 2 for p == 2, else 0
    first = 1.0 if exponent == 1 else 0.0
    second = 2.0 if exponent == 2 else 0.0
    assert float(sr.grad(f)(0.0)) == first
    assert float(sr.jvp(f, (0.0,), (1.0,))[1]) == first
    assert float(sr.grad(sr.grad(f))(0.0)) == second
    assert float(sr.hessian(lambda x: np.sum(f(x)))(np.array([0.0]))[0, 0]) == second


def test_power_below_one_at_zero_is_infinite_as_numpy_says():
    with np.errstate(divide="ignore"):
        assert float(sr.grad(lambda x: x**0.5)(0.0)) == np.inf
        assert float(sr.grad(np.sqrt)(0.0)) == np.inf


def test_power_with_a_traced_zero_exponent_array():
    b = np.array([0.0, 1.0, 2.0])
    g = sr.grad(lambda x: np.sum(np.power(x, b)))(np.zeros(3))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_a_list_of_traced_values_gets_its_share_of_an_array_cotangent():
    # np.append's rule gives the list one array cotangent; each traced entry reads its own
    assert sr.grad(lambda x: np.sum(np.append([x, 2.0 * x, 3.0], x)))(0.5) == 4.0
    g = sr.grad(lambda x: np.sum(np.concatenate(([x[0], x[1]], x)) * np.arange(4.0)))(V[:2])
    np.testing.assert_array_equal(g, [0.0 + 2.0, 1.0 + 3.0])


def test_constants_in_a_list_have_a_zero_tangent():
    _, y_dot = sr.jvp(lambda x: np.stack([x / 2, x, 3]), (0.7,), (1.0,))
    np.testing.assert_array_equal(y_dot, [0.5, 1.0, 0.0])  # the integer 3 is a constant


def test_concatenate_of_one_array_concatenates_its_rows():
    # numpy concatenates the rows of a single array: the cotangent is y_bar split back
    weights = np.arange(6.0)
    g = sr.grad(lambda x: np.sum(np.concatenate(x) * weights))(M)
    np.testing.assert_array_equal(g, weights.reshape(M.shape))

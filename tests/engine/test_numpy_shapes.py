"""The rest of numpy's array API: each call computes numpy's own values, and its derivatives
agree with finite differences, forward and reverse, in numpy's keyword forms.

Splits, padding, selection, partition and numerical gradients are composites (traced through
a re-implementation in table calls): the values under a trace must equal numpy's exactly, and
the engine's gradient must agree with differences. Products (``dot``, ``kron``, ``cross``,
``einsum``) have rules: ``check_rrule`` and ``check_frule`` check them directly. A mode or
keyword without a derivative is refused by name.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrules as sr
from symrules.testing import check_frule, check_grad, check_rrule

EXACT = 0.0  # a composite computes numpy's own numbers: gathers, slices, concatenations
ROUNDING = 1e-13  # the same differences as numpy's, summed in another order


def _outputs(out):
    return list(out) if isinstance(out, tuple | list) else [out]


def check_composite(fn, *args, rng, rtol=EXACT, **kwargs):
    """``fn(*args, **kwargs)`` under a trace gives numpy's values; its gradient (of every
    output) agrees with finite differences in every float argument (the others held)."""
    floats = [i for i, a in enumerate(args) if isinstance(a, float | np.ndarray)
              and np.asarray(a).dtype == float]  # fmt: skip

    def call(*x):
        at = list(args)
        for i, value in zip(floats, x, strict=True):
            at[i] = value
        return fn(*at, **kwargs)

    def scalar(*x):
        return sum(np.sum(np.sin(part)) for part in _outputs(call(*x)))

    expected = _outputs(fn(*args, **kwargs))
    x = tuple(args[i] for i in floats)
    traced = _outputs(sr.vjp(call, *x)[0])
    assert len(traced) == len(expected)
    for got, want in zip(traced, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    check_grad(scalar, *x, rng=rng)
    v = tuple(rng.standard_normal(np.shape(a)) for a in x)  # forward mode, against reverse
    _, y_dot = sr.jvp(scalar, x, v)
    grads = sr.grad(scalar, argnums=tuple(range(len(x))))(*x)
    np.testing.assert_allclose(y_dot, sum(np.sum(g * t) for g, t in zip(grads, v, strict=True)),
                               rtol=1e-10)  # fmt: skip


# ---------------------------------------------------------------------------------------
# splits


@pytest.mark.parametrize(
    "fn, shape, sections, kwargs",
    [
        (np.split, (7,), 1, {"axis": 0}),
        (np.split, (4, 8), 4, {"axis": 1}),
        (np.split, (4, 8), [1, 2], {}),
        (np.split, (4, 4, 4), [1, 2], {"axis": 2}),
        (np.split, (4, 8), [5, 2, 7, 20], {"axis": -1}),  # decreasing, past the end
        (np.array_split, (7, 7), 4, {"axis": 1}),
        (np.array_split, (7,), 3, {}),
        (np.array_split, (7, 7, 7), [3, 5], {"axis": 2}),
        (np.hsplit, (4, 8), 4, {}),
        (np.hsplit, (8,), [3], {}),
        (np.vsplit, (4, 4, 4), [1, 2], {}),
        (np.dsplit, (4, 4, 4), 2, {}),
    ],
)
def test_split_is_a_list_of_slices(fn, shape, sections, kwargs, rng):
    check_composite(fn, rng.standard_normal(shape), sections, rng=rng, **kwargs)


def test_split_keyword_form(rng):
    x = rng.standard_normal((4, 6))
    check_composite(np.split, x, rng=rng, indices_or_sections=[2], axis=1)
    check_composite(np.hsplit, x, rng=rng, indices_or_sections=3)


def test_split_refuses_what_numpy_refuses():
    with pytest.raises(ValueError, match="equal division"):
        sr.grad(lambda x: np.sum(np.split(x, 3)[0]))(np.ones(7))
    with pytest.raises(ValueError, match="vsplit only works on arrays of 2"):
        sr.grad(lambda x: np.sum(np.vsplit(x, 2)[0]))(np.ones(4))


# ---------------------------------------------------------------------------------------
# pad

PAD_WIDTHS = [0, 3, (3,), (3, 2), ((3, 2),), ((1, 2), (3, 4)), ((0, 0), (0, 0)),
              ((1,), (2,)), {1: (2, 1)}, {-2: 4}]  # fmt: skip
MODES = ["constant", "edge", "reflect", "symmetric", "wrap"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pad_width", PAD_WIDTHS, ids=str)
def test_pad_every_width_form_and_mode(pad_width, mode, rng):
    check_composite(np.pad, rng.standard_normal((2, 3)), pad_width, mode, rng=rng)


@pytest.mark.parametrize("mode", ["reflect", "symmetric", "wrap"])
def test_pad_wider_than_the_array_repeats_as_numpy_does(mode, rng):
    check_composite(np.pad, rng.standard_normal(3), (7, 5), mode=mode, rng=rng)


def test_pad_constant_values_per_axis_fill_the_corners_as_numpy_does(rng):
    x = rng.standard_normal((2, 3))
    # integers: a float here would be a captured field, traced (refused below)
    check_composite(np.pad, x, 2, rng=rng, constant_values=((1, 2), (3, 4)))
    check_composite(np.pad, x, (1, 2), mode="constant", constant_values=(-1, 2), rng=rng)
    check_composite(np.pad, x, ((1, 0), (0, 2)), mode="symmetric", reflect_type="even", rng=rng)


def test_pad_with_a_traced_constant_value():
    # sum(pad(x, w, constant_values=c)) = sum(x) + c * (padded size - x's size)
    x_bar, c_bar = sr.grad(lambda x, c: np.sum(np.pad(x, ((1, 0), (0, 2)), constant_values=c)),
                           (0, 1))(np.ones((2, 2)), 0.5)  # fmt: skip
    np.testing.assert_array_equal(x_bar, np.ones((2, 2)))
    assert c_bar == 3 * 4 - 2 * 2
    with pytest.raises(sr.UnsupportedFunctionError, match=r"numpy\.pad.*one value"):
        sr.grad(lambda c: np.sum(np.pad(np.ones(2) * c[0], 1, constant_values=c)))(np.ones(2))


@pytest.mark.parametrize(
    "kwargs, refused",
    [
        ({"mode": "mean"}, "mode='mean'"),
        ({"mode": "linear_ramp", "end_values": 1.0}, "mode='linear_ramp'"),
        ({"mode": "reflect", "reflect_type": "odd"}, "reflect_type='odd'"),
        ({"mode": "edge", "constant_values": 1.0}, "constant_values=1.0"),
    ],
)
def test_pad_refuses_modes_without_a_rule_by_name(kwargs, refused):
    with pytest.raises(sr.UnsupportedFunctionError, match=rf"numpy\.pad.*{refused}"):
        sr.grad(lambda x: np.sum(np.pad(x, 1, **kwargs)))(np.ones(3))


# ---------------------------------------------------------------------------------------
# select


def test_select_with_traced_choices_and_default(rng):
    shape = (3, 4, 5)
    conditions = [rng.standard_normal(shape) > 0 for _ in range(3)]

    def select(a, b, c, default):
        return np.select(conditions, [a, b, c], default)

    choices = [rng.standard_normal(shape) for _ in range(3)]
    check_composite(select, *choices, 1.1, rng=rng)
    check_composite(select, *choices, rng.standard_normal(shape), rng=rng)


def test_select_broadcasts_like_numpy(rng):
    conditions = [rng.standard_normal((3, 4)) > 0, rng.standard_normal(4) > 0.5]

    def select(a, b, default):
        return np.select(conditions, [a, b], default)

    a, b = rng.standard_normal((3, 1)), rng.standard_normal(4)
    check_composite(select, a, b, 0.5, rng=rng)
    check_composite(lambda a, b: np.select(conditions, [a, b]), a, b, rng=rng)


# ---------------------------------------------------------------------------------------
# partition


@pytest.mark.parametrize("kth", [0, 3, 6, [1, 4], -1])
def test_partition_gathers_numpy_s_numbers(kth, rng):
    check_composite(np.partition, rng.standard_normal(7), kth, rng=rng)


def test_partition_along_an_axis_and_flattened(rng):
    x = rng.standard_normal((5, 4))
    check_composite(np.partition, x, 2, axis=0, rng=rng)
    check_composite(np.partition, x, kth=7, axis=None, kind="introselect", rng=rng)


def test_partition_refuses_order():
    with pytest.raises(sr.UnsupportedFunctionError, match=r"numpy\.partition.*order="):
        sr.grad(lambda x: np.sum(np.partition(x, 1, order="a")))(np.ones(3))


# ---------------------------------------------------------------------------------------
# gradient


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), (0, -1)], ids=str)
def test_gradient_over_axes_and_edge_orders(axis, edge_order, rng):
    for shape in [(5, 5), (5, 4, 3)]:
        f = rng.standard_normal(shape)
        check_composite(np.gradient, f, axis=axis, edge_order=edge_order, rtol=ROUNDING,
                        rng=rng)  # fmt: skip


def test_gradient_returns_what_numpy_returns(rng):
    f = rng.standard_normal((4, 3))
    assert isinstance(sr.vjp(np.gradient, f)[0], tuple)
    assert isinstance(sr.vjp(lambda f: np.gradient(f, axis=1), f)[0], np.ndarray)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_traced_spacings_and_coordinates(edge_order, rng):
    f = rng.standard_normal((5, 4))
    coordinates = np.cumsum(rng.uniform(0.5, 1.5, 5))  # uneven
    for spacings in [(0.7,), (coordinates, 2.0), (0.3, 2.0)]:
        check_composite(np.gradient, f, *spacings, edge_order=edge_order, rtol=ROUNDING,
                        rng=rng)  # fmt: skip


def test_gradient_of_a_quadratic_is_exact_at_second_order():
    # closed form: three-point differences of edge order 2 are exact on quadratics
    x = np.linspace(0.0, 1.0, 6)
    h = x[1] - x[0]

    def slope_at_the_ends(c):
        return np.gradient(c * x**2, h, edge_order=2)[[0, -1]]

    np.testing.assert_allclose(sr.jacobian(slope_at_the_ends)(3.0), [0.0, 2.0], atol=1e-12)


# ---------------------------------------------------------------------------------------
# dot, kron and cross


@pytest.mark.parametrize(
    "fn, shapes",
    [(np.dot, s) for s in [((2, 2, 3), (2, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)),
                           ((2, 3), (3, 4)), ((3,), (3,)), ((), (2, 3)), ((2, 3), ())]]
    + [(np.kron, s) for s in [((5, 5), (3, 3)), ((5,), (3,)), ((5, 1), (1, 3)), ((5,), (3, 3)),
                              ((2, 1, 3), (2, 2)), ((), ()), ((), (2, 3))]],
    ids=str,
)  # fmt: skip
def test_dot_and_kron_of_any_dimensions(fn, shapes, rng):
    a, b = (rng.standard_normal(s) for s in shapes)
    check_rrule(fn, a, b, rng=rng)
    check_frule(fn, a, b, rng=rng)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"axisa": 0}, {"axisa": 1, "axisb": 0, "axisc": 0}, {"axisb": 0, "axisc": -1},
     {"axis": 0}, {"axis": -1}],
    ids=str,
)  # fmt: skip
def test_cross_with_numpy_s_axis_keywords(kwargs, rng):
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    check_rrule(np.cross, a, b, rng=rng, **kwargs)
    check_frule(np.cross, a, b, rng=rng, **kwargs)


def test_cross_broadcasts(rng):
    check_rrule(np.cross, rng.standard_normal((4, 3)), rng.standard_normal(3), rng=rng)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("shapes", [((4, 2), (4, 2)), ((2,), (4, 3)), ((4, 3), (2,))], ids=str)
def test_cross_of_2_vectors(shapes, rng):
    a, b = (rng.standard_normal(s) for s in shapes)
    check_rrule(np.cross, a, b, rng=rng)
    check_frule(np.cross, a, b, rng=rng)


# ---------------------------------------------------------------------------------------
# einsum

EINSUMS = {
    "transpose": ("ij->ji", [(3, 4)]),
    "ellipsis_broadcast": ("...ij,...jk->...ik", [(2, 3), (2, 2, 3, 4)]),
    "ellipsis_tail": ("jk...,lj...->lk...", [(3, 2, 4), (2, 3, 4)]),
    "ellipsis_center": ("j...k,lj...->lk...", [(2, 2, 2), (2, 2, 2)]),
    "ellipsis_sum": ("...k,...nk->...", [(3, 5), (3, 10, 5)]),
    "ellipsis_only": ("...,...->...", [(4, 4), (3, 4, 4)]),
    "ellipsis_length_one": ("...i,...i->...", [(1, 3), (4, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "trace_implicit": ("ii", [(3, 3)]),
    "diagonal_of_three": ("ijk,lji,lli->lki", [(3, 4, 4), (4, 4, 3), (4, 4, 3)]),
    "implicit_outer": ("ij,k", [(3, 4), (3,)]),
    "implicit_ellipsis": ("...ij,...jk", [(2, 3), (5, 3, 4)]),
    "naked_sum": ("abcd->bd", [(3, 2, 3, 2)]),
    "index_of_length_one": ("ij,j->i", [(2, 1), (3,)]),
}


@pytest.mark.parametrize("case", EINSUMS.values(), ids=EINSUMS.keys())
def test_einsum_ellipses_diagonals_implicit_output(case, rng):
    spec, shapes = case
    operands = [rng.standard_normal(s) for s in shapes]
    check_rrule(np.einsum, spec, *operands, rng=rng)
    check_frule(np.einsum, spec, *operands, rng=rng)


@pytest.mark.parametrize(
    "args",
    [
        ((3, 4), (0, 1), (1, 0)),
        ((3, 4), (1, 0)),  # implicit: the labels in order
        ((2, 3), (0, 1), (3, 4), (1, 2), (0, 2)),
        ((2, 3), (Ellipsis, 0, 1), (2, 3, 4), (Ellipsis, 1, 2), (Ellipsis, 0, 2)),
        ((3, 4, 4), (0, 1, 2), (4, 4, 3), (3, 1, 0), (4, 4, 3), (3, 3, 0), (3, 2, 0)),
    ],
    ids=["transpose", "implicit", "matmul", "broadcast", "three_with_diagonal"],
)
def test_einsum_interleaved_form(args, rng):
    # np.einsum(op0, sublist0, op1, sublist1, ..., [output]): operands at every other position
    args = [rng.standard_normal(a) if i % 2 == 0 and i < len(args) - (len(args) % 2)
            else a for i, a in enumerate(args)]  # fmt: skip
    check_rrule(np.einsum, *args, rng=rng)
    check_frule(np.einsum, *args, rng=rng)


def test_einsum_over_an_empty_broadcast_axis():
    # the cotangents keep the operands' zero-length axis (found by autograd's leadzero test)
    a, b = np.ones((0, 2, 3)), np.ones((0, 3, 4))
    grads = sr.grad(lambda a, b: np.sum(np.einsum("...ij,...jk->...ik", a, b)), (0, 1))(a, b)
    assert [g.shape for g in grads] == [a.shape, b.shape]


def test_einsum_second_derivative_through_a_diagonal_and_an_ellipsis(rng):
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3))
    v = rng.standard_normal(a.shape)

    def hessian_along_v(a):
        def scalar(a):
            return np.sum(np.sin(np.einsum("...ii,...i->...i", a, b) * np.einsum("...ij->...i", a)))

        return np.sum(sr.grad(scalar)(a) * v)

    check_grad(hessian_along_v, a, rng=rng)


def test_einsum_refuses_out_by_name():
    with pytest.raises(sr.UnsupportedFunctionError, match=r"numpy\.einsum.*out="):
        sr.grad(lambda a: np.sum(np.einsum("ii->i", a, out=np.zeros(2))))(np.eye(2))

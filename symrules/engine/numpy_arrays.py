"""The numpy table, continued: functions that rearrange, stack, repeat or sort arrays.

Every one is linear in each data argument, so its pushforward is the function itself on the
tangent, and its pullback is its transpose written with numpy calls (traced again for second
derivatives): a flip, roll, rotation or FFT shift is undone by the opposite one, a triangle
keeps the same triangle of the cotangent, a diagonal or a trace puts the cotangent back on a
diagonal of zeros, a stack is cut back into its pieces, a repeat or a tile sums the copies, a
sort puts each cotangent back where its value came from, and a partition is the gather
through ``np.argpartition`` (products are in :mod:`~symrules.engine.numpy_products`). The
shapes numpy's stacking functions give their inputs (``atleast_1d/2d/3d``, ``column_stack``)
are written out so that a pullback needs only the inputs' shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UnsupportedFunctionError
from .broadcasting import shape_of
from .numpy_table import scatter_add
from .registry import mark_non_differentiable
from .table import defcomposite, defjvp, defvjp, linear_jvp, shape_only

__all__: list[str] = []


# ---------------------------------------------------------------------------------------
# array layout: flips, rotations, rolls, triangles, diagonals (linear; the pullback undoes)


def _negated(shift: Any) -> Any:
    return -shift if isinstance(shift, int | np.integer) else tuple(-s for s in shift)


def _diagonal_positions(shape: tuple, offset: int, axis1: int, axis2: int) -> tuple:
    """``(rows, cols)`` of the ``offset`` diagonal in the plane of ``axis1``, ``axis2``."""
    n1, n2 = shape[axis1], shape[axis2]
    r0, c0 = max(-offset, 0), max(offset, 0)
    d = max(0, min(n1 - r0, n2 - c0))
    return np.arange(r0, r0 + d), np.arange(c0, c0 + d)


def _onto_diagonal(y_bar: Any, shape: tuple, offset: int, axis1: int, axis2: int) -> Any:
    """Zeros of ``shape`` with ``y_bar`` (the other axes, then the diagonal) on the diagonal:
    the transpose of ``np.diagonal``."""
    ndim = len(shape)
    a1, a2 = axis1 % ndim, axis2 % ndim
    rows, cols = _diagonal_positions(shape, offset, a1, a2)
    others = tuple(n for i, n in enumerate(shape) if i not in (a1, a2))
    plane = scatter_add(y_bar, (Ellipsis, rows, cols), (*others, shape[a1], shape[a2]))
    return np.moveaxis(plane, (-2, -1), (a1, a2))


def _diagonal_pullback(y_bar, y, a, offset=0, axis1=0, axis2=1):
    return _onto_diagonal(y_bar, shape_of(a), offset, axis1, axis2)


def _trace_pullback(y_bar, y, a, offset=0, axis1=0, axis2=1, dtype=None):
    shape = shape_of(a)
    d = len(_diagonal_positions(shape, offset, axis1 % len(shape), axis2 % len(shape))[0])
    along = np.broadcast_to(np.expand_dims(y_bar, -1), (*shape_of(y_bar), d))
    return _onto_diagonal(along, shape, offset, axis1, axis2)


def _diag_pullback(y_bar, y, v, k=0):
    if len(shape_of(v)) == 1:  # v was put on the k-th diagonal: read it back
        return np.diagonal(y_bar, k)
    return _onto_diagonal(y_bar, shape_of(v), k, 0, 1)


def _rollaxis_pullback(y_bar, y, a, axis, start=0):
    n = len(shape_of(a))
    axis, start = axis % n, start + n if start < 0 else start
    return np.moveaxis(y_bar, start - 1 if axis < start else start, axis)


_LAYOUT: list[tuple[Any, Callable[..., Any], tuple[str, ...]]] = [
    (np.fliplr, lambda y_bar, y, m: np.fliplr(y_bar), ()),
    (np.flipud, lambda y_bar, y, m: np.flipud(y_bar), ()),
    (np.rot90, lambda y_bar, y, m, k=1, axes=(0, 1): np.rot90(y_bar, -k, axes), ("k", "axes")),
    (np.roll, lambda y_bar, y, a, shift, axis=None: np.roll(y_bar, _negated(shift), axis),
     ("shift", "axis")),
    (np.tril, lambda y_bar, y, m, k=0: np.tril(y_bar, k), ("k",)),
    (np.triu, lambda y_bar, y, m, k=0: np.triu(y_bar, k), ("k",)),
    (np.diagonal, _diagonal_pullback, ("offset", "axis1", "axis2")),
    (np.trace, _trace_pullback, ("offset", "axis1", "axis2", "dtype")),
    (np.diag, _diag_pullback, ("k",)),
    (np.rollaxis, _rollaxis_pullback, ("axis", "start")),
    (np.fft.fftshift, lambda y_bar, y, x, axes=None: np.fft.ifftshift(y_bar, axes), ("axes",)),
    (np.fft.ifftshift, lambda y_bar, y, x, axes=None: np.fft.fftshift(y_bar, axes), ("axes",)),
]  # fmt: skip
for _fn, _pullback, _keywords in _LAYOUT:
    defvjp(_fn, shape_only(_pullback), keywords=_keywords)
    defjvp(_fn, linear_jvp(_fn))


# ---------------------------------------------------------------------------------------
# stacking, repeating and tiling (linear; the pullback sums or slices back)


def _promoted(shape: tuple, how: str) -> tuple:
    """The shape numpy's ``atleast_1d/2d/3d`` or ``column_stack`` gives an array of ``shape``."""
    if how == "column" and len(shape) < 2:
        return (1, 1) if not shape else (shape[0], 1)
    if how == "3d" and len(shape) < 3:
        return {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)]
    minimum = {"1d": 1, "2d": 2, "3d": 3, "column": 2}[how]
    return (1,) * (minimum - len(shape)) + tuple(shape)


def _split_back(y_bar: Any, shapes: list[tuple], axis: int, how: str) -> list:
    """Cut ``y_bar`` along ``axis`` into pieces the size of each promoted input; each piece
    reshaped to its input's own shape."""
    sizes = [_promoted(shape, how)[axis] for shape in shapes]
    stops = np.cumsum(sizes)
    lead = (slice(None),) * axis
    return [np.reshape(y_bar[(*lead, slice(stop - n, stop))], shape)
            for shape, n, stop in zip(shapes, sizes, stops, strict=True)]  # fmt: skip


def _stacked(tup: Any, axis_of: Callable[[list[tuple]], int], how: str) -> Callable:
    """The pullback of a stacking function: ``y_bar`` cut back into the pieces of ``tup``, a
    list of arrays or one array whose rows numpy stacks (``np.vstack(a)``)."""

    def pullback(y_bar: Any) -> Any:
        if isinstance(tup, tuple | list):
            shapes = [shape_of(a) for a in tup]
            return _split_back(y_bar, shapes, axis_of(shapes), how)
        rows = [shape_of(tup)[1:]] * shape_of(tup)[0]
        return np.stack(_split_back(y_bar, rows, axis_of(rows), how))

    return pullback


def _hstack_axis(shapes: list[tuple]) -> int:
    return 0 if all(len(s) <= 1 for s in shapes) else 1


@shape_only
def _hstack_pullback(y_bar, y, tup, dtype=None, casting="same_kind"):
    return _stacked(tup, _hstack_axis, "1d")(y_bar)


@shape_only
def _vstack_pullback(y_bar, y, tup, dtype=None, casting="same_kind"):
    return _stacked(tup, lambda shapes: 0, "2d")(y_bar)


@shape_only
def _dstack_pullback(y_bar, y, tup):
    return _stacked(tup, lambda shapes: 2, "3d")(y_bar)


@shape_only
def _column_stack_pullback(y_bar, y, tup):
    return _stacked(tup, lambda shapes: 1, "column")(y_bar)


def _append_parts(y_bar: Any, arr: Any, values: Any, axis: Any) -> list:
    if axis is None:
        flat = np.reshape(y_bar, -1)
        n = int(np.prod(shape_of(arr)))
        return [np.reshape(flat[:n], shape_of(arr)), np.reshape(flat[n:], shape_of(values))]
    ax = axis % len(shape_of(arr))
    return _split_back(y_bar, [shape_of(arr), shape_of(values)], ax, "1d")


def _groups(axis_length: int, repeats: Any) -> np.ndarray:
    """For each output position along the repeated axis, the input position it copies."""
    return np.repeat(np.arange(axis_length), repeats)


@shape_only
def _repeat_pullback(y_bar, y, a, repeats, axis=None):
    shape = shape_of(a)
    if axis is None:
        n = int(np.prod(shape))
        return np.reshape(scatter_add(y_bar, _groups(n, repeats), (n,)), shape)
    ax = axis % len(shape)
    moved = np.moveaxis(y_bar, ax, 0)
    target = (shape[ax], *shape_of(moved)[1:])
    return np.moveaxis(scatter_add(moved, _groups(shape[ax], repeats), target), 0, ax)


@shape_only
def _tile_pullback(y_bar, y, a, reps):
    shape = shape_of(a)
    reps = (reps,) if isinstance(reps, int | np.integer) else tuple(reps)
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    interleaved = [n for pair in zip(reps, full, strict=True) for n in pair]
    summed = np.sum(np.reshape(y_bar, interleaved), axis=tuple(range(0, 2 * d, 2)))
    return np.reshape(summed, shape)


for _fn, _pullback, _keywords in [
    (np.hstack, _hstack_pullback, ("dtype", "casting")),
    (np.vstack, _vstack_pullback, ("dtype", "casting")),
    (np.dstack, _dstack_pullback, ()),
    (np.column_stack, _column_stack_pullback, ()),
    (np.repeat, _repeat_pullback, ("repeats", "axis")),
    (np.tile, _tile_pullback, ("reps",)),
]:
    defvjp(_fn, _pullback, keywords=_keywords)
    defjvp(_fn, linear_jvp(_fn))
defvjp(np.append, shape_only(lambda y_bar, y, arr, values, axis=None:
                              _append_parts(y_bar, arr, values, axis)[0]),
       shape_only(lambda y_bar, y, arr, values, axis=None:
                   _append_parts(y_bar, arr, values, axis)[1]), keywords=("axis",))  # fmt: skip
defjvp(np.append, lambda d, y, arr, values, axis=None: np.append(d, np.zeros_like(values), axis),
       lambda d, y, arr, values, axis=None: np.append(np.zeros_like(arr), d, axis))  # fmt: skip


# ---------------------------------------------------------------------------------------
# sorting (a permutation: the pullback puts each cotangent back where its value came from)


def _along(index: Any, axis: int) -> tuple:
    """The fancy index that takes ``index`` along ``axis`` (``np.take_along_axis``'s)."""
    grid = list(np.indices(np.shape(index), sparse=True))
    grid[axis] = index
    return tuple(grid)


def _sort_pullback(y_bar, y, a, axis=-1, kind=None, order=None):
    if axis is None:
        flat = np.reshape(a, -1)
        return np.reshape(scatter_add(y_bar, np.argsort(flat, kind="stable"), shape_of(flat)),
                          shape_of(a))  # fmt: skip
    ax = axis % len(shape_of(a))
    where_from = np.argsort(a, axis=ax, kind="stable")
    return y_bar[_along(np.argsort(where_from, axis=ax, kind="stable"), ax)]


def _sort_pushforward(a_dot, y, a, axis=-1, kind=None, order=None):
    if axis is None:
        return np.reshape(a_dot, -1)[np.argsort(np.reshape(a, -1), kind="stable")]
    ax = axis % len(shape_of(a))
    return a_dot[_along(np.argsort(a, axis=ax, kind="stable"), ax)]


defvjp(np.sort, _sort_pullback, keywords=("axis", "kind", "order"))
defjvp(np.sort, _sort_pushforward)


def _partition_impl(a, kth, axis=-1, kind="introselect", order=None):
    """``np.partition`` as the gather through ``np.argpartition`` (the same numbers)."""
    if order is not None:
        raise UnsupportedFunctionError(
            f"numpy.partition: the argument order={order!r} is not supported while differentiating"
        )
    if axis is None:
        a, axis = np.reshape(a, -1), 0
    where_from = np.argpartition(a, kth, axis=axis, kind=kind)  # on values: no derivative
    return a[_along(where_from, axis % len(shape_of(a)))]


mark_non_differentiable(np.argpartition)
defcomposite(np.partition, _partition_impl)
